import warnings

import numpy as np
import pytest

from pixsmote.sampling import synthesize
from pixsmote.sampling._eos import EOS, _without_self


def _features(seed=0):
    """Three overlapping Gaussian blobs, imbalanced 120/30/15."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [1.5, 0.0], [0.0, 1.5]])
    sizes = (120, 30, 15)
    X = np.concatenate(
        [rng.normal(c, 0.8, size=(n, 2)) for c, n in zip(centres, sizes, strict=True)]
    )
    y = np.repeat([0, 1, 2], [120, 30, 15])
    return X, y


def test_plan_bases_are_minority_with_enemies_and_neighbours_are_enemies():
    X, y = _features()
    eos = EOS(random_state=0)
    _, plan = eos.fit_plan(X, y)
    assert np.bincount(plan.cls).tolist() == [0, 90, 105]
    assert np.all(y[plan.base] == plan.cls)
    assert np.all(y[plan.neighbor] != plan.cls)  # always an enemy
    assert np.all(plan.neighbor != plan.base)  # never the base itself
    assert np.all((plan.gap >= 0) & (plan.gap < 1))
    # The enemy is among the base's 10 nearest other samples.
    d = np.linalg.norm(X[:, None] - X[None], axis=2)
    np.fill_diagonal(d, np.inf)
    rank = (d[plan.base] < d[plan.base, plan.neighbor][:, None]).sum(axis=1)
    assert rank.max() < 10
    # Bases have at least one enemy among their 10 nearest neighbours.
    nearest = np.argsort(d, axis=1)[:, :10]
    assert all((y[nearest[b]] != y[b]).any() for b in np.unique(plan.base))


def test_resample_matches_plan_and_seed():
    X, y = _features()
    X_res, y_res = EOS(random_state=3).fit_resample(X, y)
    assert X_res.shape == (360, 2) and np.bincount(y_res).tolist() == [120] * 3
    plan = EOS(random_state=3).fit_plan(X, y)[1]
    np.testing.assert_array_equal(X_res[len(X) :], synthesize(X, plan))
    other = EOS(random_state=4).fit_plan(X, y)[1]
    assert not np.array_equal(plan.base, other.base)


def test_duplicates_do_not_make_a_sample_its_own_neighbour():
    X, y = _features()
    X = np.concatenate([X, X[120:125]])  # exact duplicates of class-1 rows
    y = np.concatenate([y, y[120:125]])
    plan = EOS(random_state=0, k_neighbors=3).fit_plan(X, y)[1]
    assert np.all(plan.neighbor != plan.base)
    assert np.all(y[plan.neighbor] != plan.cls)


def test_without_self_drops_the_query_by_index():
    neigh = np.array([[5, 2, 7], [1, 3, 4], [9, 8, 6]])
    out = _without_self(neigh, np.array([2, 1, 0]))
    assert out.tolist() == [[5, 7], [3, 4], [9, 8]]


def test_separated_class_falls_back_to_copies_with_a_warning():
    X = np.concatenate([np.zeros((20, 2)), np.full((5, 2), 100.0)])
    X += np.random.default_rng(0).normal(0, 0.1, X.shape)
    y = np.repeat([0, 1], [20, 5])
    with pytest.warns(UserWarning, match="no sample of class 1"):
        plan = EOS(random_state=0, k_neighbors=3).fit_plan(X, y)[1]
    assert np.all(plan.base == plan.neighbor) and np.all(plan.gap == 0)


def test_few_bases_are_used_with_a_warning():
    # Class 1: two samples near class 0 (with enemies), the rest far away.
    rng = np.random.default_rng(0)
    X = np.concatenate([np.zeros((20, 2)), [[0.5, 0.5], [0.6, 0.4]],
                        np.full((8, 2), 100.0)])  # fmt: skip
    X += rng.normal(0, 0.1, X.shape)
    y = np.repeat([0, 1], [20, 10])
    with pytest.warns(UserWarning, match=r"only 2 of the 10 samples of class 1 "
                      r".* all its 10 synthetic samples"):  # fmt: skip
        sampler = EOS(random_state=0, k_neighbors=3)
        plan = sampler.fit_plan(X, y)[1]
    assert sampler.n_bases_[1] == 2
    assert set(plan.base.tolist()) <= {20, 21}
    assert np.all(y[plan.neighbor] == 0)


def test_enough_bases_give_no_warning():
    rng = np.random.default_rng(1)
    X = rng.normal(0, 1, (60, 2))
    y = np.repeat([0, 1], [40, 20])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EOS(random_state=0, k_neighbors=3).fit_plan(X, y)


def test_images_keep_their_shape_and_dtype():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(40, 4, 4), dtype=np.uint8)
    y = np.repeat([0, 1], [30, 10])
    X_res, y_res = EOS(random_state=0, k_neighbors=5).fit_resample(X, y)
    assert X_res.shape == (60, 4, 4) and X_res.dtype == np.uint8
