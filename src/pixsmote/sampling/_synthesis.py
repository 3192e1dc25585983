"""Pixel synthesis from a plan, chunk by chunk.

This is the only place pixels are produced. It is a pure function of
``(X, plan)``: the array API, the folder writer, the online PyTorch dataset and
any distributed worker all call it.

Integer images are interpolated in float64 and rounded and clipped before the
cast back. imbalanced-learn subtracts ``uint8`` images in ``uint8``, so every
negative difference wraps around (``3 - 5 == 254``) and about half the pixels of
its synthetic images are wrong; see ``tests/sampling/test_uint8.py``.
Floating-point images follow imbalanced-learn's exact arithmetic
(``x + gap * (nn - x)`` with the difference taken in the input's dtype), so
float64 results are bit-for-bit identical to its.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from pixsmote.sampling._plan import Plan

__all__ = ["synthesize"]

# Each chunk holds a few float64 temporaries of shape (rows, features); 32 MiB
# each keeps the working set in cache-friendly territory and the peak memory a
# negligible addition to input + output even for 224x224x3 images.
_CHUNK_BYTES = 32 * 2**20


def _default_chunk_rows(n_features: int) -> int:
    return max(1, _CHUNK_BYTES // (8 * max(1, n_features)))


def synthesize(
    X: Any, plan: Plan, out: np.ndarray | None = None, chunk_size: int | None = None
) -> Any:
    """Produce the synthetic samples of ``plan`` from ``X``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, ...) or sparse matrix
        The images (or rows) the plan indexes: ``(N, D)``, ``(N, H, W)`` or
        ``(N, H, W, C)``, any integer or floating dtype. May be an ``np.memmap``.
    plan : Plan
        Base, neighbour and gap of every synthetic sample.
    out : ndarray, optional
        Array of shape ``(len(plan), *X.shape[1:])`` and dtype ``X.dtype`` to write
        into (for instance a slice of a preallocated result or an ``np.memmap``).
    chunk_size : int, optional
        Rows per chunk (at least 1). By default sized so a chunk's float64
        temporaries take about 32 MiB.

    Raises
    ------
    ValueError
        A `chunk_size` below 1, or a plan index outside ``0 .. len(X) - 1``.

    Returns
    -------
    out : ndarray of shape (len(plan), *X.shape[1:])
        Synthetic samples, dtype ``X.dtype``. Integer dtypes are rounded to the
        nearest integer and clipped to the dtype's range, never wrapped.

    References
    ----------
    .. [1] N. V. Chawla, K. W. Bowyer, L. O. Hall, W. P. Kegelmeyer, "SMOTE:
       synthetic minority over-sampling technique", JAIR 16, 2002.

    Examples
    --------
    >>> import numpy as np
    >>> from pixsmote.sampling import Plan, synthesize
    >>> X = np.array([[[0, 100]], [[200, 255]]], dtype=np.uint8)  # two 1x2 images
    >>> plan = Plan(cls=np.array([1]), base=np.array([0]), neighbor=np.array([1]),
    ...             gap=np.array([0.5]))
    >>> synthesize(X, plan)  # halfway from image 0 to image 1, rounded
    array([[[100, 178]]], dtype=uint8)
    """
    if not isinstance(plan, Plan):
        raise TypeError(
            f"plan must be a pixsmote Plan. Got {type(plan).__name__} instead."
        )
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or int(chunk_size) != chunk_size or chunk_size < 1
    ):
        raise ValueError(
            f"chunk_size must be a positive integer. Got {chunk_size!r} instead."
        )
    if sparse.issparse(X):
        if out is not None:
            raise ValueError("out is not supported for sparse X. Got an array instead.")
        return _synthesize_sparse(X, plan)
    X = np.asarray(X) if not isinstance(X, np.ndarray) else X
    n = len(plan)
    shape = (n, *X.shape[1:])
    if out is None:
        out = np.empty(shape, dtype=X.dtype)
    elif out.shape != shape or out.dtype != X.dtype:
        raise ValueError(
            f"out must have shape {shape} and dtype {X.dtype}. "
            f"Got shape {out.shape} and dtype {out.dtype} instead."
        )
    if n == 0:
        return out
    low = min(plan.base.min(), plan.neighbor.min())
    high = max(plan.base.max(), plan.neighbor.max())
    if low < 0 or high >= len(X):
        # A negative index would silently wrap around to the last samples.
        raise ValueError(
            f"plan indexes must lie in 0..{len(X) - 1} (X has {len(X)} samples). "
            f"Got index {low if low < 0 else high} instead."
        )
    X2 = X.reshape(len(X), -1)
    out2 = out.reshape(n, -1)
    is_int = np.issubdtype(X.dtype, np.integer)
    if is_int:
        info = np.iinfo(X.dtype)
    rows = int(chunk_size) if chunk_size else _default_chunk_rows(X2.shape[1])
    for start in range(0, n, rows):
        sl = slice(start, min(n, start + rows))
        if is_int:
            _interpolate_int(X2, plan, sl, out2[sl], info)
            continue
        base = X2[plan.base[sl]]
        nbr = X2[plan.neighbor[sl]]
        if base.dtype.kind not in "fc":
            base = base.astype(np.float64)
            nbr = nbr.astype(np.float64)
        # Same order of operations as imbalanced-learn: difference in the input's
        # float dtype, optional Borderline-2 scale, then x + gap * diff.
        diff = nbr - base
        if plan.scale is not None:
            diff *= plan.scale[sl, None]
        out2[sl] = base + plan.gap[sl, None] * diff
    return out


def _interpolate_int(X2, plan: Plan, sl: slice, out, info) -> None:
    """``rint(clip(x + gap * scale * (nn - x)))`` in float64 for one chunk.

    The same float64 operations, in the same order, as casting both images to
    float64 first, but with one float64 temporary instead of five: the ufuncs
    cast the uint8 operands on the fly and every later step works in place.
    Measured on 3,000 synthetic images of 128x128x3 uint8 (2-core Xeon, CPU
    time): 1.28 s -> 0.93 s, and 1.50 s -> 0.76 s with a Borderline-2 scale;
    bit-for-bit the same output.
    """
    base = X2[plan.base[sl]]
    diff = np.subtract(X2[plan.neighbor[sl]], base, dtype=np.float64)
    if plan.scale is not None:
        diff *= plan.scale[sl, None]
    diff *= plan.gap[sl, None]
    diff += base  # x + gap * diff: addition commutes exactly in IEEE arithmetic
    np.rint(diff, out=diff)
    np.clip(diff, info.min, info.max, out=diff)
    np.copyto(out, diff, casting="unsafe")


def _synthesize_sparse(X, plan: Plan):
    fmt = X.format
    X = X.tocsr()
    base = X[plan.base]
    diff = X[plan.neighbor] - base
    if plan.scale is not None:
        diff = sparse.csr_matrix(diff.multiply(plan.scale[:, None]))
    res = base + sparse.csr_matrix(plan.gap[:, None]).multiply(diff)
    return res.astype(X.dtype).asformat(fmt)
