"""Neighbour search: exact in bounded memory, approximate above a size, cleaners."""

import tracemalloc

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import InvalidParameterError

from pixsmote import SMOTE, SMOTEENN, KMeansSMOTE, SMOTETomek
from pixsmote._errors import UsageError
from pixsmote.sampling import BlockKNN, _knn
from pixsmote.sampling._knn import exact_search, mean_pairwise_distance


def lowrank(n, d, seed=0, rank=8):
    """uint8 rows near a rank-``rank`` subspace: neighbours are meaningful."""
    rng = np.random.default_rng(seed)
    basis = rng.normal(0, 25, (rank, d))
    f = 128 + rng.normal(0, 1, (n, rank)) @ basis + rng.normal(0, 8, (n, d))
    return np.clip(np.rint(f), 0, 255).astype(np.uint8)


def brute(Q, F, k):
    D = ((Q[:, None, :].astype(float) - F[None].astype(float)) ** 2).sum(-1)
    order = np.lexsort((np.broadcast_to(np.arange(F.shape[0]), D.shape), D), axis=1)
    return order[:, :k]


@pytest.mark.parametrize("gram", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [7, 64, 1000])
def test_exact_search_is_brute_force_with_ties_by_index(gram, rows):
    X = lowrank(300, 48, seed=1)
    X[10] = X[200]
    X[11] = X[200]  # three duplicates: ordered by index
    X[50, 0] ^= 1
    _, idx = exact_search(X, X, 7, rows=rows, gram_dtype=gram)
    np.testing.assert_array_equal(idx, brute(X, X, 7))
    assert idx[200, :3].tolist() == [10, 11, 200]
    Q = X[::5].copy()  # cross search, not the fitted array itself
    _, idx_q = exact_search(Q, X, 7, rows=rows, gram_dtype=gram)
    np.testing.assert_array_equal(idx_q, brute(Q, X, 7))


def test_block_knn_matches_sklearn_and_builds_a_graph():
    X = lowrank(400, 100, seed=2)
    ours_d, ours = BlockKNN(6, block_rows=33).fit(X).kneighbors(X)
    ref_d, ref = NearestNeighbors(n_neighbors=6).fit(X.astype(float)).kneighbors(
        X.astype(float)
    )
    np.testing.assert_array_equal(ours, ref)
    np.testing.assert_allclose(ours_d, ref_d)
    G = BlockKNN(3).fit(X).kneighbors_graph(X[:5])
    assert G.shape == (5, 400) and G.nnz == 15


def test_approx_recall_against_exact():
    X = lowrank(3000, 196, seed=3)
    ex = BlockKNN(6, neighbors="exact").fit(X).kneighbors(X, return_distance=False)
    ap = BlockKNN(6, neighbors="approx").fit(X).kneighbors(X, return_distance=False)
    recall = (ap[:, 1:, None] == ex[:, None, 1:]).any(axis=2).mean()
    assert recall >= 0.95
    assert (ap[:, 0] == np.arange(len(X))).all()  # each sample finds itself first
    again = BlockKNN(6, neighbors="approx").fit(X).kneighbors(X, return_distance=False)
    np.testing.assert_array_equal(ap, again)  # deterministic


def test_approx_plan_uses_true_near_neighbours():
    rng = np.random.default_rng(4)
    X = np.concatenate([lowrank(2000, 14 * 14, seed=4), lowrank(600, 14 * 14, seed=5)])
    X = X.reshape(-1, 14, 14)
    y = np.array([0] * 2000 + [1] * 600)
    perm = rng.permutation(len(y))
    X, y = X[perm], y[perm]
    s = SMOTE(random_state=0, neighbors="approx")
    _, plan = s.fit_plan(X, y)
    assert isinstance(s.nn_k_, BlockKNN) and s.nn_k_.neighbors == "approx"
    idx = np.flatnonzero(y == 1)
    F = X[idx].reshape(len(idx), -1)
    ex = idx[brute(F, F, 6)[:, 1:]]
    pos = np.searchsorted(idx, plan.base)
    true_nn = (ex[pos] == plan.neighbor[:, None]).any(axis=1)
    assert true_nn.mean() >= 0.95


