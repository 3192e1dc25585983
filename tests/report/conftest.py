"""Fixtures of the report tests (helpers live in _report_fakes.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _report_fakes import test_entry, write_run


@pytest.fixture
def bench(tmp_path: Path) -> Path:
    """Two recipes x three seeds, two test sets."""
    root = tmp_path / "bench"
    for r, recipe in enumerate(["none", "smote"]):
        for seed in range(3):
            acc = 0.80 + 0.05 * r + 0.01 * seed
            tests = {
                "test": test_entry(acc, seed=seed),
                "test-balanced": test_entry(acc - 0.1, seed=seed + 10),
            }
            write_run(root, recipe, seed, tests=tests)
    return root


@pytest.fixture
def images():
    """An imbalanced 3-class set of 8x8 uint8 images with distinct patterns."""
    rng = np.random.default_rng(0)
    counts = [40, 12, 4]
    X, y = [], []
    for c, n in enumerate(counts):
        base = np.zeros((8, 8), np.float32)
        base[:, 2 * c : 2 * c + 3] = 200  # a vertical bar per class
        noise = rng.normal(0, 20, size=(n, 8, 8))
        X.append(np.clip(base + noise, 0, 255).astype(np.uint8))
        y.append(np.full(n, c))
    return np.concatenate(X), np.concatenate(y)
