"""Classification metrics for imbalanced data, from one confusion matrix.

Rule for classes absent from ``y_true`` (e.g. a test set without class 3): their
recall is undefined, reported as NaN in ``per_class_recall``, and they are left
out of ACSA and GM, which average over the classes present in ``y_true``. This
is what :func:`sklearn.metrics.balanced_accuracy_score` does. Macro-F1 averages
over the classes present in ``y_true`` or ``y_pred``, like
``sklearn.metrics.f1_score(average="macro", zero_division=0)`` (a class that is
predicted but never true has F1 = 0).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from pixsmote._errors import DataError

__all__ = ["compute_metrics", "confusion_matrix"]


def _as_numpy(a) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return np.asarray(a).ravel()


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """``(n_classes, n_classes)`` int64 counts, rows = true class, cols = predicted.

    Parameters
    ----------
    y_true, y_pred : array-like of int
        True and predicted labels.
    n_classes : int
        Size of the matrix.
    """
    t, p = _as_numpy(y_true).astype(np.int64), _as_numpy(y_pred).astype(np.int64)
    if t.shape != p.shape:
        raise DataError(
            f"y_true and y_pred must have the same length. Got {t.size} and "
            f"{p.size} instead."
        )
    for name, v in (("y_true", t), ("y_pred", p)):
        if v.size and (v.min() < 0 or v.max() >= n_classes):
            raise DataError(
                f"{name} must hold labels in [0, {n_classes}). Got labels from "
                f"{int(v.min())} to {int(v.max())} instead."
            )
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(
        n_classes, n_classes
    )


def compute_metrics(y_true, y_pred, n_classes: int) -> dict:
    """Accuracy, ACSA, GM, macro-F1, per-class recall and the confusion matrix.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (N,)
        True and predicted labels in ``[0, n_classes)`` (numpy or torch).
    n_classes : int
        Number of classes (the confusion matrix is ``n_classes`` square).

    Returns
    -------
    dict
        ``accuracy``, ``acsa`` (average class-specific accuracy, i.e. balanced
        accuracy: the mean recall), ``gm`` (geometric mean of the recalls,
        ``prod(recall_c) ** (1 / C)``, 0 if any recall is 0), ``macro_f1``: floats
        in [0, 1] (NaN for an empty ``y_true``); ``per_class_recall``: list of
        ``n_classes`` floats, NaN for classes absent from ``y_true``;
        ``confusion_matrix``: list of lists of int, rows = true class. Absent
        classes are excluded from ACSA and GM (see the module doc).
    """
    cm = confusion_matrix(y_true, y_pred, n_classes)
    support = cm.sum(1)
    predicted = cm.sum(0)
    tp = np.diag(cm).astype(np.float64)
    present = support > 0
    n = int(support.sum())

    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(present, tp / support, np.nan)
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        denom = precision + np.nan_to_num(recall)
        f1 = np.where(denom > 0, 2 * precision * np.nan_to_num(recall) / denom, 0.0)
    r = recall[present]
    in_f1 = present | (predicted > 0)
    return {
        "accuracy": float(tp.sum() / n) if n else math.nan,
        "acsa": float(r.mean()) if r.size else math.nan,
        "gm": _geometric_mean(r),
        "macro_f1": float(f1[in_f1].mean()) if in_f1.any() else math.nan,
        "per_class_recall": [float(v) for v in recall],
        "confusion_matrix": cm.tolist(),
    }


def _geometric_mean(r: np.ndarray) -> float:
    if r.size == 0:
        return math.nan
    if np.any(r == 0):
        return 0.0
    # exp(mean(log)) rather than prod ** (1/C): the product of many small recalls
    # underflows float64 (0.01 ** 200 == 0).
    return float(np.exp(np.log(r).mean()))
