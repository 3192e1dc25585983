"""Nearest-neighbour search in memory bounded independently of the class size.

Exact search runs over blocks of rows and keeps a running top-k per query row,
so the extra memory is a budget (256 MiB by default) plus ``O(n_query * k)``
for the answer, never an ``(n_query, n_fit)`` matrix. Approximate search
(faiss HNSW over a PCA projection, candidates re-ranked by exact distances)
takes over for image classes where exact search would cost more than a few
seconds. :func:`make_neighbors` picks the estimator a sampler uses.

References
----------
.. [1] Y. A. Malkov, D. A. Yashunin, "Efficient and robust approximate nearest
   neighbor search using Hierarchical Navigable Small World graphs", IEEE
   TPAMI 42(4), 824-836, 2020.
.. [2] J. Johnson, M. Douze, H. Jegou, "Billion-scale similarity search with
   GPUs", IEEE Transactions on Big Data 7(3), 535-547, 2021 (faiss).
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.linalg
from imblearn.under_sampling import EditedNearestNeighbours, TomekLinks
from scipy import sparse
from sklearn.base import BaseEstimator, clone
from sklearn.neighbors import NearestNeighbors

from pixsmote._errors import UsageError

__all__ = [
    "AUTO_EXACT_MAX_WORK",
    "DEFAULT_MEMORY_BUDGET",
    "NEIGHBORS_MODES",
    "BlockKNN",
    "bounded_cleaner",
    "check_neighbors_mode",
    "make_neighbors",
    "mean_pairwise_distance",
]

#: Extra memory exact search may use besides its answer, in bytes.
DEFAULT_MEMORY_BUDGET = 256 * 2**20
#: ``neighbors="auto"`` searches exactly while ``n_query * n_fit * n_features``
#: stays at or below this many multiply-adds, approximately above it: up to
#: ~15,500 images of 28x28, ~3,900 of 64x64x3, ~1,960 of 128x128x3. SMOTE on
#: 8,000 images of 28x28 (5e10) took 1.1 s in all with exact search on one core
#: of the development machine (Xeon, AVX-512), so exact search stops at a few
#: seconds.
AUTO_EXACT_MAX_WORK = 1.9e11
NEIGHBORS_MODES = ("exact", "approx", "auto")

# Approximate search: PCA components, HNSW graph degree and search breadth,
# and how many candidates per query are re-ranked exactly (a multiple of k).
# On 16,000 low-rank 28x28 images, M=16/ef=32,48/24 candidates gave recall@5
# 0.9975 against exact search in 4.9 s, M=32/ef=64,96/48 candidates 1.0 in
# 10 s, M=12/ef=24,32/16 candidates 0.984 in 3.4 s (a loaded machine; the
# ratios are what matter). benchmarks/neighbours_scaling.py reports recall@5.
# Real photographs are harder than those low-rank images:
# benchmarks/neighbours_recall.py on Fashion-MNIST's 60,000 train images as one
# set gave recall@5 0.946 with 24 candidates (12.5 s, one loaded core), 0.970
# with 32 (14.8 s), 0.948 with ef 64 and 24 candidates (13.8 s); the low-rank
# images cost 5-12 % more time with 32 (16k and 64k, recall 0.994 and 0.986
# either way). 32 candidates keep recall above 0.95 on real data.
_APPROX_COMPONENTS = 64
_HNSW_M = 16
_HNSW_EF_CONSTRUCTION = 32
_HNSW_EF_SEARCH = 48
_APPROX_CANDIDATES = 4
_APPROX_MIN_CANDIDATES = 32
_PCA_FIT_ROWS = 1024
# The graph's vectors are stored as 8-bit scalar codes and inserted (and
# searched) in the order of coarse k-means cells (about 2 sqrt(n) of them, 4
# iterations): HNSW's cost is memory-bound, and at 64,000 projected images the
# float32 graph no longer fits the cache. Measured on one core (neighbour step
# alone, 64 components, 24 candidates): Fashion-MNIST's 60,000 train images
# 7.1 s -> 4.8 s, recall 0.950 -> 0.949 (a one-off script, the query counted
# among its neighbours); 64,000 low-rank benchmark images 14.2 s -> 9.6 s,
# 16,000 2.05 s -> 1.55 s, recall 0.99 unchanged. Fewer components (32) or
# candidates (18) were faster still but cost Fashion-MNIST 13 and 3 recall
# points, so they were not taken.
_LOCALITY_MIN_ROWS = 4096
_LOCALITY_ITER = 4

# float32 products are exact for these inputs (every value is a float32), so the
# rounding of the products can be bounded and the candidates re-ranked exactly.
_F32_EXACT_INPUTS = (np.uint8, np.int8, np.uint16, np.int16, np.float32)
_U32 = 2.0**-24


def check_neighbors_mode(neighbors):
    """Validate a ``neighbors=`` mode (``"exact"``, ``"approx"`` or ``"auto"``)."""
    if not isinstance(neighbors, str) or neighbors not in NEIGHBORS_MODES:
        raise UsageError(
            "neighbors must be 'exact', 'approx' or 'auto'. "
            f"Got {neighbors!r} instead."
        )
    return neighbors


class BlockKNN(BaseEstimator):
    """Brute-force or approximate k-nearest neighbours in bounded memory.

    A drop-in for the part of :class:`sklearn.neighbors.NearestNeighbors` the
    samplers use (``fit``, ``kneighbors``, ``kneighbors_graph``,
    ``n_neighbors``), so it can also be passed wherever imbalanced-learn takes
    a neighbours object (``k_neighbors=``, ``m_neighbors=``, ``n_neighbors=``).

    Exact search (``neighbors="exact"``) queries in blocks and merges each
    block's distances into a running top-k per query row; only candidates at
    or below a row's current k-th distance are merged, so after the first
    block almost nothing is. The extra memory is ``memory_budget`` plus the
    answer, whatever the class size. When the query set is the fitted set
    (the samplers' case) only the blocks on and above the diagonal of the
    symmetric distance matrix are computed, each merged into both its rows and
    its columns: half the products. Neighbours are ordered by distance, exact
    ties (duplicates) by index, exactly as a float64 brute-force search.

    For integer images (and float32 features) the products run in float32,
    ~3x faster than float64 with AVX-512 BLAS (measured: 3000x784 by 784x3000
    uint8 blocks, 0.11 s against 0.35 s on one core). Their rounding is
    bounded a priori (``|err| <= (2 d u + 12 u) (|a| + |b|)^2``, ``u = 2**-24``),
    so every pair within that margin of a row's k-th distance is re-ranked
    with an exact float64 distance: the neighbours are exactly the float64
    search's. End to end, the self-search of 8,000 images of 28x28 took 3.3 s
    this way against 6.6 s with float64 products (one core of a loaded
    machine; 3.5 s against 5.4 s in a second run). Other dtypes use float64
    products and no re-ranking.

    Approximate search (``neighbors="approx"``) projects the samples on
    their 64 principal components (fitted on a fixed-seed subsample of 1024),
    builds a faiss HNSW graph over them [1]_ [2]_ (8-bit scalar-quantised
    vectors, inserted in a cache-friendly order of coarse k-means cells;
    single-threaded, so the graph and thus the result are deterministic),
    retrieves ``max(24, 4 k)`` candidates per query and re-ranks them by
    exact distance. Its cost grows ~``n log n`` instead of ``n**2``; recall@k
    against exact search is reported by benchmarks/neighbours_scaling.py.
    ``neighbors="auto"`` is exact while ``n_query * n_fit * n_features <=
    approx_above`` (default :data:`AUTO_EXACT_MAX_WORK`), approximate above.

    Parameters
    ----------
    n_neighbors : int, default=5
        Neighbours per query (the query itself included when it was fitted).
    block_rows : int, optional
        Rows per block; by default derived from ``memory_budget``.
    memory_budget : int, default=DEFAULT_MEMORY_BUDGET
        Bytes of working memory for the exact search's blocks.
    neighbors : {"exact", "approx", "auto"}, default="exact"
    approx_above : float, default=AUTO_EXACT_MAX_WORK
        The ``"auto"`` switch, in multiply-adds of exact search.
    n_jobs : None
        Accepted for imbalanced-learn's cleaners, which set it; the BLAS and
        faiss thread pools decide the parallelism.
    """

    def __init__(
        self,
        n_neighbors=5,
        block_rows=None,
        *,
        memory_budget=DEFAULT_MEMORY_BUDGET,
        neighbors="exact",
        approx_above=AUTO_EXACT_MAX_WORK,
        n_jobs=None,
    ):
        self.n_neighbors = n_neighbors
        self.block_rows = block_rows
        self.memory_budget = memory_budget
        self.neighbors = neighbors
        self.approx_above = approx_above
        self.n_jobs = n_jobs

    def fit(self, X, y=None):
        check_neighbors_mode(self.neighbors)
        if not isinstance(self.n_neighbors, numbers.Integral) or self.n_neighbors < 1:
            raise UsageError(
                "n_neighbors must be a positive integer. "
                f"Got {self.n_neighbors!r} instead."
            )
        if sparse.issparse(X):
            raise UsageError(
                "BlockKNN needs a dense array of samples. Got a sparse matrix instead."
            )
        F = np.asarray(X)
        if F.ndim != 2:
            raise UsageError(
                f"BlockKNN needs a 2-D array of samples. Got shape {F.shape} instead."
            )
        self._F = F
        self.n_samples_fit_ = F.shape[0]
        self.n_features_in_ = F.shape[1]
        rows = self._rows(F.shape[1])
        self._sq = np.empty(F.shape[0], dtype=np.float64)
        for s in range(0, F.shape[0], rows):
            b = F[s : s + rows].astype(np.float64)
            self._sq[s : s + rows] = np.einsum("ij,ij->i", b, b)
        self._index = None
        return self

    def _rows(self, d):
        if self.block_rows:
            return int(self.block_rows)
        # Three converted blocks of rows (8 d bytes a row each: query, fit,
        # re-ranked pairs) and ~26 bytes per entry of a block of distances (the
        # distances, their transpose, a partition copy, a mask).
        budget = max(int(self.memory_budget), 2**20)
        d = max(1, d)
        b = (-24 * d + np.sqrt((24.0 * d) ** 2 + 104.0 * budget)) / 52.0
        return max(1, int(b))

    def _mode(self, n_query):
        if self.neighbors == "auto":
            work = float(n_query) * self.n_samples_fit_ * self.n_features_in_
            return "approx" if work > self.approx_above else "exact"
        return self.neighbors

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        k = n_neighbors or self.n_neighbors
        F = self._F
        if X is None:
            raise UsageError(
                "BlockKNN.kneighbors needs the query samples. Got None instead."
            )
        Q = X if X is F else np.asarray(X)
        if k > self.n_samples_fit_:
            raise ValueError(
                f"Expected n_neighbors <= n_samples_fit, but n_neighbors = {k}, "
                f"n_samples_fit = {self.n_samples_fit_}, n_samples = {Q.shape[0]}"
            )
        if self._mode(Q.shape[0]) == "approx":
            dist, idx = self._approx(Q, k)
        else:
            dist, idx = exact_search(
                Q, F, k, rows=self._rows(F.shape[1]), fit_sq=self._sq
            )
        if return_distance:
            return np.sqrt(np.maximum(dist, 0.0)), idx
        return idx

    def kneighbors_graph(self, X=None, n_neighbors=None, mode="connectivity"):
        k = n_neighbors or self.n_neighbors
        dist, idx = self.kneighbors(X, k, return_distance=True)
        n_q = idx.shape[0]
        data = np.ones(idx.size) if mode == "connectivity" else dist.ravel()
        return sparse.csr_matrix(
            (data, idx.ravel(), np.arange(0, n_q * k + 1, k)),
            shape=(n_q, self.n_samples_fit_),
        )

    def _approx(self, Q, k):
        F = self._F
        if self._index is None:
            self._index = _HNSWIndex(F, self._rows(F.shape[1]))
        kc = max(_APPROX_MIN_CANDIDATES, _APPROX_CANDIDATES * k)
        kc = min(self.n_samples_fit_, kc)
        cand = self._index.search(Q, kc, self_query=Q is F)
        if Q is F:
            # Every sample is its own nearest neighbour; make sure the graph's
            # answer contains it (it nearly always does) so the caller's
            # ``[:, 1:]`` drops the sample itself.
            own = np.arange(len(cand))
            has = (cand == own[:, None]).any(axis=1)
            cand[~has, -1] = own[~has]
        dist, idx = _rerank(Q, F, cand, k, self._rows(F.shape[1]))
        short = np.flatnonzero(idx[:, -1] >= self.n_samples_fit_)
        if short.size:
            # The graph returned fewer than k samples for these rows (tiny or
            # degenerate sets): search them exactly.
            dist[short], idx[short] = exact_search(
                Q[short], F, k, rows=self._rows(F.shape[1])
            )
        return dist, idx


# -------------------------------------------------------------- exact search
def exact_search(Q, F, k, *, rows, fit_sq=None, gram_dtype=None):
    """Exact k nearest neighbours of the rows of ``Q`` among those of ``F``.

    Returns squared distances and indices of shape ``(len(Q), k)``, ordered by
    distance then index. ``gram_dtype`` forces the products' dtype (float32
    products are re-ranked exactly; see :class:`BlockKNN`).
    """
    n = F.shape[0]
    self_query = Q is F
    if gram_dtype is None:
        f32 = F.dtype in _F32_EXACT_INPUTS and Q.dtype in _F32_EXACT_INPUTS
        gram_dtype = np.float32 if f32 else np.float64
    gram_dtype = np.dtype(gram_dtype)
    center = None
    if gram_dtype == np.float32 and F.dtype.kind in "ui" and Q.dtype.kind in "ui":
        # Distances do not change under a shift; an integer shift keeps every
        # value exact in float32 and makes the norms, hence the products'
        # rounding bound, ~10x smaller for natural images.
        center = np.rint(_col_mean(F, rows)).astype(np.float32)
    if center is None and fit_sq is not None:
        f_sq = fit_sq
    else:
        f_sq = _sq_norms(F, rows, center)
    q_sq = f_sq if self_query else _sq_norms(Q, rows, center)
    nq = Q.shape[0]
    best_d = np.full((nq, k), np.inf)
    best_i = np.full((nq, k), n, dtype=np.int64)
    margin = None
    if gram_dtype == np.float32:
        d = F.shape[1]
        gamma = (d * _U32 / (1.0 - d * _U32) / 2.0 + 4.0 * _U32) * (1.0 + 1e-6)
        q_norm, f_norm = np.sqrt(q_sq), np.sqrt(f_sq)
    q_sq_g, f_sq_g = q_sq.astype(gram_dtype), f_sq.astype(gram_dtype)
    merge = _Merger(best_d, best_i, Q, F, rows)
    for i in range(0, nq, rows):
        qi = _block(Q, i, rows, gram_dtype, center)
        qm2 = qi * gram_dtype.type(-2.0)  # exact scaling: D = |q|^2 + |f|^2 - 2 q.f
        j0 = i if self_query else 0
        for j in range(j0, n, rows):
            if self_query and j == i:
                fj = qi
            else:
                fj = _block(F, j, rows, gram_dtype, center)
            D = qm2 @ fj.T
            D += q_sq_g[i : i + rows, None]
            D += f_sq_g[None, j : j + rows]
            if gram_dtype == np.float32:
                mq, mf = q_norm[i : i + rows], f_norm[j : j + rows]
                margin = gamma * (mq + mf.max()) ** 2
            merge(i, D, j, margin)
            if self_query and j > i:
                if gram_dtype == np.float32:
                    margin = gamma * (mf + mq.max()) ** 2
                merge(j, D, i, margin, transposed=True)
    return best_d, best_i


def _block(X, s, rows, dtype, center):
    b = X[s : s + rows].astype(dtype)
    if center is not None:
        b -= center
    return b


def _col_mean(X, rows):
    total = np.zeros(X.shape[1])
    for s in range(0, X.shape[0], rows):
        total += X[s : s + rows].sum(axis=0, dtype=np.float64)
    return total / max(1, X.shape[0])


def _sq_norms(X, rows, center=None):
    sq = np.empty(X.shape[0], dtype=np.float64)
    for s in range(0, X.shape[0], rows):
        b = X[s : s + rows].astype(np.float64)
        if center is not None:
            b -= center
        sq[s : s + rows] = np.einsum("ij,ij->i", b, b)
    return sq


class _Merger:
    """Merge one block of (approximate) squared distances into the running top-k.

    ``margin`` (per row) bounds the error of the block's distances; ``None``
    means they are exact. Candidates are the entries at or below the row's
    k-th distance plus the margin; with a margin, their exact distances are
    computed before merging. Rows whose top-k is not filled yet first take a
    threshold from the block's own k-th value (one partition, the only pass
    over a whole block besides the comparison and ``nonzero``). With
    ``transposed``, the block's columns are the rows to update.
    """

    def __init__(self, best_d, best_i, Q, F, rows):
        self.best_d, self.best_i, self.Q, self.F, self.rows = best_d, best_i, Q, F, rows

    def __call__(self, r0, D, c0, margin, transposed=False):
        best_d, best_i = self.best_d, self.best_i
        k = best_d.shape[1]
        ax = 0 if transposed else 1
        br, bc = D.shape[1 - ax], D.shape[ax]
        tau = best_d[r0 : r0 + br, k - 1]
        pad = 0.0 if margin is None else margin
        if bc >= k and not np.isfinite(tau[0]):
            kth = np.partition(D, k - 1, axis=ax).take(k - 1, axis=ax)
            tau = np.minimum(tau, kth.astype(np.float64) + pad)
        thr = tau
        if margin is not None:
            # the comparison runs in float32: round the threshold up, not down
            thr = np.nextafter((tau + pad).astype(D.dtype), np.float32(np.inf))
        if transposed:
            c, r = np.nonzero(D <= thr[None, :])
        else:
            r, c = np.nonzero(D <= thr[:, None])
        if not r.size:
            return
        if margin is None:
            dv = (D[c, r] if transposed else D[r, c]).astype(np.float64)
        else:
            dv = _pair_sq_dist(self.Q, self.F, r + r0, c + c0, self.rows)
        c = c + c0
        rows_u = np.unique(r)
        old_d = best_d[r0 + rows_u].ravel()
        old_i = best_i[r0 + rows_u].ravel()
        all_r = np.concatenate([np.repeat(rows_u, k), r])
        all_d = np.concatenate([old_d, dv])
        all_i = np.concatenate([old_i, c])
        order = np.lexsort((all_i, all_d, all_r))
        all_r = all_r[order]
        starts = np.flatnonzero(np.r_[True, all_r[1:] != all_r[:-1]])
        counts = np.diff(np.r_[starts, len(all_r)])
        rank = np.arange(len(all_r)) - np.repeat(starts, counts)
        keep = order[rank < k]
        best_d[r0 + rows_u] = all_d[keep].reshape(-1, k)
        best_i[r0 + rows_u] = all_i[keep].reshape(-1, k)


def _pair_sq_dist(Q, F, qi, fi, rows):
    """Exact squared distances of the pairs ``(Q[qi], F[fi])``."""
    out = np.empty(len(qi), dtype=np.float64)
    small = _is_8bit(Q) and _is_8bit(F)
    step = max(1, rows)
    for s in range(0, len(qi), step):
        a, b = Q[qi[s : s + step]], F[fi[s : s + step]]
        if small:
            out[s : s + step] = _sq_sum_8bit(np.subtract(a, b, dtype=np.float32))
        else:
            diff = np.subtract(a, b, dtype=np.float64)
            out[s : s + step] = np.einsum("ij,ij->i", diff, diff)
    return out


def _is_8bit(X):
    return X.dtype.itemsize == 1 and X.dtype.kind in "ui"


_CHUNK = 256  # 256 * 255**2 < 2**24: a chunk's float32 sum of squares is exact


def _sq_sum_8bit(diff):
    """Exact float64 sum of squares over the last axis of 8-bit differences.

    The differences, their squares and any sum of at most 256 of them are
    integers below 2**24, exact in float32 in any order of summation; the
    chunk sums are added in float64. ~4x faster than float64 throughout
    (0.54 s against 2.1 s for 100k pairs of 784 pixels, one core).
    """
    d = diff.shape[-1]
    np.square(diff, out=diff)
    m = d // _CHUNK
    total = np.zeros(diff.shape[:-1])
    if m:
        head = diff[..., : m * _CHUNK].reshape(*diff.shape[:-1], m, _CHUNK)
        total += head.sum(axis=-1).sum(axis=-1, dtype=np.float64)
    if d > m * _CHUNK:
        total += diff[..., m * _CHUNK :].sum(axis=-1, dtype=np.float64)
    return total


def _rerank(Q, F, cand, k, rows):
    """The k nearest of each row's candidates by exact distance, ties by index.

    Each block of queries is broadcast against its candidates' rows, so a query
    row is read once, not once per candidate.
    """
    nq, kc = cand.shape
    small = _is_8bit(Q) and _is_8bit(F)
    dt = np.float32 if small else np.float64
    step = max(1, min(nq, rows // max(1, kc)))
    idx = np.where(cand >= 0, cand, F.shape[0]).astype(np.int64)
    dist = np.empty(cand.shape)
    for s in range(0, nq, step):
        c = cand[s : s + step]
        diff = np.subtract(F[np.maximum(c, 0)], Q[s : s + step, None, :], dtype=dt)
        if small:
            o = _sq_sum_8bit(diff)
        else:
            o = np.einsum("bkd,bkd->bk", diff, diff)
        dist[s : s + step] = np.where(c >= 0, o, np.inf)
    order = np.lexsort((idx, dist), axis=1)[:, :k]
    return (
        np.take_along_axis(dist, order, axis=1),
        np.take_along_axis(idx, order, axis=1),
    )


# -------------------------------------------------------- approximate search
class _HNSWIndex:
    """faiss HNSW over a PCA projection of ``F``; deterministic for a given F."""

    def __init__(self, F, rows):
        import faiss

        n, d = F.shape
        self.rows = rows
        r = min(_APPROX_COMPONENTS, d, n)
        if r < d:
            self.mu, self.V = _pca_basis(F, r, rows)
        else:
            self.mu, self.V = None, None
        Fr = self.project(F)
        self.Fr = Fr
        # Parallel insertion makes the graph depend on thread timing; one
        # thread keeps it (and every neighbour found) reproducible.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            self.cells = None
            if n >= _LOCALITY_MIN_ROWS:
                cells = faiss.Kmeans(
                    Fr.shape[1],
                    int(2 * np.sqrt(n)),
                    niter=_LOCALITY_ITER,
                    seed=0,
                    max_points_per_centroid=64,
                    # The cells only order the graph; faiss would otherwise
                    # print a warning on stderr below 39 points per cell
                    # (4,096-6,084 rows), which changes nothing here.
                    min_points_per_centroid=1,
                    verbose=False,
                )
                cells.train(Fr)
                self.cells = cells.index
            # ``order[j]`` is the sample stored at graph position j.
            self.order = self._locality_order(Fr)
            # faiss's stub types the second argument as a ScalarQuantizer; the
            # SWIG constructor takes the quantizer type (QT_*), an int.
            index = faiss.IndexHNSWSQ(
                Fr.shape[1],
                faiss.ScalarQuantizer.QT_8bit,  # type: ignore[arg-type]
                _HNSW_M,
            )
            index.hnsw.efConstruction = _HNSW_EF_CONSTRUCTION
            stored = Fr if self.order is None else Fr[self.order]
            index.train(stored)
            index.add(stored)
        finally:
            faiss.omp_set_num_threads(threads)
        self.index = index

    def _locality_order(self, Xr):
        """Rows grouped by coarse cell (then first component), or None."""
        if self.cells is None:
            return None
        _, cell = self.cells.search(Xr, 1)
        return np.lexsort((Xr[:, 0], cell[:, 0]))

    def project(self, X):
        if self.V is None:
            return np.ascontiguousarray(X, dtype=np.float32)
        out = np.empty((X.shape[0], self.V.shape[1]), dtype=np.float32)
        shift = self.mu @ self.V
        for s in range(0, X.shape[0], self.rows):
            b = X[s : s + self.rows].astype(np.float64)
            out[s : s + self.rows] = b @ self.V - shift
        return out

    def search(self, Q, kc, *, self_query):
        Qr = self.Fr if self_query else self.project(Q)
        self.index.hnsw.efSearch = max(_HNSW_EF_SEARCH, kc)
        q_order = self.order if self_query else self._locality_order(Qr)
        if q_order is None:
            _, cand = self.index.search(Qr, kc)
        else:
            # Queries in cell order too (the graph regions they visit stay in
            # cache), answers put back in the caller's order.
            _, found = self.index.search(np.ascontiguousarray(Qr[q_order]), kc)
            cand = np.empty_like(found)
            cand[q_order] = found
        cand = cand.astype(np.int64)
        if self.order is not None:
            cand = np.where(cand >= 0, self.order[np.maximum(cand, 0)], -1)
        return cand


def _pca_basis(F, r, rows):
    """Mean and top-``r`` principal axes of ``F`` from a fixed-seed subsample.

    The dual (Gram) form when the features outnumber the subsample, so no
    ``(d, d)`` matrix is built for large images. The seed is fixed rather than
    drawn from a sampler's RNG so that the neighbours never consume the user's
    random stream.
    """
    n, d = F.shape
    if n > _PCA_FIT_ROWS:
        sub = np.sort(np.random.RandomState(0).choice(n, _PCA_FIT_ROWS, replace=False))
        S = F[sub].astype(np.float64)
    else:
        S = F.astype(np.float64)
    mu = S.mean(axis=0)
    S -= mu
    # Only the top r eigenpairs: 1024^2 Gram of 64x64x3 images, full eigh
    # 5.2 s against well under 1 s for the subset (one core).
    G = S.T @ S if d <= S.shape[0] else S @ S.T
    m = G.shape[0]
    r = min(r, m)
    lam, U = scipy.linalg.eigh(G, subset_by_index=[m - r, m - 1])
    lam, U = lam[::-1], U[:, ::-1]
    # Directions without variance (fewer distinct samples than components, or
    # duplicates) carry no distance information, and in the dual form their
    # 1/sqrt(lam) scaling overflows float32: keep one axis at least.
    keep = max(1, int(np.sum(lam > max(lam[0], 0.0) * 1e-10)))
    lam, U = lam[:keep], U[:, :keep]
    if d <= S.shape[0]:
        return mu, U
    return mu, S.T @ (U / np.sqrt(np.maximum(lam, 1e-300)))


# ------------------------------------------------------------------ factory
def make_neighbors(n_neighbors, F_fit, neighbors="auto", *, images=True, n_query=None):
    """The (unfitted) neighbours estimator a sampler uses for ``F_fit``.

    Parameters
    ----------
    n_neighbors : int
        Neighbours per query, the query itself included.
    F_fit : ndarray of shape (n_fit, d)
        The samples searched among.
    neighbors : {"exact", "approx", "auto"}, default="auto"
        ``"exact"``: brute force. ``"approx"``: the HNSW index. ``"auto"``:
        exact for 2-D (tabular) input, and for images while
        ``n_query * n_fit * d <= AUTO_EXACT_MAX_WORK``; the index above.
    images : bool, default=True
        Whether the sampler's input was images (``ndim > 2``).
    n_query : int, optional
        Queries planned (default ``n_fit``, the samplers' self-search).

    Returns
    -------
    estimator
        :class:`BlockKNN` for integer features or approximate search;
        otherwise scikit-learn's ``NearestNeighbors``, exactly as
        imbalanced-learn (its brute force works in chunks of scikit-learn's
        ``working_memory``).
    """
    check_neighbors_mode(neighbors)
    n_fit, d = F_fit.shape[0], (F_fit.shape[1] if F_fit.ndim > 1 else 1)
    nq = n_fit if n_query is None else n_query
    if neighbors == "auto":
        big = images and float(nq) * n_fit * d > AUTO_EXACT_MAX_WORK
        neighbors = "approx" if big else "exact"
    if sparse.issparse(F_fit) or not hasattr(F_fit, "dtype"):
        return NearestNeighbors(n_neighbors=n_neighbors)
    if neighbors == "approx":
        return BlockKNN(n_neighbors, neighbors="approx")
    if F_fit.dtype.kind in "ui":
        return BlockKNN(n_neighbors)
    return NearestNeighbors(n_neighbors=n_neighbors)


def bounded_cleaner(cleaner, F, neighbors="auto", *, images=True):
    """Make an ENN or Tomek-links cleaner search its neighbours with BlockKNN.

    Only when :func:`make_neighbors` would pick BlockKNN for ``F`` (integer
    features or approximate search) and the cleaner's neighbours are not the
    user's own object: float features keep imbalanced-learn's search, so its
    results stay bit-for-bit.
    """
    if isinstance(cleaner, EditedNearestNeighbours) and isinstance(
        cleaner.n_neighbors, numbers.Integral
    ):
        est = make_neighbors(cleaner.n_neighbors + 1, F, neighbors, images=images)
        if isinstance(est, BlockKNN):
            return clone(cleaner).set_params(n_neighbors=est)
    if type(cleaner) is TomekLinks:
        est = make_neighbors(2, F, neighbors, images=images)
        if isinstance(est, BlockKNN):
            return _BoundedTomekLinks(nn=est, **cleaner.get_params())
    return cleaner


class _BoundedTomekLinks(TomekLinks):
    """imbalanced-learn's TomekLinks, searching with the given estimator."""

    def __init__(self, nn=None, *, sampling_strategy="auto", n_jobs=None):
        super().__init__(sampling_strategy=sampling_strategy, n_jobs=n_jobs)
        self.nn = nn

    def _fit_resample(self, X, y):
        nns = clone(self.nn).fit(X).kneighbors(X, return_distance=False)[:, 1]
        links = self.is_tomek(y, nns, self.sampling_strategy_)
        self.sample_indices_ = np.flatnonzero(np.logical_not(links))
        return X[self.sample_indices_], y[self.sample_indices_]


def mean_pairwise_distance(X, rows=None, memory_budget=DEFAULT_MEMORY_BUDGET):
    """Mean Euclidean distance over all ordered pairs ``i != j`` of rows of ``X``.

    KMeans-SMOTE's cluster sparsity, computed block by block instead of from
    an ``(n, n)`` matrix; float64 throughout, as scikit-learn's
    ``pairwise_distances``.
    """
    n = X.shape[0]
    if n < 2:
        return np.nan
    rows = rows or BlockKNN(memory_budget=memory_budget)._rows(X.shape[1])
    sq = _sq_norms(X, rows)
    total = 0.0
    for i in range(0, n, rows):
        a = X[i : i + rows].astype(np.float64)
        for j in range(i, n, rows):
            b = a if j == i else X[j : j + rows].astype(np.float64)
            D = a @ b.T
            D *= -2.0
            D += sq[i : i + rows, None]
            D += sq[None, j : j + rows]
            np.maximum(D, 0.0, out=D)
            if j == i:
                np.fill_diagonal(D, 0.0)
            np.sqrt(D, out=D)
            total += D.sum() * (1.0 if j == i else 2.0)
    return total / (n * n - n)
