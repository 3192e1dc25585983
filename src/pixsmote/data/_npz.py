"""Read ``.npz`` datasets: arrays ``X`` and ``y`` (and ``class_names``).

The writer (:mod:`pixsmote.data._writer`) streams its arrays into the archive.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from pixsmote._errors import DataError
from pixsmote.data._dataset import Dataset

__all__ = ["read_npz"]


def read_npz(path: str | os.PathLike[str]) -> Dataset:
    """An in-memory dataset from a ``.npz`` holding ``X`` and ``y``.

    Loaded with ``allow_pickle=False``. Float images holding NaN or infinite
    values are refused, naming the first such row. An optional
    ``class_names`` array names the labels (then ``y`` must be integers
    ``0 .. C-1``); otherwise the sorted
    distinct values of ``y`` (numbers or strings) become the classes.

    Parameters
    ----------
    path : path-like
        The ``.npz`` file.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = {"X", "y"} - set(npz.files)
            if missing:
                raise DataError(
                    f"{path}: expected arrays 'X' and 'y'. Got {sorted(npz.files)} "
                    "instead."
                )
            X, y = npz["X"], npz["y"]
            names = npz["class_names"].tolist() if "class_names" in npz.files else None
    except DataError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"Cannot read {path} as a .npz file: {exc}") from None
    if X.dtype.kind not in "uif" or X.ndim not in (3, 4):
        raise DataError(
            f"{path}: expected numeric images X of shape (N, H, W) or (N, H, W, C). "
            f"Got {X.dtype} of shape {X.shape} instead."
        )
    if X.dtype.kind == "f" and X.size:
        finite = np.isfinite(X.reshape(len(X), -1)).all(axis=1)
        if not finite.all():
            rows = np.flatnonzero(~finite)
            value = X[rows[0]][~np.isfinite(X[rows[0]])].flat[0]
            raise DataError(
                f"{path}: X holds NaN or infinite values in {len(rows)} image(s), "
                f"the first at row {rows[0]} (label {y[rows[0]]!r}). Remove or "
                f"repair those images. Got {value} instead."
            )
    if (
        names is not None
        and y.size
        and not (y.dtype.kind in "iu" and 0 <= y.min() and y.max() < len(names))
    ):
        raise DataError(
            f"{path}: with class_names, y must hold integers 0..{len(names) - 1}. "
            f"Got {y.dtype} values {y.min()!r}..{y.max()!r} instead."
        )
    dataset = Dataset.from_arrays(X, y, names, name=str(path))
    dataset.sources = [path.absolute()]
    return dataset
