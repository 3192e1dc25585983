"""The benchmark protocol's splits, each drawn reproducibly from a seed.

==================  ===========================================================
``seed-3``          Fashion-MNIST classes 0 T-shirt/top, 2 Pullover, 6 Shirt
                    (three classes people confuse) with 30 / 192 / 80 training
                    images, 100 validation images per class from the rest of
                    the official train set, and the official test images of
                    those classes (1000 per class) as ``test``.
``digits-seed-3``   The same shape on scikit-learn's digits (no files needed):
                    digits 3, 5, 8 with 18 / 115 / 48 training images (30 / 192
                    / 80 scaled by 0.6, as digits has only ~180 images per
                    class), then 25 validation and 40 test images per class
                    from the images left.
``fmnist-deepsmote``  Fashion-MNIST as in DeepSMOTE (Dablain 2022): labels 0..9
                    get [4000, 2000, 1000, 750, 500, 350, 200, 100, 60, 40]
                    images of the official train set; 10 % of each class (at
                    least 2) is held out for validation. Tests: ``test`` (the
                    official 10 000, balanced) and ``test-imbalanced`` (the
                    official test set cut to [1000, 500, 250, 187, 125, 87, 50,
                    25, 15, 10]).
``fmnist-balanced``  The reference for ``fmnist-deepsmote``: the same 9 000
                    official train images in total, but 900 per class (810
                    train, 90 validation), and the same two test sets (the
                    imbalanced cut drawn exactly as ``fmnist-deepsmote``'s for
                    the seed). What a perfect rebalancing of the same amount
                    of data could reach: the ceiling the imbalance recipes are
                    measured against, not a recipe.
``fmnist-lt100``    Long-tailed Fashion-MNIST, imbalance ratio 100:
                    ``n_c = int(6000 * 100 ** (-c / 9))`` = [6000, 3596, 2156,
                    1292, 774, 464, 278, 166, 100, 60]; 10 % validation held
                    out per class; the official test set.
==================  ===========================================================

Every draw is without replacement from one :class:`numpy.random.Generator`
per part, spawned from ``SeedSequence(seed)``, so a seed fixes the split.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pixsmote._errors import UsageError
from pixsmote._registry import Registry
from pixsmote.data._builtin import load_digits, load_fashion_mnist
from pixsmote.data._dataset import Dataset, Split

__all__ = [
    "SPLITS",
    "SplitSpec",
    "list_splits",
    "load_split",
    "DEEPSMOTE_TRAIN",
    "DEEPSMOTE_TEST",
    "LT100_TRAIN",
]

DEEPSMOTE_TRAIN = [4000, 2000, 1000, 750, 500, 350, 200, 100, 60, 40]
DEEPSMOTE_TEST = [1000, 500, 250, 187, 125, 87, 50, 25, 15, 10]
LT100_TRAIN = [int(6000 * 100 ** (-c / 9)) for c in range(10)]


@dataclass(frozen=True)
class SplitSpec:
    """A registered split: its name, whether it needs Fashion-MNIST, a summary.

    Attributes
    ----------
    name : str
        The registry name (``"digits-seed-3"``).
    needs_fashion_mnist : bool
        Whether building it reads Fashion-MNIST's files.
    summary : str
        One line for listings.
    build : callable
        ``build(seed, fashion_mnist_dir) -> Split``.
    """

    name: str
    needs_fashion_mnist: bool
    summary: str
    build: Callable


def _draw(rng, pool: np.ndarray, n: int, what: str) -> np.ndarray:
    if n > len(pool):
        raise UsageError(f"{what}: needs {n} images, only {len(pool)} exist.")
    return np.sort(rng.choice(pool, size=n, replace=False))


def _n_val(n: int) -> int:
    """10 % of a class for validation, at least 2 images."""
    return max(2, int(round(0.1 * n)))


def _from_classes(source: Dataset, indices, classes, name) -> Dataset:
    """A subset of `source` relabelled so that `classes` become 0..k-1."""
    indices = np.asarray(indices, dtype=np.int64)
    remap = np.full(source.n_classes, -1, dtype=np.int64)
    remap[list(classes)] = np.arange(len(classes))
    names = [source.class_names[c] for c in classes]
    return Dataset(remap[source.y[indices]], names, X=source.X[indices], name=name)


def _three_class(source, test_source, classes, n_train, n_val, n_test, seed, name):
    """Train/val/test drawn per class; tests from `test_source` if given."""
    seeds = np.random.SeedSequence(seed).spawn(3)
    rngs = [np.random.default_rng(s) for s in seeds]
    train, val, test = [], [], []
    for c, n in zip(classes, n_train, strict=True):
        pool = np.flatnonzero(source.y == c)
        pick = rngs[0].permutation(pool)
        need = n + n_val + (0 if test_source is not None else n_test)
        if need > len(pool):
            raise UsageError(f"{name}: class {c} needs {need} images, has {len(pool)}.")
        train.append(pick[:n])
        val.append(pick[n : n + n_val])
        if test_source is None:
            test.append(pick[n + n_val : need])
        else:
            tpool = np.flatnonzero(test_source.y == c)
            test.append(
                tpool if n_test is None else _draw(rngs[2], tpool, n_test, name)
            )
    tsrc = test_source if test_source is not None else source
    return (
        _from_classes(source, np.sort(np.concatenate(train)), classes, f"{name}:train"),
        _from_classes(source, np.sort(np.concatenate(val)), classes, f"{name}:val"),
        _from_classes(tsrc, np.concatenate(test), classes, f"{name}:test"),
    )


def _seed3(seed, fashion_mnist_dir):
    classes = [0, 2, 6]
    train, val, test = _three_class(
        load_fashion_mnist("train", fashion_mnist_dir),
        load_fashion_mnist("test", fashion_mnist_dir),
        classes, [30, 192, 80], 100, None, seed, "seed-3",
    )  # fmt: skip
    desc = (
        "Fashion-MNIST classes 0 T-shirt/top, 2 Pullover, 6 Shirt: train 30/192/80, "
        f"val 100 per class, test = official test images of those classes; seed {seed}"
    )
    return Split("seed-3", train, val, {"test": test}, desc)


def _digits_seed3(seed, fashion_mnist_dir):
    train, val, test = _three_class(
        load_digits(), None, [3, 5, 8], [18, 115, 48], 25, 40, seed, "digits-seed-3"
    )
    desc = (
        "digits 3, 5, 8: train 18/115/48 (30/192/80 x 0.6), val 25 and test 40 per "
        f"class from the rest; seed {seed}"
    )
    return Split("digits-seed-3", train, val, {"test": test}, desc)


def _per_class(train_pool: Dataset, counts, seed, name):
    """Draw `counts[c]` images of class c, then hold 10 % (>= 2) out as val."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    train, val = [], []
    for c, n in enumerate(counts):
        pick = rng.permutation(_draw(rng, np.flatnonzero(train_pool.y == c), n, name))
        k = _n_val(n)
        val.append(pick[:k])
        train.append(pick[k:])
    classes = range(len(counts))
    return (
        _from_classes(
            train_pool, np.sort(np.concatenate(train)), classes, f"{name}:train"
        ),
        _from_classes(train_pool, np.sort(np.concatenate(val)), classes, f"{name}:val"),
    )


