"""Fixtures of the report tests: fake run folders and a fake SMOTE plan.

Everything here follows docs/contracts.md, written by hand so the report tests
depend on nothing but the contract (not on train/ or sampling/). The helpers
are handed to the tests as fixtures because pytest runs with
``--import-mode=importlib``, where a test module cannot import a sibling.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

CLASS_NAMES = ["zero", "one", "two"]
METRIC_COLUMNS = [
    "epoch", "step", "lr", "train_loss", "train_acc", "val_loss", "val_acc",
    "val_acsa", "val_gm", "val_macro_f1", "time_s",
]  # fmt: skip


def _write_run(
    root: Path,
    recipe: str,
    seed: int,
    *,
    tests: dict | None = None,
    epochs: int = 4,
    class_names: list[str] | None = None,
    folder: str | None = None,
) -> Path:
    """One run folder; `tests` is results.json's "test" mapping."""
    class_names = class_names or CLASS_NAMES
    path = root / (folder or f"{recipe}/seed{seed}")
    path.mkdir(parents=True)
    n_classes = len(class_names)
    config = {
        "recipe": recipe,
        "model": "tiny",
        "seed": seed,
        "steps": epochs * 10,
        "batch_size": 32,
        "lr": 0.01,
        "class_names": class_names,
        "train_counts_before": [100 // (2**c) + 1 for c in range(n_classes)],
        "train_counts_after": [101] * n_classes,
        "versions": {"python": "3.11.9", "numpy": "2.4.6", "device": "cpu"},
    }
    (path / "config.json").write_text(json.dumps(config))
    with (path / "metrics.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(METRIC_COLUMNS)
        for e in range(1, epochs + 1):
            loss = 2.0 / e + 0.01 * seed
            acc = 1 - 0.5 / e
            writer.writerow(
                [e, e * 10, 0.01, loss, acc, loss * 1.1, acc - 0.05,
                 acc - 0.1, acc - 0.15, acc - 0.12, 0.5 * e]
            )  # fmt: skip
    results = {
        "recipe": recipe,
        "seed": seed,
        "class_names": class_names,
        "best_epoch": epochs,
        "time_s": 2.0 + seed,
        "versions": {"python": "3.11.9", "torch": "2.13.0"},
        "test": tests if tests is not None else {},
    }
    (path / "results.json").write_text(json.dumps(results))
    return path


def _make_entry(
    accuracy: float,
    acsa: float | None = None,
    *,
    n_classes: int = 3,
    seed: int = 0,
    recall: list | None = None,
) -> dict:
    """A results.json test entry with a plausible confusion matrix."""
    rng = np.random.default_rng(seed)
    cm = rng.integers(0, 5, size=(n_classes, n_classes))
    cm[np.diag_indices(n_classes)] += 30
    return {
        "accuracy": accuracy,
        "acsa": accuracy - 0.05 if acsa is None else acsa,
        "gm": accuracy - 0.1,
        "macro_f1": accuracy - 0.07,
        "per_class_recall": recall or list(np.diag(cm) / cm.sum(axis=1)),
        "confusion_matrix": cm.tolist(),
    }


@dataclass
class FakePlan:
    """Same fields as pixsmote.sampling.Plan; the report only reads them."""

    cls: np.ndarray
    base: np.ndarray
    neighbor: np.ndarray
    gap: np.ndarray

    def __len__(self) -> int:
        return len(self.base)


def _fake_smote(X: np.ndarray, y: np.ndarray, seed: int = 0):
    """Oversample every class to the largest: random in-class pairs.

    Returns (X_after, y_after, synthetic_mask, plan, X_synth).
    """
    rng = np.random.default_rng(seed)
    labels, counts = np.unique(y, return_counts=True)
    rows = []
    for lab, count in zip(labels, counts, strict=True):
        members = np.flatnonzero(y == lab)
        k = counts.max() - count
        if k == 0:
            continue
        rows.append(
            (
                np.full(k, lab),
                rng.choice(members, k),
                rng.choice(members, k),
                rng.random(k),
            )
        )
    cls, base, neighbor, gap = (
        np.concatenate(parts) for parts in zip(*rows, strict=True)
    )
    plan = FakePlan(cls, base, neighbor, gap)
    shape = (-1,) + (1,) * (X.ndim - 1)
    a = X[base].astype(np.float32)
    b = X[neighbor].astype(np.float32)
    X_synth = np.clip(np.rint(a + gap.reshape(shape) * (b - a)), 0, 255)
    X_synth = X_synth.astype(X.dtype)
    X_after = np.concatenate([X, X_synth])
    y_after = np.concatenate([y, cls])
    mask = np.r_[np.zeros(len(X), bool), np.ones(len(X_synth), bool)]
    return X_after, y_after, mask, plan, X_synth


def _make_bench(root: Path) -> Path:
    """Two recipes x three seeds, two test sets."""
    for r, recipe in enumerate(["none", "smote"]):
        for seed in range(3):
            acc = 0.80 + 0.05 * r + 0.01 * seed
            tests = {
                "test": _make_entry(acc, seed=seed),
                "test-balanced": _make_entry(acc - 0.1, seed=seed + 10),
            }
            _write_run(root, recipe, seed, tests=tests)
    return root


def _make_images() -> tuple[np.ndarray, np.ndarray]:
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


@pytest.fixture
def bench(tmp_path: Path) -> Path:
    """Two recipes x three seeds, two test sets (see ``_make_bench``)."""
    return _make_bench(tmp_path / "bench")


@pytest.fixture
def images() -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: 40/12/4 images of 8x8 uint8, one bar pattern per class."""
    return _make_images()


@pytest.fixture(scope="session")
def full_report(tmp_path_factory) -> tuple[Path, Path]:
    """``(html, md)`` of a report with every section, written once per session.

    Session-scoped because several tests only read it and drawing it takes
    seconds.
    """
    from pixsmote.report import load_runs, write_report

    tmp = tmp_path_factory.mktemp("full_report")
    X, y = _make_images()
    X_after, y_after, mask, plan, X_synth = _fake_smote(X, y)
    return write_report(
        tmp / "out",
        load_runs(_make_bench(tmp / "bench")),
        title="digits & friends",
        scatter={"smote": (X, y, X_after, y_after, mask)},
        grids={"smote": (X, plan, X_synth)},
        commands=["pixsmote bench --recipes none,smote --seeds 3"],
        notes="A note.",
    )


@pytest.fixture
def write_run():
    """The run-folder writer: ``write_run(root, recipe, seed, tests=...)``."""
    return _write_run


@pytest.fixture
def make_entry():
    """A results.json test entry: ``make_entry(accuracy, ...)``."""
    return _make_entry


@pytest.fixture
def fake_smote():
    """``fake_smote(X, y) -> (X_after, y_after, mask, plan, X_synth)``."""
    return _fake_smote
