"""Shared fixtures for the training-harness tests: the sklearn digits (8x8)."""

import numpy as np
import pytest
from sklearn.datasets import load_digits


@pytest.fixture(scope="session")
def digits():
    """Digits as uint8 images (values * 255 / 16), split 1400 train / rest val."""
    d = load_digits()
    X = np.round(d.images * 255 / 16).astype(np.uint8)
    y = d.target.astype(np.int64)
    perm = np.random.default_rng(0).permutation(len(y))
    tr, va = perm[:1400], perm[1400:]
    return (X[tr], y[tr]), (X[va], y[va])
