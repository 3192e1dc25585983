"""A tiny document model: the report is built once, rendered twice.

``write_report`` assembles a list of blocks; ``_html`` and ``_markdown`` each
walk the same list, so the two files always carry the same content.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Heading:
    level: int
    text: str


@dataclass
class Paragraph:
    text: str


@dataclass
class Code:
    text: str


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    right: list[bool] = field(default_factory=list)
    # (row, column) cells to emphasise: the best mean of a test set.
    bold: set[tuple[int, int]] = field(default_factory=set)


@dataclass
class Image:
    name: str  # file name under figures/, unique within the report
    caption: str
    png: bytes


@dataclass
class Gallery:
    """Images shown side by side where the page is wide enough."""

    images: list[Image]


Block = Heading | Paragraph | Code | Table | Image | Gallery
