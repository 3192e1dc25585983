"""Neighbour spaces and nearest-neighbour search.

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


class BlockKNN:
    """Exact brute-force k-nearest neighbours on integer pixels, block by block.

    A drop-in for the part of :class:`sklearn.neighbors.NearestNeighbors` the
    samplers use (``fit``, ``kneighbors``, ``n_neighbors``). scikit-learn would
    first cast the whole fitted set to float64 (8x the ``uint8`` input); this
    class converts one block of rows at a time and uses the
    ``|a|^2 + |b|^2 - 2 a.b`` expansion with a BLAS product, so the extra memory
    is a few blocks plus an ``(n_query, n_fit)`` distance matrix.

    The products are float64, which is exact for integer pixels (the sums stay
    far below 2**53), so the neighbours are exactly the brute-force ones, exact
    ties (duplicate images) going to the lower index. float32 products were
    ~1.5x faster but swapped near-ties (0.1 % of synthetic pixels differed from
    imbalanced-learn's float64 search at 128x128x3), and re-ranking float32
    candidates exactly cost more than the float64 product itself (measured
    8.1 s against 3.6 s for a class of 800 images of 128x128x3).
    Used only for integer images in pixel space; float inputs keep
    scikit-learn's estimator so results stay bit-for-bit imbalanced-learn's.
    """

    _BLOCK_BYTES = 64 * 2**20

    def __init__(self, n_neighbors: int, block_rows: int | None = None):
        self.n_neighbors = n_neighbors
        self.block_rows = block_rows

    def _rows(self, d):
        return self.block_rows or max(1, self._BLOCK_BYTES // (8 * max(1, d)))

    def fit(self, F):
        self._F = F
        self.n_samples_fit_ = F.shape[0]
        rows = self._rows(F.shape[1])
        self._sq = np.empty(F.shape[0], dtype=np.float64)
        for s in range(0, F.shape[0], rows):
            b = F[s : s + rows].astype(np.float64)
            self._sq[s : s + rows] = np.einsum("ij,ij->i", b, b)
        return self

    def kneighbors(self, Q=None, n_neighbors=None, return_distance=True):
        k = n_neighbors or self.n_neighbors
        F = self._F
        if Q is None:
            raise ValueError(
                "BlockKNN.kneighbors needs the query samples. Got None instead."
            )
        if k > self.n_samples_fit_:
            raise ValueError(
                f"Expected n_neighbors <= n_samples_fit, but n_neighbors = {k}, "
                f"n_samples_fit = {self.n_samples_fit_}, n_samples = {Q.shape[0]}"
            )
        rows = self._rows(F.shape[1])
        if Q is F:
            # The samplers always query the fitted set itself. Its Gram matrix is
            # symmetric, so compute only the blocks on and above the diagonal,
            # mirror them, and reuse fit's squared norms: half the GEMM work.
            dist, q_sq = self._self_gram(F, rows), self._sq
        else:
            dist, q_sq = self._cross_gram(Q, F, rows)
        dist *= -2.0
        dist += q_sq[:, None]
        dist += self._sq[None, :]
        np.maximum(dist, 0.0, out=dist)
        if k < self.n_samples_fit_:
            cand = np.argpartition(dist, k, axis=1)[:, : k + 1]
        else:
            cand = np.broadcast_to(np.arange(k), (dist.shape[0], k))
        approx = np.take_along_axis(dist, cand, axis=1)
        order = np.lexsort((cand, approx), axis=1)[:, :k]
        idx = np.take_along_axis(cand, order, axis=1)
        if return_distance:
            return np.sqrt(np.take_along_axis(approx, order, axis=1)), idx
        return idx

    def _self_gram(self, F, rows):
        n = self.n_samples_fit_
        dist = np.empty((n, n), dtype=np.float64)
        for i in range(0, n, rows):
            bi = F[i : i + rows].astype(np.float64)
            dist[i : i + rows, i : i + rows] = bi @ bi.T
            for j in range(i + rows, n, rows):
                g = bi @ F[j : j + rows].astype(np.float64).T
                dist[i : i + rows, j : j + rows] = g
                dist[j : j + rows, i : i + rows] = g.T
        return dist

    def _cross_gram(self, Q, F, rows):
        nq = Q.shape[0]
        dist = np.empty((nq, self.n_samples_fit_), dtype=np.float64)
        q_sq = np.empty(nq, dtype=np.float64)
        for qs in range(0, nq, rows):
            qb = Q[qs : qs + rows].astype(np.float64)
            q_sq[qs : qs + rows] = np.einsum("ij,ij->i", qb, qb)
            for fs in range(0, self.n_samples_fit_, rows):
                fb = F[fs : fs + rows].astype(np.float64)
                dist[qs : qs + rows, fs : fs + rows] = qb @ fb.T
        return dist, q_sq
