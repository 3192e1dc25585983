"""Render the report blocks as Markdown with images as separate PNG files."""

from __future__ import annotations

from collections.abc import Sequence

from ._document import Block, Code, Gallery, Heading, Image, Paragraph, Table
from ._tables import escape_markdown, markdown_table

FIGURE_DIR = "figures"


def render_markdown(title: str, blocks: Sequence[Block]) -> str:
    """The Markdown text; images are linked as ``figures/<name>``.

    The caller writes each :class:`Image`'s PNG under ``figures/`` next to the
    Markdown file, so the relative links resolve wherever the folder is moved.
    """
    parts = [f"# {escape_markdown(title)}"]
    parts += [_block(b) for b in blocks]
    return "\n\n".join(parts) + "\n"


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        level = min(max(block.level, 2), 6)
        return f"{'#' * level} {escape_markdown(block.text)}"
    if isinstance(block, Paragraph):
        return escape_markdown(block.text)
    if isinstance(block, Code):
        # A fence longer than any run of backticks inside keeps the block closed.
        fence = "`" * max(3, _longest_backtick_run(block.text) + 1)
        return f"{fence}\n{block.text}\n{fence}"
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Image):
        return _image(block)
    if isinstance(block, Gallery):
        return "\n\n".join(_image(img) for img in block.images)
    raise TypeError(f"unknown report block {block!r}")  # an internal bug


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest


def _table(table: Table) -> str:
    def cell(i: int, j: int, text: str) -> str:
        text = escape_markdown(text)
        return f"**{text}**" if (i, j) in table.bold else text

    header = [escape_markdown(h) for h in table.header]
    right = table.right or [False] * len(table.header)
    rows = [
        [cell(i, j, c) for j, c in enumerate(row)] for i, row in enumerate(table.rows)
    ]
    return markdown_table(header, rows, right)


def _image(image: Image) -> str:
    alt = escape_markdown(image.caption)
    return f"![{alt}]({FIGURE_DIR}/{image.name})\n\n*{alt}*"
