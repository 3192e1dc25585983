"""Checks of :func:`pixsmote.train.fit`'s arguments and data, kept out of the
loop so that it reads as training only.

Settings errors are :class:`~pixsmote._errors.UsageError`, data errors
:class:`~pixsmote._errors.DataError`, each with a one-line message.
"""

from __future__ import annotations

import numpy as np
import torch

from pixsmote._errors import DataError, UsageError

__all__ = [
    "KEEP_CHOICES",
    "check_keep",
    "check_known_labels",
    "check_settings",
    "check_training_classes",
    "load_data",
    "to_tensors",
]


#: Which weights a training run keeps (``keep`` of fit and retrain_head).
KEEP_CHOICES = ("best", "last")


def check_keep(keep) -> str:
    """Return ``keep`` if it names a checkpoint :func:`fit` can keep.

    Parameters
    ----------
    keep : str
        Which weights a run ends with: ``"best"`` (the evaluation with the
        highest validation ACSA) or ``"last"`` (the final step's).

    Returns
    -------
    str
        ``keep``, unchanged.

    Raises
    ------
    UsageError
        If ``keep`` is not one of :data:`KEEP_CHOICES`; the one message the
        library, the bench config and the CLI share.
    """
    if keep not in KEEP_CHOICES:
        raise UsageError(
            f"keep must be one of {list(KEEP_CHOICES)}. Got {keep!r} instead."
        )
    return keep


def check_settings(
    *,
    steps,
    epochs,
    batch_size,
    eval_batch_size,
    n_classes,
    eval_every,
    class_counts,
) -> int:
    """Validate :func:`fit`'s scalar settings; return the resolved ``eval_every``."""
    if (steps is None) == (epochs is None):
        raise UsageError(
            "Give exactly one of steps and epochs. "
            f"Got steps={steps!r}, epochs={epochs!r} instead."
        )
    for name, value in (("steps", steps), ("epochs", epochs)):
        if value is not None and (not isinstance(value, int | np.integer) or value < 1):
            raise UsageError(
                f"{name} must be a positive integer. Got {value!r} instead."
            )
    # batch_size >= 2: BatchNorm cannot normalise a batch of one in training.
    for name, value, low in (
        ("batch_size", batch_size, 2),
        ("eval_batch_size", eval_batch_size, 1),
    ):
        if not isinstance(value, int | np.integer) or value < low:
            raise UsageError(
                f"{name} must be an integer >= {low}. Got {value!r} instead."
            )
    if not isinstance(n_classes, int | np.integer) or n_classes < 2:
        raise UsageError(
            f"n_classes must be an integer >= 2. Got {n_classes!r} instead."
        )
    if eval_every is None:
        eval_every = 1 if steps is None else max(1, steps // 50)
    if not isinstance(eval_every, int | np.integer) or eval_every < 1:
        raise UsageError(
            f"eval_every must be a positive integer. Got {eval_every!r} instead."
        )
    if class_counts is not None and len(class_counts) != n_classes:
        raise UsageError(
            f"class_counts must have n_classes={n_classes} entries. "
            f"Got {len(class_counts)} instead."
        )
    return int(eval_every)


def load_data(train_data, val, test_sets, n_classes, device):
    """Check and move :func:`fit`'s data to ``device``.

    Returns ``(X, Y, X_val, Y_val, tests, train_counts)``: uint8 ``(N, C, H, W)``
    and int64 tensors (of the first epoch's data when ``train_data`` is
    callable), test-set name -> ``(X, Y)``, and the training class counts.
    """
    first = train_data(0) if callable(train_data) else train_data
    X, Y = to_tensors(first, "train_data", n_classes, device)
    train_counts = torch.bincount(Y, minlength=n_classes).cpu().numpy()
    check_training_classes(train_counts)
    X_val, Y_val = to_tensors(val, "val", n_classes, device, X.shape[1:])
    check_known_labels(Y_val, train_counts, "val")
    tests = {}
    for name, data in (test_sets or {}).items():
        what = f"test set {name!r}"
        tests[name] = to_tensors(data, what, n_classes, device, X.shape[1:])
        check_known_labels(tests[name][1], train_counts, what)
    return X, Y, X_val, Y_val, tests, train_counts


def to_tensors(data, what, n_classes, device, image_shape=None):
    """``(X uint8 (N,H,W[,C]), y)`` -> uint8 ``(N, C, H, W)`` and int64 tensors."""
    if not isinstance(data, tuple | list) or len(data) != 2:
        raise DataError(
            f"{what} must be a pair (X, y). Got {type(data).__name__} instead."
        )
    X, y = (
        np.asarray(a) if not isinstance(a, torch.Tensor) else a.cpu().numpy()
        for a in data
    )
    if X.dtype != np.uint8:
        raise DataError(f"{what}: images must be uint8. Got dtype {X.dtype} instead.")
    if X.ndim == 3:
        X = X[:, None]
    elif X.ndim == 4 and X.shape[-1] in (1, 3):
        X = X.transpose(0, 3, 1, 2)
    else:
        raise DataError(
            f"{what}: images must have shape (N, H, W) or (N, H, W, C) with C in "
            f"{{1, 3}}. Got shape {X.shape} instead."
        )
    if min(X.shape[2:]) < 8:
        raise DataError(
            f"{what}: images must be at least 8x8. Got {X.shape[2:]} instead."
        )
    if image_shape is not None and tuple(X.shape[1:]) != tuple(image_shape):
        raise DataError(
            f"{what}: images must have the training shape (C, H, W) = "
            f"{tuple(image_shape)}. Got {tuple(X.shape[1:])} instead."
        )
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise DataError(
            f"{what}: y must be 1-D with one label per image ({X.shape[0]}). "
            f"Got shape {y.shape} instead."
        )
    if X.shape[0] == 0:
        raise DataError(f"{what} is empty.")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= n_classes:
        raise DataError(
            f"{what}: labels must be integers in [0, {n_classes}). Got dtype "
            f"{y.dtype}, range [{y.min()}, {y.max()}] instead."
        )
    X = np.ascontiguousarray(X)
    if not X.flags.writeable:
        # Read-only input (a memory map, a cached split): torch warns and would
        # share memory it may not write, so the loop gets its own copy.
        X = X.copy()
    X_t = torch.from_numpy(X).to(device)
    y_t = torch.from_numpy(y.astype(np.int64)).to(device)
    return X_t, y_t


def check_training_classes(counts) -> None:
    present = int((np.asarray(counts) > 0).sum())
    if present < 2:
        raise DataError(
            "the training data must hold at least 2 classes to train a classifier. "
            f"Got {present} class(es) instead (counts {np.asarray(counts).tolist()})."
        )


def check_known_labels(y, train_counts, what) -> None:
    labels = torch.unique(y).cpu().numpy()
    unknown = [int(c) for c in labels if train_counts[c] == 0]
    if unknown:
        raise DataError(
            f"{what} has labels {unknown} that the training data lacks; a model "
            "cannot learn them. Remove those images or add training examples."
        )
