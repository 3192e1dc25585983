"""Input checks that speak the user's language.

scikit-learn's own checks would reject image arrays ("Found array with dim 4")
or fail deep inside numpy; these run first and name the parameter, what was
expected and what was given.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from scipy import sparse

__all__ = ["flatten_images", "resolve_k"]


def flatten_images(X, y, *, allow_object=False):
    """Validate ``X``/``y`` and return a 2-D view of ``X`` plus its original shape.

    Non-ndarray inputs (DataFrames, sparse matrices, lists) are returned as they
    are, with ``shape=None``: imbalanced-learn's own validation handles them.

    Parameters
    ----------
    X : array-like
        Samples: ``(n, d)`` rows, or ``(n, H, W[, C])`` images (flattened as a view).
    y : array-like of shape (n,)
        Labels, checked to have one per sample.
    allow_object : bool, default=False
        Accept object/mixed columns (DataFrames for ROS/RUS) as they are.
    """
    if sparse.issparse(X) or not isinstance(X, np.ndarray):
        if isinstance(X, (list, tuple)) and len(X) and hasattr(X[0], "__len__"):
            try:
                arr = np.asarray(X)
            except ValueError as exc:
                raise ValueError(
                    "X must be a rectangular array; its rows have different shapes. "
                    "Got a ragged sequence instead."
                ) from exc
            if arr.dtype == object and not allow_object:
                shapes = {np.shape(r) for r in X}
                if len(shapes) > 1:
                    raise ValueError(
                        "X must be a rectangular array; its rows have different "
                        f"shapes {sorted(shapes)[:4]}. Got a ragged sequence instead."
                    )
        return X, None
    n = X.shape[0] if X.ndim else 0
    y_len = len(y) if hasattr(y, "__len__") else None
    if X.ndim < 2 or X.ndim > 4:
        raise ValueError(
            "X must be 2-D (n_samples, n_features), 3-D (n_samples, height, width) "
            f"or 4-D (n_samples, height, width, channels). Got shape {X.shape} instead."
        )
    if y_len is not None and y_len != n:
        raise ValueError(
            f"X and y must have the same number of samples. Got {n} samples in X "
            f"and {y_len} labels in y instead."
        )
    if X.dtype == object:
        if allow_object and X.ndim == 2:
            return X, None
        raise TypeError(
            "X must be a numeric array (uint8, uint16, float32 or float64 images). "
            "Got dtype object instead."
        )
    if X.dtype.kind not in "uif" or X.dtype == np.float16:
        raise TypeError(
            "X must be a numeric array (uint8, uint16, float32 or float64 images). "
            f"Got dtype {X.dtype} instead."
        )
    if X.dtype.kind == "f" and not allow_object:
        bad = ~np.isfinite(X.reshape(n, -1)).all(axis=1)
        if bad.any():
            raise ValueError(
                "X must not contain NaN or infinity. Got non-finite values in "
                f"{int(bad.sum())} sample(s), the first at index "
                f"{int(np.flatnonzero(bad)[0])}, instead."
            )
    shape = X.shape
    if X.ndim > 2:
        X = X.reshape(n, -1)  # a view for contiguous input: no copy of the images
    return X, shape


def label_repr(label):
    """``1`` rather than ``np.int64(1)`` in messages; strings stay quoted."""
    return repr(label.item() if isinstance(label, np.generic) else label)


def resolve_k(param_name, k, default, n_fit, class_label, *, extra=1):
    """Number of neighbours to use for a class of ``n_fit`` candidates.

    ``k`` is the sampler's ``k_neighbors`` (or ``n_neighbors``); ``"auto"`` uses
    ``min(default, n_fit - 1)`` with a warning when that is smaller than
    ``default``. Raises a ValueError naming the class, its count and ``k`` when a
    class is too small.

    Parameters
    ----------
    param_name : str
        The parameter being resolved, for messages (``"k_neighbors"``).
    k : int or "auto"
        The value given; ``"auto"`` means ``min(default, n_fit - extra)``.
    default : int
        The value ``"auto"`` starts from.
    n_fit : int
        Samples the neighbours are searched among.
    class_label : object
        The class being sampled, for messages.
    extra : int, default=1
        Samples of `n_fit` that cannot be neighbours (the query itself).
    """
    if isinstance(k, str):  # "auto"
        k_eff = min(default, n_fit - extra)
        if k_eff < 1:
            raise ValueError(
                f"Class {label_repr(class_label)} has {n_fit} sample(s): too few to "
                f"find even one neighbour ({param_name}='auto'). Use "
                "RandomOverSampler for this class, or drop it. Got a class of size "
                f"{n_fit} instead."
            )
        if k_eff < default:
            warnings.warn(
                f"Class {label_repr(class_label)} has {n_fit} samples; using "
                f"{param_name}={k_eff} instead of {default} for it "
                f"({param_name}='auto').",
                UserWarning,
                stacklevel=4,
            )
        return k_eff
    if isinstance(k, numbers.Integral) and n_fit < k + extra:
        raise ValueError(
            f"Class {label_repr(class_label)} has {n_fit} sample(s), too few for "
            f"{param_name}={k}: each sample needs {k} neighbours of its class. Use a "
            f"smaller {param_name} (at most {n_fit - extra}), {param_name}='auto', or "
            f"RandomOverSampler. Got {param_name}={k} instead."
        )
    return k
