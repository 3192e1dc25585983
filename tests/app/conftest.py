"""Shared fixtures of the app tests: small digits .npz files, tiny images."""

import numpy as np
import pytest
from sklearn.datasets import load_digits


def _digits():
    d = load_digits()
    X = np.rint(d.images * (255.0 / 16.0)).astype(np.uint8)
    return X, d.target.astype(np.int64)


def write_npz(path, X, y, names):
    np.savez(path, X=X, y=y, class_names=np.array(names))
    return str(path)


@pytest.fixture(scope="session")
def digits_npz(tmp_path_factory):
    """Three .npz files from digits 3/5/8 (imbalanced train, balanced test),
    one with a single class and one test set with a class train lacks."""
    X, y = _digits()
    root = tmp_path_factory.mktemp("npz")
    rng = np.random.default_rng(0)
    train_idx, test_idx = [], []
    for c, n in ((3, 12), (5, 60), (8, 25)):
        idx = rng.permutation(np.flatnonzero(y == c))
        train_idx.append(idx[:n])
        test_idx.append(idx[n : n + 15])
    tr, te = np.concatenate(train_idx), np.concatenate(test_idx)
    names = ["3", "5", "8"]
    remap = {3: 0, 5: 1, 8: 2}
    y_tr = np.array([remap[v] for v in y[tr]])
    y_te = np.array([remap[v] for v in y[te]])
    one = np.flatnonzero(y == 3)[:20]
    extra = np.flatnonzero(np.isin(y, [3, 7]))[:40]
    return {
        "train": write_npz(root / "train.npz", X[tr], y_tr, names),
        "test": write_npz(root / "test.npz", X[te], y_te, names),
        "one_class": write_npz(
            root / "one.npz", X[one], np.zeros(len(one), int), ["3"]
        ),
        "unknown_test": write_npz(
            root / "unknown.npz",
            X[extra],
            (y[extra] == 7).astype(int),
            ["3", "7"],
        ),
    }


@pytest.fixture
def images():
    """Smooth class-dependent uint8 images (30/10/14 of 6x6): enough for kNN, tiny."""
    rng = np.random.default_rng(0)
    X, y = [], []
    for c, n in enumerate((30, 10, 14)):
        proto = rng.uniform(0, 1, size=(6, 6))
        imgs = np.clip(proto + rng.normal(0, 0.15, size=(n, 6, 6)), 0, 1)
        X.append(np.rint(imgs * 255).astype(np.uint8))
        y += [c] * n
    return np.concatenate(X), np.array(y)