def test_auto_switches_to_approx_above_the_threshold(monkeypatch, make_images):
    X, y = make_images(shape=(8, 8))
    s = SMOTE(random_state=0)
    s.fit_resample(X, y)
    assert s.nn_k_.neighbors == "exact"  # small classes: exact
    monkeypatch.setattr(_knn, "AUTO_EXACT_MAX_WORK", 1000.0)
    s.fit_resample(X, y)
    assert s.nn_k_.neighbors == "approx"
    # 2-D float input keeps imbalanced-learn's exact search, whatever the size
    t = SMOTE(random_state=0)
    t.fit_resample(X.reshape(len(X), -1).astype(float), y)
    assert isinstance(t.nn_k_, NearestNeighbors)
    # the switch as a parameter of a neighbours object
    F = X[:50].reshape(50, -1)
    assert BlockKNN(neighbors="auto", approx_above=1e3).fit(F)._mode(50) == "approx"
    assert BlockKNN(neighbors="auto").fit(F)._mode(50) == "exact"


def test_bad_neighbors_values(make_images):
    X, y = make_images()
    with pytest.raises(InvalidParameterError, match="neighbors"):
        SMOTE(neighbors="fast").fit_resample(X, y)
    with pytest.raises(UsageError, match="Got 'fast' instead"):
        BlockKNN(neighbors="fast").fit(X.reshape(len(X), -1))
    with pytest.raises(UsageError, match="Got 0 instead"):
        BlockKNN(0).fit(X.reshape(len(X), -1))


def test_exact_search_stays_within_its_memory_budget():
    # 6000 samples of one class: an (n, n) float64 distance matrix alone would
    # be 288 MB; with a 16 MiB budget the whole fit_resample stays far below.
    n = 6000
    X = np.concatenate([lowrank(n, 64, seed=6), lowrank(n + 500, 64, seed=7)])
    X = X.reshape(-1, 8, 8)
    y = np.array([1] * n + [0] * (n + 500))
    knn = BlockKNN(6, memory_budget=16 * 2**20, neighbors="exact")
    tracemalloc.start()
    try:
        X_res, _ = SMOTE(random_state=0, k_neighbors=knn).fit_resample(X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(X_res) == 2 * (n + 500)
    assert peak < 24 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def test_cleaners_search_with_block_knn_and_agree_with_float(make_images):
    X, y = make_images(shape=(6, 6))
    for cls, attr in ((SMOTEENN, "enn_"), (SMOTETomek, "tomek_")):
        a = cls(random_state=0)
        a.fit_resample(X, y)
        b = cls(random_state=0)
        b.fit_resample(X.astype(np.float64), y)  # imbalanced-learn's cleaner
        np.testing.assert_array_equal(a.sample_indices_, b.sample_indices_)
        assert len(a.plan_) == len(b.plan_)
        cleaner = getattr(a, attr)
        nn = cleaner.n_neighbors if attr == "enn_" else cleaner.nn
        assert isinstance(nn, BlockKNN)


def test_kmeans_sparsity_blocked_equals_the_full_matrix(make_images):
    from sklearn.metrics import pairwise_distances

    X = lowrank(333, 30, seed=8)
    D = pairwise_distances(X.astype(float))
    np.fill_diagonal(D, 0)
    ref = D.sum() / (len(X) ** 2 - len(X))
    assert mean_pairwise_distance(X, rows=50) == pytest.approx(ref, rel=1e-12)
    # the sampler's clusters and plan: the same for uint8 and float64 pixels
    Xm, ym = make_images(n_per_class=(80, 40), shape=(6, 6), noise=0.2)
    plans = []
    for dtype in (np.uint8, np.float64):
        s = KMeansSMOTE(random_state=0, kmeans_estimator=3)
        s.fit_resample(Xm.astype(dtype), ym)
        plans.append((s.plan_.base, s.plan_.neighbor))
    np.testing.assert_array_equal(plans[0][0], plans[1][0])
    np.testing.assert_array_equal(plans[0][1], plans[1][1])

