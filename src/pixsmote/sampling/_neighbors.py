"""Neighbour spaces (the search itself is in ``_knn``).

The neighbour space decides *who is near whom* (kNN, borderline/danger sets,
the SVM, the k-means clusters); synthesis always happens in pixel space. Pixel
distances between photographs are dominated by lighting and position, so a
reduced space (PCA, or CNN embeddings passed as an array) often gives neighbours
that are semantically closer; it is also much cheaper for large images.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.decomposition import PCA

from pixsmote.sampling._knn import BlockKNN

__all__ = ["compute_features", "BlockKNN"]

# PCA on more than this many float32 bytes (or on wide data) switches to the
# dual form over chunks, so no float copy of a large image dataset is made.
_PCA_INMEMORY_BYTES = 256 * 2**20
_DEFAULT_N_COMPONENTS = 50
# The dual PCA fits its axes on at most this many samples (a 1024^2 Gram).
_PCA_MAX_FIT_ROWS = 1024


def compute_features(neighbor_space, X2, X_orig, n_components=None):
    """Map the samples to the space neighbours are searched in.

    Parameters
    ----------
    neighbor_space : {"pixel", "pca"}, ndarray of shape (n_samples, d) or callable
    X2 : ndarray of shape (n_samples, n_features)
        Flattened samples (a view of the input, not a copy).
    X_orig : array-like
        The input as the user passed it (given to a callable).
    n_components : int, optional
        PCA components (default ``min(50, n_samples, n_features)``).

    Returns
    -------
    F : ndarray or sparse matrix of shape (n_samples, d)
    """
    n = X2.shape[0]
    if isinstance(neighbor_space, str):
        if neighbor_space == "pixel":
            return X2
        if neighbor_space == "pca":
            return _pca(X2, n_components)
        raise ValueError(
            "neighbor_space must be 'pixel', 'pca', an array of shape (n_samples, d) "
            f"or a callable. Got {neighbor_space!r} instead."
        )
    if callable(neighbor_space):
        F = neighbor_space(X_orig)
        return _check_feature_array(F, n, "the array returned by neighbor_space(X)")
    if hasattr(neighbor_space, "shape") or isinstance(neighbor_space, (list, tuple)):
        return _check_feature_array(neighbor_space, n, "neighbor_space")
    raise ValueError(
        "neighbor_space must be 'pixel', 'pca', an array of shape (n_samples, d) "
        f"or a callable. Got {type(neighbor_space).__name__} instead."
    )


def _check_feature_array(F, n, what):
    F = np.asarray(F)
    if F.ndim != 2 or F.shape[0] != n:
        raise ValueError(
            f"{what} must be an array of shape (n_samples, d) = ({n}, d), one row of "
            f"features per sample of X. Got shape {F.shape} instead."
        )
    if not np.issubdtype(F.dtype, np.number):
        raise TypeError(f"{what} must be numeric. Got dtype {F.dtype} instead.")
    if F.dtype.kind == "f" and not np.isfinite(F).all():
        raise ValueError(
            f"{what} contains NaN or infinity. Got non-finite features instead."
        )
    return F


def _pca(X2, n_components):
    n, d = X2.shape
    k = n_components if n_components is not None else _DEFAULT_N_COMPONENTS
    if not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"n_components must be a positive integer. Got {k!r} instead.")
    k = int(min(k, n, d))
    if d <= n and n * d * 4 <= _PCA_INMEMORY_BYTES:
        # Tall and small (e.g. 28x28 images): scikit-learn's exact PCA.
        # Its randomness is fixed (random_state=0) rather than drawn from the
        # sampler's RNG: distances do not depend on the basis' signs, and
        # consuming the user's stream here would shift every later draw.
        F = PCA(n_components=k, random_state=0).fit_transform(
            X2.astype(np.float32, copy=False)
        )
        return F.astype(np.float32, copy=False)
    return _dual_pca(X2, k)


def _dual_pca(X2, k, max_fit_rows=_PCA_MAX_FIT_ROWS):
    """PCA of wide data through the Gram matrix of a subsample (the dual form).

    For images, features far outnumber samples; the principal axes then follow
    from the eigenvectors of the ``(m, m)`` centred Gram matrix of the samples,
    computed block by block in float64 without a float copy of the dataset.
    scikit-learn's randomized SVD took ~8 s at 224x224x3 (302 images) and its
    IncrementalPCA over 240 s at 128x128x3 (3020 images) on 2 cores. The axes
    are fitted on at most ``max_fit_rows`` samples drawn with a fixed seed (see
    ``_pca`` for why not the user's), then every sample is projected.
    """
    n, d = X2.shape
    if n > max_fit_rows:
        fit_idx = np.sort(
            np.random.RandomState(0).choice(n, max_fit_rows, replace=False)
        )
    else:
        fit_idx = np.arange(n)
    m = len(fit_idx)
    rows = max(1, (64 * 2**20) // (8 * d))
    mu = np.zeros(d)
    for s in range(0, m, rows):
        mu += X2[fit_idx[s : s + rows]].astype(np.float64).sum(axis=0)
    mu /= m
    G = np.empty((m, m))
    for i in range(0, m, rows):
        bi = X2[fit_idx[i : i + rows]].astype(np.float64) - mu
        for j in range(i, m, rows):
            bj = bi if j == i else X2[fit_idx[j : j + rows]].astype(np.float64) - mu
            g = bi @ bj.T
            G[i : i + rows, j : j + rows] = g
            G[j : j + rows, i : i + rows] = g.T
    lam, U = np.linalg.eigh(G)
    lam, U = lam[::-1], U[:, ::-1]
    keep = lam > lam[0] * 1e-10 if lam[0] > 0 else np.zeros_like(lam, dtype=bool)
    k = max(1, min(k, int(keep.sum())))
    U = U[:, :k] / np.sqrt(np.maximum(lam[:k], 1e-300))
    V = np.zeros((d, k))
    for s in range(0, m, rows):
        V += (X2[fit_idx[s : s + rows]].astype(np.float64) - mu).T @ U[s : s + rows]
    F = np.empty((n, k), dtype=np.float32)
    shift = mu @ V
    for s in range(0, n, rows):
        F[s : s + rows] = X2[s : s + rows].astype(np.float64) @ V - shift
    return F
