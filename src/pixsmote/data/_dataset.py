"""The :class:`Dataset` and :class:`Split` containers.

A :class:`Dataset` is either in memory (``X`` is an array) or file-backed: it
then knows each image's path, label, and how to decode it to the dataset's
common mode and size, and decodes only the images asked for
(:meth:`Dataset.read`). ``X`` on a file-backed dataset decodes everything once
and keeps it.
"""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pixsmote._errors import DataError, UsageError
from pixsmote._signals import checkpoint, holding_signals
from pixsmote.data._io import decode_image

__all__ = ["Dataset", "Split", "default_jobs"]


def default_jobs() -> int:
    """The default number of worker threads: ``min(4, os.cpu_count())``."""
    return max(1, min(4, os.cpu_count() or 1))


class Dataset:
    """An image classification dataset, in memory or read lazily from files.

    Build one with :func:`~pixsmote.data.load_dataset`, or from arrays with
    :meth:`from_arrays`.

    Parameters
    ----------
    y : array-like of int
        Label of every image.
    class_names : list of str
        Name of each label.
    X : ndarray, optional
        The images in memory (``(N, H, W[, C])`` uint8); or give ``paths``.
    paths : list of path-like, optional
        The image files, decoded on demand.
    root : path-like, optional
        The folder the paths are relative to, for display and the manifest.
    mode : {"L", "RGB"}, optional
        Mode every file is converted to.
    size : (int, int), optional
        Size every file is brought to.
    fit : {"resize", "crop", "pad"}, default="resize"
        How files of another size are brought to ``size``.
    name : str, default=""
        What to call the dataset in messages.
    copyable : ndarray of bool, optional
        Per file, whether its bytes already are the decoded image (so a writer
        may copy or link the file instead of re-encoding it).
    modes_found, sizes_found : Counter, optional
        Modes and sizes of the files as found, before conversion.
    skipped : list, optional
        ``(path, reason)`` of the files left out by ``skip_bad``.
    verified : bool, default=False
        Whether every file was decoded once already.
    sources : list of path, optional
        The folders or files the dataset reads (what an output may not replace).
    list_file : path, optional
        The list file it came from, if any.

    Attributes
    ----------
    y : numpy.ndarray of int64, shape (n_images,)
        Labels ``0 .. n_classes - 1``.
    class_names : list of str
        The name of each label.
    name : str
        Where the dataset came from (a path or a built-in name).
    paths : list of pathlib.Path or None
        The image files of a file-backed dataset (absolute), else None.
    root : pathlib.Path or None
        The folder that `paths` are relative to in listings and manifests.
    mode : str
        ``"L"`` or ``"RGB"`` for decoded images; for arrays, derived from the
        shape (``"L"`` for ``(N, H, W)``).
    image_shape : tuple of int
        Shape of one image: ``(H, W)`` or ``(H, W, C)``.
    modes_found, sizes_found : collections.Counter
        Source Pillow modes and ``(H, W)`` sizes, with their counts.
    skipped : list of (pathlib.Path, str)
        Files left out by ``skip_bad=True``, with the reason.
    verified : bool
        Whether every file has been decoded once already (``skip_bad=True``).
    sources : list of pathlib.Path
        The files and folders the dataset was read from (the folder of class
        sub-folders, the list file, the ``.npz``, a built-in dataset's folder),
        which an output may not replace.
    list_file : pathlib.Path or None
        The list file a dataset was read from (its paths are under `root`).
    """

    def __init__(
        self,
        y,
        class_names,
        *,
        X=None,
        paths=None,
        root=None,
        mode=None,
        size=None,
        fit="resize",
        name="",
        copyable=None,
        modes_found=None,
        sizes_found=None,
        skipped=None,
        verified=False,
        sources=None,
        list_file=None,
    ):
        self.y = np.asarray(y, dtype=np.int64)
        self.class_names = [str(c) for c in class_names]
        self.name = str(name)
        self.skipped = list(skipped or [])
        self.verified = bool(verified)
        self.sources = [Path(p).absolute() for p in (sources or ())]
        self.list_file = None if list_file is None else Path(list_file).absolute()
        self._X = None if X is None else np.asarray(X)
        self.paths = None if paths is None else [Path(p) for p in paths]
        self.root = None if root is None else Path(root)
        self.fit = fit
        if self._X is not None:
            if self._X.ndim not in (3, 4) or len(self._X) != len(self.y):
                raise DataError(
                    f"{self.name or 'X'}: expected images of shape (N, H, W) or "
                    f"(N, H, W, C) and {len(self.y)} labels. Got X of shape "
                    f"{self._X.shape} instead."
                )
            self.image_shape = tuple(self._X.shape[1:])
            channels = 1 if self._X.ndim == 3 else self._X.shape[3]
            self.mode = mode or {1: "L", 3: "RGB", 4: "RGBA"}.get(channels, "")
            self.size = self.image_shape[:2]
            self._copyable = np.zeros(len(self.y), dtype=bool)
        else:
            if self.paths is None or len(self.paths) != len(self.y):
                raise DataError(f"{self.name}: need one path per label.")
            self.mode = mode
            self.size = tuple(size)
            self.image_shape = self.size if mode == "L" else (*self.size, 3)
            self._copyable = (
                np.zeros(len(self.y), bool)
                if copyable is None
                else np.asarray(copyable, bool)
            )
        self.modes_found = Counter(modes_found or {self.mode: len(self.y)})
        self.sizes_found = Counter(sizes_found or {tuple(self.size): len(self.y)})
        if len(self.y) and (self.y.min() < 0 or self.y.max() >= len(self.class_names)):
            raise DataError(
                f"{self.name}: labels must lie in 0..{len(self.class_names) - 1}. "
                f"Got {self.y.min()}..{self.y.max()} instead."
            )

    # -- construction -----------------------------------------------------
    @classmethod
    def from_arrays(cls, X, y, class_names=None, *, name="arrays") -> Dataset:
        """An in-memory dataset from images `X` and labels `y`.

        Parameters
        ----------
        X : array-like, shape (N, H, W) or (N, H, W, C)
        y : array-like, shape (N,)
            Integer labels ``0 .. C-1`` when `class_names` is given; otherwise
            any sortable labels (numbers or strings), mapped in sorted order to
            ``0 .. C-1`` with their string forms as class names.
        class_names : list of str, optional
        name : str, default="arrays"
        """
        X = np.asarray(X)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X):
            raise DataError(
                f"{name}: expected y of shape ({len(X)},), one label per image. "
                f"Got shape {y.shape} instead."
            )
        if class_names is None:
            values, y = np.unique(y, return_inverse=True)
            class_names = [str(v) for v in values.tolist()]
        elif y.dtype.kind not in "iu":
            raise DataError(
                f"{name}: with class_names, y must hold integer labels. Got dtype "
                f"{y.dtype} instead."
            )
        return cls(y, class_names, X=X, name=name)

    # -- access -----------------------------------------------------------
    def __len__(self) -> int:
        return len(self.y)

    def __repr__(self) -> str:
        kind = "files" if self.is_file_backed else "arrays"
        return (
            f"Dataset({self.name!r}, {len(self)} images {self.image_shape} "
            f"{self.mode}, {len(self.class_names)} classes, {kind})"
        )

    @property
    def is_file_backed(self) -> bool:
        """True when images are decoded from files on demand."""
        return self.paths is not None

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def counts(self) -> np.ndarray:
        """Images per class, shape (n_classes,)."""
        return np.bincount(self.y, minlength=self.n_classes)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.uint8) if self._X is None else self._X.dtype

    @property
    def X(self) -> np.ndarray:
        """All images, shape ``(N, *image_shape)``; decoded once for files."""
        if self._X is None:
            self._X = self.read(np.arange(len(self)))
        return self._X

    def relpath(self, i: int) -> str:
        """Image `i`'s path relative to :attr:`root` (POSIX), or its index."""
        if self.paths is None:
            return str(int(i))
        path = self.paths[int(i)]
        if self.root is not None:
            try:
                return path.relative_to(self.root).as_posix()
            except ValueError:
                pass
        return path.as_posix()

    def is_copyable(self, i: int) -> bool:
        """True when file `i` already has the dataset's mode and size.

        Such a file can be copied byte for byte into an output folder.
        """
        return bool(self._copyable[int(i)])

    def read(self, indices, *, jobs: int | None = None, out=None, progress=None):
        """Decode the images at `indices` (and only those).

        Parameters
        ----------
        indices : array-like of int
        jobs : int, optional
            Decoding threads (Pillow releases the GIL while decoding);
            default :func:`default_jobs`.
        out : numpy.ndarray, optional
            Preallocated ``(len(indices), *image_shape)`` array (or memmap).
        progress : callable, optional
            Called with the number of images decoded, as they finish.

        Returns
        -------
        numpy.ndarray, shape (len(indices), *image_shape)
        """
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        if self._X is not None:
            result = self._X[indices]
            if out is not None:
                out[...] = result
                result = out
            if progress is not None:
                progress(len(indices))
            return result
        if out is None:
            out = np.empty((len(indices), *self.image_shape), dtype=np.uint8)
        paths = self.paths
        assert paths is not None  # a dataset holds an array or file paths

        def one(pos):
            out[pos] = decode_image(paths[indices[pos]], self.mode, self.size, self.fit)
            return 1

        jobs = jobs or default_jobs()
        if jobs == 1 or len(indices) < 2:
            for pos in range(len(indices)):
                one(pos)
                if progress is not None:
                    progress(1)
            return out
        # Signals wait for the next finished image (see pixsmote._signals).
        with holding_signals(), ThreadPoolExecutor(jobs) as pool:
            try:
                for done in pool.map(one, range(len(indices))):
                    if progress is not None:
                        progress(done)
                    checkpoint()
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        return out

    def subset(self, indices, *, name=None) -> Dataset:
        """A dataset of the images at `indices`, with the same classes."""
        indices = np.asarray(indices, dtype=np.int64)
        if self._X is not None and self.paths is None:
            return Dataset(
                self.y[indices],
                self.class_names,
                X=self._X[indices],
                name=name or self.name,
                sources=self.sources,
            )
        paths = self.paths
        assert paths is not None  # a dataset holds an array or file paths
        return Dataset(
            self.y[indices], self.class_names,
            paths=[paths[i] for i in indices], root=self.root,
            mode=self.mode, size=self.size, fit=self.fit, name=name or self.name,
            copyable=self._copyable[indices], sources=self.sources,
            list_file=self.list_file,
        )  # fmt: skip


@dataclass
class Split:
    """A protocol split: a training set, a validation set and test sets.

    Attributes
    ----------
    name : str
    train, val : Dataset
    tests : dict of str to Dataset
        Named test sets, e.g. ``{"test": ..., "test-imbalanced": ...}``.
    description : str
        How the split was drawn (classes, counts, seed).
    """

    name: str
    train: Dataset
    val: Dataset
    tests: dict[str, Dataset] = field(default_factory=dict)
    description: str = ""

    def part(self, name: str) -> Dataset:
        """The part called `name`: ``train``, ``val`` or a test set's name."""
        parts = {"train": self.train, "val": self.val, **self.tests}
        if name not in parts:
            raise UsageError(
                f"split {self.name!r} has parts {sorted(parts)}. Got {name!r} instead."
            )
        return parts[name]
