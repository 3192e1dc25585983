"""The manifest: one CSV row per image of a written dataset, with provenance.

Columns ``path,label,origin,parent_a,parent_b,gap,method``:

``path``
    Where the image is in the output: a POSIX path relative to the output
    folder, or the row index in a ``.npz``'s arrays.
``label``
    The class name.
``origin``
    ``original`` (an input image, copied or converted) or ``synthetic``.
``parent_a``, ``parent_b``
    For synthetic rows: the base and the neighbour original it was
    interpolated between (``pixel = a + gap * (b - a)``), given as the
    ``path`` of that original's own row in the same manifest. The base
    always has the synthetic row's label; the neighbour does too, except for
    Borderline-SMOTE-2, which also steps towards other classes. A random
    over-sampler's duplicate has ``parent_a == parent_b`` and ``gap`` 0. When a
    cleaning step (SMOTE-ENN, SMOTE-Tomek) removed a parent from the output,
    the parent is given by its source instead: its path relative to the input
    dataset's root prefixed ``source:`` (``source:<index>`` for array inputs).
``gap``
    The interpolation weight in [0, 1] (synthetic rows only).
``method``
    The sampler that produced a synthetic row; empty for originals.
"""

from __future__ import annotations

import csv
from dataclasses import astuple, dataclass
from pathlib import Path

from pixsmote._errors import DataError

__all__ = ["MANIFEST_COLUMNS", "ManifestRow", "write_manifest", "read_manifest"]

MANIFEST_COLUMNS = ("path", "label", "origin", "parent_a", "parent_b", "gap", "method")


@dataclass(frozen=True)
class ManifestRow:
    """One manifest row; the module docstring details each column.

    Attributes
    ----------
    path : str
        Where the image is in the output.
    label : str
        The class name.
    origin : {"original", "synthetic"}
        Whether the image is an input or a new one.
    parent_a, parent_b : str
        The ``path`` of a synthetic image's base and neighbour (empty for
        originals).
    gap : str
        The interpolation weight, as text (empty for originals).
    method : str
        The sampler of a synthetic row (empty for originals).
    """

    path: str
    label: str
    origin: str
    parent_a: str = ""
    parent_b: str = ""
    gap: str = ""
    method: str = ""


def write_manifest(rows, path) -> None:
    """Write an iterable of :class:`ManifestRow` as CSV with a header.

    Parameters
    ----------
    rows : iterable of ManifestRow
        The rows, in order.
    path : path-like
        The CSV file to write.
    """
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(MANIFEST_COLUMNS)
        writer.writerows(astuple(row) for row in rows)


def read_manifest(path) -> list[ManifestRow]:
    """Read a manifest written by :func:`write_manifest`.

    Parameters
    ----------
    path : path-like
        A ``manifest.csv``.
    """
    path = Path(path)
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = tuple(next(reader, ()))
        if header != MANIFEST_COLUMNS:
            raise DataError(
                f"{path}: expected manifest columns {','.join(MANIFEST_COLUMNS)}. "
                f"Got {','.join(header)!r} instead."
            )
        return [ManifestRow(*row) for row in reader]
