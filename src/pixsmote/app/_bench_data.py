"""Resolve a bench's ``train``/``val``/``test`` sources into aligned arrays."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pixsmote._errors import DataError

__all__ = ["BenchData", "resolve_data", "holdout_split"]


@dataclass
class BenchData:
    """The arrays every run of a bench trains, selects and tests on.

    Attributes
    ----------
    X, y : numpy.ndarray
        Training images (uint8 ``(N, H, W[, C])``) and labels.
    X_val, y_val : numpy.ndarray
        Validation set (checkpoint selection only).
    tests : dict of str to (X, y)
        Test sets, labels in the training set's label space.
    class_names : list of str
    descriptions : dict of str to str
        Where each part came from, for ``config.json`` and the report.
    """

    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    tests: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    class_names: list[str] = field(default_factory=list)
    descriptions: dict[str, str] = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        """Number of classes of the label space."""
        return len(self.class_names)

    def counts(self, y: np.ndarray | None = None) -> np.ndarray:
        """Per-class counts of ``y`` (default: the training labels)."""
        y = self.y if y is None else y
        return np.bincount(y, minlength=self.n_classes)


def _is_split(src: str) -> bool:
    from pixsmote.data import SPLITS

    return src in SPLITS and not Path(src).exists()


def _load(src: str, split_seed: int):
    from pixsmote.data import load_dataset

    return load_dataset(src, seed=split_seed)


def _arrays(dataset, what: str) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(dataset.X)
    if X.dtype != np.uint8:
        raise DataError(
            f"{what} ({dataset.name}): training needs uint8 images. Got dtype "
            f"{X.dtype} instead."
        )
    return X, np.asarray(dataset.y, dtype=np.int64)


def _align(dataset, class_names: list[str], what: str, train_counts: np.ndarray):
    """Relabel `dataset` into the training label space, by class name."""
    X, y = _arrays(dataset, what)
    index = {name: i for i, name in enumerate(class_names)}
    present = sorted(set(np.unique(y).tolist()))
    names = [str(dataset.class_names[c]) for c in present]
    unknown = [n for n in names if n not in index or train_counts[index[n]] == 0]
    if unknown:
        raise DataError(
            f"{what} ({dataset.name}) has classes {unknown} that the training set "
            f"lacks (training classes with images: "
            f"{[n for n, c in zip(class_names, train_counts, strict=True) if c]}); "
            "a model cannot learn them. Remove those images or add training "
            f"examples. Got {len(unknown)} unknown class(es) instead."
        )
    remap = np.full(len(dataset.class_names), -1, dtype=np.int64)
    for c in present:
        remap[c] = index[str(dataset.class_names[c])]
    return X, remap[y]


def holdout_split(
    y: np.ndarray, fraction: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a stratified hold-out: ``fraction`` of each class.

    Each class of two or more images gives ``max(1, round(fraction * n))``
    images (and keeps at least one); a class of one image stays in training.

    Parameters
    ----------
    y : ndarray of int
        Labels of the set to split.
    fraction : float, default=0.1
        Share of each class held out.
    seed : int, default=0
        Seeds the draw.

    Returns
    -------
    train_idx, val_idx : numpy.ndarray of int64
        Sorted indices into `y`.
    """
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = 0 if len(idx) < 2 else min(len(idx) - 1, max(1, round(fraction * len(idx))))
        val.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def resolve_data(
    train: str | os.PathLike,
    val: str | os.PathLike | None = None,
    test: list[str] | None = None,
    *,
    split_seed: int = 0,
) -> BenchData:
    """Load and check a bench's data.

    Parameters
    ----------
    train : str or path-like
        A protocol split name (gives train, val and its test sets) or anything
        :func:`pixsmote.data.load_dataset` reads.
    val : str or path-like, optional
        Validation source; default the split's, else a stratified 10 % of
        `train` (:func:`holdout_split`, seeded by `split_seed`).
    test : list of str, optional
        Test sources; default the split's test sets. A test set is named after
        its source (``digits-seed-3:test`` -> ``test``, ``a/b.npz`` -> ``b``).
    split_seed : int
        Seed of the split draws and of the hold-out.

    Raises
    ------
    DataError
        Fewer than two classes with training images, validation or test
        classes the training set lacks, non-uint8 images.
    """
    train = os.fspath(train)
    descriptions: dict[str, str] = {}
    split = None
    if _is_split(train):
        from pixsmote.data import load_split

        split = load_split(train, seed=split_seed)
        train_ds = split.train
        descriptions["train"] = f"{train} (train): {split.description}"
    else:
        train_ds = _load(train, split_seed)
        descriptions["train"] = str(train)
    class_names = [str(c) for c in train_ds.class_names]
    X, y = _arrays(train_ds, "the training set")
    counts = np.bincount(y, minlength=len(class_names))
    present = [n for n, c in zip(class_names, counts, strict=True) if c]
    if len(present) < 2:
        raise DataError(
            f"The training set ({train}) must hold images of at least 2 classes to "
            f"train a classifier. Got {len(present)} class(es) {present} instead."
        )

    if val is not None:
        X_val, y_val = _align(_load(os.fspath(val), split_seed), class_names,
                              "the validation set", counts)  # fmt: skip
        descriptions["val"] = os.fspath(val)
    elif split is not None:
        X_val, y_val = _align(split.val, class_names, "the validation set", counts)
        descriptions["val"] = f"{train} (val)"
    else:
        tr, va = holdout_split(y, 0.1, split_seed)
        X, y, X_val, y_val = X[tr], y[tr], X[va], y[va]
        counts = np.bincount(y, minlength=len(class_names))
        descriptions["val"] = (
            f"stratified 10% of the training data held out (seed {split_seed})"
        )

    tests: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if test:
        for src in test:
            src = os.fspath(src)
            name = _test_name(src, tests)
            if _is_split(src):
                from pixsmote.data import load_split

                parts = load_split(src, seed=split_seed).tests
                for part, ds in parts.items():
                    tests[_test_name(part, tests)] = _align(
                        ds, class_names, f"test set {part!r}", counts
                    )
                continue
            tests[name] = _align(
                _load(src, split_seed), class_names, f"test set {name!r}", counts
            )
            descriptions[f"test:{name}"] = src
    elif split is not None:
        for part, ds in split.tests.items():
            tests[part] = _align(ds, class_names, f"test set {part!r}", counts)
            descriptions[f"test:{part}"] = f"{train} ({part})"
    return BenchData(X, y, X_val, y_val, tests, class_names, descriptions)


def _test_name(src: str, taken: dict) -> str:
    """A short, unique name for a test source."""
    if ":" in src and not Path(src).exists():
        base = src.split(":", 1)[1] or src
    else:
        path = Path(src)
        base = path.stem if path.suffix else path.name
    base = base or "test"
    name, i = base, 2
    while name in taken:
        name, i = f"{base}-{i}", i + 1
    return name
