"""Neighbour spaces and nearest-neighbour search.

The neighbour space decides *who is near whom* (kNN, borderline/danger sets,
the SVM, the k-means clusters); synthesis always happens in pixel space. Pixel
distances between photographs are dominated by lighting and position, so a
reduced space (PCA, or CNN embeddings passed as an array) often gives neighbours
that are semantically closer; it is also much cheaper for large images.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy import sparse

__all__ = ["compute_features", "fit_pca", "PCABasis", "BlockKNN"]

_DEFAULT_N_COMPONENTS = 50
# Rows are read, cast to float64 and multiplied in chunks of about this many
# bytes of float64, so no float copy of a large image dataset is ever made.
_CHUNK_BYTES = 64 * 2**20
# The principal axes are fitted on at most this many rows (a fixed-seed
# subsample beyond), and an eigenproblem is never larger than this: a 1024^2
# Gram matrix and its eigh take well under a second.
_PCA_MAX_FIT_ROWS = 1024


def _chunk_rows(d: int) -> int:
    """Rows per chunk for rows of ``d`` features; depends on ``d`` only.

    The chunking, and with it every floating-point sum, is therefore the same
    whether the rows come from an array or from a lazy reader.
    """
    return max(1, _CHUNK_BYTES // (8 * max(1, d)))


class _Rows:
    """Uniform chunked access to an ``(n, d)`` array or to a row reader.

    A row reader is any object with ``__len__`` and ``take(indices)`` returning
    the rows ``indices`` as an array of shape ``(len(indices), ...)``, e.g. a
    lazy source of images that decodes them on demand.
    """

    def __init__(self, rows):
        self._array = isinstance(rows, np.ndarray) or sparse.issparse(rows)
        self._rows = rows
        self.n = rows.shape[0] if self._array else len(rows)
        shape = rows.shape[1:] if self._array else getattr(rows, "image_shape", None)
        if shape is None:  # a reader that does not say: look at its first row
            shape = self._read(np.array([0], dtype=np.int64)).shape[1:]
        self.d = int(np.prod(shape))

    def _read(self, idx):
        return np.asarray(self._rows.take(idx))

    def get(self, idx):
        """Rows ``idx`` (sorted int64 indices) as a 2-D float64 array."""
        if self._array:
            block = self._rows[idx]
            if sparse.issparse(block):
                block = block.toarray()
        else:
            block = self._read(idx)
        return np.asarray(block, dtype=np.float64).reshape(len(idx), self.d)

    def stored(self, start, stop):
        """Rows ``start:stop`` in their stored dtype, flattened."""
        if self._array:
            return self._rows[start:stop]
        block = self._read(np.arange(start, stop, dtype=np.int64))
        return block.reshape(stop - start, self.d)


def compute_features(neighbor_space, X2, X_orig, n_components=None):
    """Map the samples to the space neighbours are searched in.

    Parameters
    ----------
    neighbor_space : {"pixel", "pca"}, ndarray of shape (n_samples, d) or callable
    X2 : ndarray of shape (n_samples, n_features), sparse matrix, or row reader
        Flattened samples (a view of the input, not a copy), or any object with
        ``__len__`` and ``take(indices)`` that reads samples on demand. Both give
        the same features: they are read in the same chunks.
    X_orig : array-like or object
        The input as the user passed it (given to a callable).
    n_components : int, optional
        PCA components (default ``min(50, n_samples, n_features)``).

    Returns
    -------
    F : ndarray or sparse matrix of shape (n_samples, d)
        ``"pixel"``: ``X2`` itself (a reader's rows, read into memory in their
        stored dtype); ``"pca"``: float32 principal-component scores.
    """
    rows = _Rows(X2)
    n = rows.n
    if isinstance(neighbor_space, str):
        if neighbor_space == "pixel":
            return X2 if rows._array else _read_all(rows)
        if neighbor_space == "pca":
            k = _check_n_components(n_components)
            return fit_pca(rows, k).transform(rows)
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


def _read_all(rows: _Rows) -> np.ndarray:
    first = rows.stored(0, min(rows.n, 1))
    F = np.empty((rows.n, rows.d), dtype=first.dtype)
    step = max(1, _CHUNK_BYTES // max(1, rows.d))
    for s in range(0, rows.n, step):
        e = min(rows.n, s + step)
        F[s:e] = rows.stored(s, e)
    return F


def _check_n_components(k):
    k = _DEFAULT_N_COMPONENTS if k is None else k
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"n_components must be a positive integer. Got {k!r} instead.")
    return int(k)


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


@dataclass(frozen=True, eq=False)
class PCABasis:
    """Principal axes fitted by :func:`fit_pca`: ``scores = (x - mean) @ axes``.

    Attributes
    ----------
    mean : ndarray of shape (n_features,)
    axes : ndarray of shape (n_features, k)
        Orthonormal principal axes, by decreasing variance.
    explained_variance : ndarray of shape (k,)
    """

    mean: np.ndarray
    axes: np.ndarray
    explained_variance: np.ndarray

    def transform(self, rows) -> np.ndarray:
        """float32 scores of ``rows`` (an array or a row reader), chunk by chunk."""
        rows = rows if isinstance(rows, _Rows) else _Rows(rows)
        if rows.d != len(self.mean):
            raise ValueError(
                f"rows must have {len(self.mean)} features, as the rows the basis "
                f"was fitted on. Got {rows.d} instead."
            )
        shift = self.mean @ self.axes
        F = np.empty((rows.n, self.axes.shape[1]), dtype=np.float32)
        step = _chunk_rows(rows.d)
        for s in range(0, rows.n, step):
            e = min(rows.n, s + step)
            F[s:e] = rows.get(np.arange(s, e)) @ self.axes - shift
        return F


def fit_pca(rows, n_components, *, max_fit_rows=None, form=None):
    """Exact PCA of an array or a row reader, from chunked second moments.

    The axes come from the eigenvectors of the ``(d, d)`` covariance matrix
    (the primal form, when there are at least as many fitted rows as features)
    or of the ``(m, m)`` centred Gram matrix of the fitted rows (the dual form,
    for images, where features far outnumber samples). Both are accumulated
    from uncentred products of float64 chunks, which are exact for integer
    pixels (every partial sum stays an integer below 2**53), so for ``uint8``
    and ``uint16`` images the moments do not depend on the chunking at all;
    for float images the chunks are the same for arrays and readers (see
    ``_chunk_rows``). Either way an array and a reader of the same rows give
    bit-for-bit the same scores. The axes are fitted on every row when there
    are at most ``max_fit_rows`` rows or at most ``max_fit_rows`` features
    (covariance eigenproblem of at most that size), otherwise on a subsample of
    ``max_fit_rows`` rows drawn with a fixed seed: distances do not depend on a
    random choice of the user's, and consuming the user's random stream here
    would shift every later draw of the plan.

    scikit-learn's randomized SVD took ~8 s at 224x224x3 (302 images) and its
    IncrementalPCA over 240 s at 128x128x3 (3020 images) on 2 cores, and
    IncrementalPCA's result depends on the batch boundaries.

    Parameters
    ----------
    rows : ndarray of shape (n, ...), sparse matrix or row reader
    n_components : int
        Upper bound on the number of axes (also bounded by the rank).
    max_fit_rows : int, optional
        Default 1024.
    form : {"primal", "dual"}, optional
        Force one form (default: the smaller eigenproblem).

    Returns
    -------
    PCABasis

    References
    ----------
    .. [1] I. T. Jolliffe, "Principal Component Analysis", 2nd ed., Springer,
       2002 (section 3.5 for the dual, Gram-matrix form).
    """
    rows = rows if isinstance(rows, _Rows) else _Rows(rows)
    n, d = rows.n, rows.d
    if max_fit_rows is None:
        max_fit_rows = _PCA_MAX_FIT_ROWS
    if n <= max_fit_rows or d <= max_fit_rows:
        fit_idx = np.arange(n, dtype=np.int64)
    else:
        fit_idx = np.sort(
            np.random.RandomState(0).choice(n, max_fit_rows, replace=False)
        ).astype(np.int64)
    m = len(fit_idx)
    if form is None:
        form = "primal" if d <= m else "dual"
    step = _chunk_rows(d)
    chunks = [fit_idx[s : s + step] for s in range(0, m, step)]
    total = np.zeros(d)
    if form == "primal":
        C = np.zeros((d, d))
        for idx in chunks:
            b = rows.get(idx)
            total += b.sum(axis=0)
            C += b.T @ b
        mu = total / m
        C -= np.outer(total, mu)
        lam, W = np.linalg.eigh(C)
        lam, W = lam[::-1], W[:, ::-1]
        k = _rank(lam, n_components)
        axes = W[:, :k]
    else:
        G = np.empty((m, m))
        for i, idx_i in enumerate(chunks):
            bi = rows.get(idx_i)
            total += bi.sum(axis=0)
            si = slice(i * step, i * step + len(idx_i))
            for j in range(i, len(chunks)):
                bj = bi if j == i else rows.get(chunks[j])
                sj = slice(j * step, j * step + len(chunks[j]))
                g = bi @ bj.T
                G[si, sj] = g
                G[sj, si] = g.T
        mu = total / m
        # Double centring, H G H with H = I - 11'/m: the Gram matrix of the
        # centred rows, from the (exact) uncentred one.
        r = G.mean(axis=1)
        G -= r[:, None]
        G -= r[None, :]
        G += r.mean()
        lam, U = np.linalg.eigh(G)
        lam, U = lam[::-1], U[:, ::-1]
        k = _rank(lam, n_components)
        U = U[:, :k] / np.sqrt(np.maximum(lam[:k], 1e-300))
        axes = np.zeros((d, k))
        pos = 0
        for idx in chunks:
            b = rows.get(idx)
            axes += b.T @ U[pos : pos + len(idx)]
            pos += len(idx)
        axes -= np.outer(mu, U.sum(axis=0))
    return PCABasis(mean=mu, axes=axes, explained_variance=lam[:k] / max(1, m - 1))


def _rank(lam, n_components):
    """Axes to keep: at most ``n_components``, none of (numerically) zero variance."""
    keep = lam > lam[0] * 1e-10 if lam[0] > 0 else np.zeros_like(lam, dtype=bool)
    return max(1, min(int(n_components), int(keep.sum())))


def _dual_pca(X2, k, max_fit_rows=None):
    """float32 scores of ``X2`` on ``k`` axes fitted in the dual (Gram) form."""
    return fit_pca(X2, k, max_fit_rows=max_fit_rows, form="dual").transform(X2)


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

    Parameters
    ----------
    n_neighbors : int
        Neighbours returned per query (the query point itself included when it
        is in the fitted set, as with scikit-learn).
    block_rows : int, optional
        Query rows per block (default: bounded by a fixed memory budget).
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
