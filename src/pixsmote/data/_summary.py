"""Describe a dataset: classes, counts, shares, imbalance ratio, sizes, modes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from pixsmote.data._dataset import Dataset

__all__ = ["DatasetSummary", "describe_dataset", "format_summary", "format_counts"]


@dataclass
class DatasetSummary:
    """A description of a dataset, as ``pixsmote inspect`` prints it.

    Attributes
    ----------
    name : str
    n_images : int
    class_names : list of str
    counts : numpy.ndarray of int64
    shares : numpy.ndarray of float
        Fraction of the images in each class.
    imbalance_ratio : float
        Largest class count over smallest (``inf`` when a class is empty).
    image_shape : tuple of int
    mode : str
        The mode images are decoded to.
    dtype : str
    modes_found, sizes_found : collections.Counter
        Source modes and ``(H, W)`` sizes with their counts.
    skipped : int
        Files left out as unreadable.
    """

    name: str
    n_images: int
    class_names: list
    counts: np.ndarray
    shares: np.ndarray
    imbalance_ratio: float
    image_shape: tuple
    mode: str
    dtype: str
    modes_found: Counter
    sizes_found: Counter
    skipped: int


def describe_dataset(dataset: Dataset) -> DatasetSummary:
    """Count a dataset's classes and list its image sizes and modes.

    Reads no pixel: labels, and the headers read when the dataset was loaded.

    Parameters
    ----------
    dataset : Dataset
        From :func:`load_dataset`.
    """
    counts = dataset.counts
    total = int(counts.sum())
    shares = counts / total if total else np.zeros(len(counts))
    ratio = float(counts.max() / counts.min()) if counts.min() > 0 else float("inf")
    return DatasetSummary(
        name=dataset.name,
        n_images=total,
        class_names=list(dataset.class_names),
        counts=counts,
        shares=shares,
        imbalance_ratio=ratio,
        image_shape=tuple(dataset.image_shape),
        mode=dataset.mode,
        dtype=str(dataset.dtype),
        modes_found=Counter(dataset.modes_found),
        sizes_found=Counter(dataset.sizes_found),
        skipped=len(dataset.skipped),
    )


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *map(line, rows)])


def format_summary(summary: DatasetSummary) -> str:
    """The text ``pixsmote inspect`` prints: a class table, then sizes and modes.

    Parameters
    ----------
    summary : DatasetSummary
        From :func:`describe_dataset`.
    """
    largest = summary.counts.max() if len(summary.counts) else 0
    rows = []
    for i, (name, n, share) in enumerate(
        zip(summary.class_names, summary.counts, summary.shares, strict=True)
    ):
        ratio = f"{largest / n:.2f}" if n else "inf"
        rows.append([str(i), name, str(n), f"{100 * share:.1f}%", ratio])
    rows.append(["", "total", str(summary.n_images), "100.0%", ""])
    table = _table(["label", "class", "images", "share", "max/n"], rows, {0, 2, 3, 4})
    sizes = ", ".join(
        f"{h}x{w} ({n})" for (h, w), n in summary.sizes_found.most_common()
    )
    modes = ", ".join(f"{m} ({n})" for m, n in summary.modes_found.most_common())
    shape = "x".join(str(s) for s in summary.image_shape)
    lines = [
        f"{summary.name}: {summary.n_images} images, {len(summary.class_names)} "
        "classes",
        "",
        table,
        "",
        f"imbalance ratio (largest / smallest class): {summary.imbalance_ratio:.2f}",
        f"sizes (HxW): {sizes}",
        f"modes: {modes}",
        f"decoded as: {summary.mode} {shape} {summary.dtype}",
    ]
    if summary.skipped:
        lines.append(f"skipped unreadable files: {summary.skipped}")
    return "\n".join(lines)


def format_counts(class_names, before, after) -> str:
    """A before/after table of class counts, as ``pixsmote balance`` prints it.

    Parameters
    ----------
    class_names : sequence of str
        One per label.
    before, after : array-like of int
        Images per class before and after balancing.
    """
    rows = []
    for name, b, a in zip(class_names, before, after, strict=True):
        rows.append([name, str(b), str(a), f"{int(a) - int(b):+d}"])
    rows.append(["total", str(int(np.sum(before))), str(int(np.sum(after))),
                 f"{int(np.sum(after)) - int(np.sum(before)):+d}"])  # fmt: skip
    return _table(["class", "before", "after", "change"], rows, {1, 2, 3})
