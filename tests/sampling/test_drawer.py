"""The template's entry points: explicit steps, drawers, one neighbour graph."""

import pickle

import numpy as np
import pytest

from pixsmote import (
    ADASYN,
    SMOTE,
    SMOTEENN,
    SVMSMOTE,
    BorderlineSMOTE,
    KMeansSMOTE,
    RandomOverSampler,
    RandomUnderSampler,
    SMOTETomek,
)
from pixsmote.sampling import Drawer

GROUP_SAMPLERS = [
    SMOTE(random_state=0),
    BorderlineSMOTE(random_state=0, kind="borderline-2"),
    SVMSMOTE(random_state=0),
    ADASYN(random_state=0),
    KMeansSMOTE(random_state=0, kmeans_estimator=3, cluster_balance_threshold=0.05),
]


def _same_plan(a, b):
    for field in ("cls", "base", "neighbor", "gap"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert (a.scale is None) == (b.scale is None)
    if a.scale is not None:
        np.testing.assert_array_equal(a.scale, b.scale)


@pytest.mark.parametrize("sampler", GROUP_SAMPLERS, ids=lambda s: type(s).__name__)
def test_group_drawer_replays_fit_plan(sampler, images):
    X, y = images
    kept, plan = sampler.fit_plan(X, y)
    drawer = sampler.fit_drawer(X, y)
    assert isinstance(drawer, Drawer)
    kept_d, plan_d = drawer.draw(0)  # the sampler's own random_state
    np.testing.assert_array_equal(kept_d, kept)
    _same_plan(plan_d, plan)
    _same_plan(sampler.draw_plan(sampler.fit_groups(X, y), 0), plan)
    other = drawer.draw(np.random.RandomState(7))[1]
    assert len(other) == len(plan) or isinstance(sampler, SVMSMOTE)
    assert not np.array_equal(other.gap[:5], plan.gap[:5])
    # index arrays only: it pickles small, whatever the estimators
    assert len(pickle.dumps(drawer)) < 20 * X.shape[0] * 8 + 10_000


@pytest.mark.parametrize(
    "sampler",
    [RandomOverSampler(random_state=0), RandomUnderSampler(random_state=0)],
    ids=lambda s: type(s).__name__,
)
def test_index_drawer_replays_fit_plan(sampler, images):
    X, y = images
    kept, _ = sampler.fit_plan(X, y)
    kept_d, plan_d = pickle.loads(pickle.dumps(sampler.fit_drawer(X, y))).draw(0)
    np.testing.assert_array_equal(kept_d, kept)
    assert len(plan_d) == 0
    with pytest.raises(TypeError, match="fit_groups needs a sampler"):
        sampler.fit_groups(X, y)


@pytest.mark.parametrize("cls", [SMOTEENN, SMOTETomek])
def test_combine_drawer_fits_the_smote_graph_once(cls, images, monkeypatch):
    X, y = images
    calls = []
    groups = SMOTE._groups

    def counting(self, F, y, outer):
        calls.append(1)
        yield from groups(self, F, y, outer)

    monkeypatch.setattr(SMOTE, "_groups", counting)
    sampler = cls(random_state=0)
    kept, plan = sampler.fit_plan(X, y)
    assert len(calls) == 1
    drawer = sampler.fit_drawer(X, y)
    assert len(calls) == 2  # one more fit: one neighbour graph per fit_drawer
    kept_d, plan_d = drawer.draw(3)
    np.testing.assert_array_equal(kept_d, kept)
    # the cleaning is final: as many fresh samples per class as survived it
    assert np.bincount(plan_d.cls).tolist() == np.bincount(plan.cls).tolist()
    assert len(calls) == 2


def test_no_hidden_call_state(images):
    X, y = images
    s = SMOTE(random_state=0, neighbor_space="pca", n_components=4)
    params = set(s.get_params())
    s.fit_plan(X, y)
    s.fit_resample(X, y)
    s.fit_drawer(X, y)
    hidden = [k for k in vars(s) if k not in params and not k.endswith("_")]
    assert hidden == []


def test_nested_calls_see_their_own_input(make_images):
    # SMOTE-ENN runs its SMOTE inside its own call; the inner call must see the
    # N-D images (a callable space gets them as passed), not the outer's state.
    X, y = make_images(shape=(6, 6, 3))
    seen = []

    def embed(images):
        seen.append(images.shape)
        return images.reshape(len(images), -1)[:, :9].astype(float)

    SMOTEENN(random_state=0, neighbor_space=embed).fit_resample(X, y)
    assert seen == [X.shape]  # once: the cleaning reuses SMOTE's features
