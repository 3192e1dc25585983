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


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Run these tests on one intra-op thread, then restore the setting.

    `make test` runs pytest with two workers on two cores: two threads per
    worker would oversubscribe the cores, and OpenMP's spin-waiting then makes
    the tiny models here many times slower (seen: 50 steps on 8x8 digits went
    from 0.3 s to over 60 s on a loaded machine). One thread per worker is the
    faster setting for these small tensors anyway.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