def _official_test(test: Dataset, name: str) -> Dataset:
    return Dataset(test.y, test.class_names, X=test.X, name=f"{name}:test")


def _deepsmote_tests(test: Dataset, seed: int, name: str) -> dict[str, Dataset]:
    """The official test set and its cut to DEEPSMOTE_TEST (drawn from `seed`)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1])
    cut = np.concatenate(
        [
            _draw(rng, np.flatnonzero(test.y == c), n, name)
            for c, n in enumerate(DEEPSMOTE_TEST)
        ]
    )
    return {
        "test": _official_test(test, name),
        "test-imbalanced": _from_classes(
            test, cut, range(10), f"{name}:test-imbalanced"
        ),
    }


def _deepsmote(seed, fashion_mnist_dir):
    name = "fmnist-deepsmote"
    pool = load_fashion_mnist("train", fashion_mnist_dir)
    test = load_fashion_mnist("test", fashion_mnist_dir)
    train, val = _per_class(pool, DEEPSMOTE_TRAIN, seed, name)
    desc = (
        f"Fashion-MNIST train drawn {DEEPSMOTE_TRAIN} per class, 10% (>= 2) held out "
        f"as val; tests: official 10k, and cut to {DEEPSMOTE_TEST}; seed {seed}"
    )
    return Split(name, train, val, _deepsmote_tests(test, seed, name), desc)


def _balanced(seed, fashion_mnist_dir):
    name = "fmnist-balanced"
    pool = load_fashion_mnist("train", fashion_mnist_dir)
    test = load_fashion_mnist("test", fashion_mnist_dir)
    per_class = sum(DEEPSMOTE_TRAIN) // len(DEEPSMOTE_TRAIN)
    train, val = _per_class(pool, [per_class] * len(DEEPSMOTE_TRAIN), seed, name)
    desc = (
        f"Fashion-MNIST train drawn {per_class} per class (fmnist-deepsmote's "
        f"{sum(DEEPSMOTE_TRAIN)} images, balanced), 10% held out as val; tests as "
        f"fmnist-deepsmote's; seed {seed}"
    )
    return Split(name, train, val, _deepsmote_tests(test, seed, name), desc)


def _lt100(seed, fashion_mnist_dir):
    name = "fmnist-lt100"
    pool = load_fashion_mnist("train", fashion_mnist_dir)
    test = load_fashion_mnist("test", fashion_mnist_dir)
    train, val = _per_class(pool, LT100_TRAIN, seed, name)
    desc = (
        f"Fashion-MNIST long-tailed (ratio 100), drawn {LT100_TRAIN} per class, 10% "
        f"held out as val; official test; seed {seed}"
    )
    return Split(name, train, val, {"test": _official_test(test, name)}, desc)


#: Split name -> :class:`SplitSpec` (a :class:`~pixsmote._registry.Registry`).
SPLITS = Registry("split")
for _spec in [
    SplitSpec("seed-3", True, "3 confusable Fashion-MNIST classes, 30/192/80",
              _seed3),
    SplitSpec("digits-seed-3", False, "digits 3/5/8, 18/115/48, no files needed",
              _digits_seed3),
    SplitSpec("fmnist-deepsmote", True, "Fashion-MNIST, DeepSMOTE's 4000..40",
              _deepsmote),
    SplitSpec("fmnist-balanced", True, "fmnist-deepsmote's 9000 images, "
              "balanced: the reference", _balanced),
    SplitSpec("fmnist-lt100", True, "Fashion-MNIST long-tailed, ratio 100",
              _lt100),
]:  # fmt: skip
    SPLITS.add(_spec.name, _spec)
del _spec


def list_splits(pattern: str | None = None) -> list[str]:
    """Names of the protocol splits (optionally only those matching the
    shell-style `pattern`, e.g. ``"fmnist-*"``).

    Parameters
    ----------
    pattern : str, optional
        Shell-style pattern (``fnmatch``); all names when omitted.
    """
    return SPLITS.names(pattern)


def load_split(name: str, seed: int = 0, fashion_mnist_dir=None) -> Split:
    """Draw the protocol split `name` with `seed`.

    Parameters
    ----------
    name : str
        One of :func:`list_splits`.
    seed : int, default=0
        Fixes every draw of the split.
    fashion_mnist_dir : path-like, optional
        Folder of Fashion-MNIST's IDX files (default: Debian's location).

    Returns
    -------
    Split
    """
    if name not in SPLITS:
        raise UsageError(f"split must be one of {list_splits()}. Got {name!r} instead.")
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise UsageError(f"seed must be a non-negative integer. Got {seed!r} instead.")
    return SPLITS[name].build(int(seed), fashion_mnist_dir)
