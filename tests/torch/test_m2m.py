"""M2m: major-to-minor translation (Kim et al. 2020)."""

import numpy as np
import pytest
import torch
from torch import nn

from pixsmote._errors import UsageError
from pixsmote.sampling import SAMPLERS, get_sampler
from pixsmote.torch import DeepSMOTEEpochs, M2m, ResampledDataset


class Brightness(nn.Module):
    """g that calls bright images class 1 and dark ones class 0 (8x8 grey)."""

    def forward(self, x):
        m = x.flatten(1).mean(1, keepdim=True)
        return torch.cat([20 * (0.5 - m), 20 * (m - 0.5)], dim=1)


def _data(n0=30, n1=6):
    rng = np.random.default_rng(0)
    dark = rng.integers(60, 110, (n0, 8, 8), dtype=np.uint8)  # mean ~0.33
    bright = rng.integers(180, 240, (n1, 8, 8), dtype=np.uint8)
    return np.concatenate([dark, bright]), np.repeat([0, 1], [n0, n1])


def _fitted(**kw):
    X, y = _data()
    params = {"classifier": Brightness(), "random_state": 0, "beta": 0.5, **kw}
    m = M2m(**params)
    idx, plan = m.fit_plan(X, y)
    return m, X, y, idx, plan


def test_translations_cross_the_classifier_and_the_rest_are_copies():
    m, X, y, idx, plan = _fitted(step_size=0.2, gamma=0.9, noise=0.0)
    out = m.synthesize(X, plan)
    assert out.dtype == np.uint8 and out.shape == (24, 8, 8)
    assert (plan.cls == 1).all() and (y[plan.neighbor] == 1).all()
    tried = plan.base != plan.neighbor
    assert tried.any() and (y[plan.base[tried]] == 0).all()  # from the larger class
    g = Brightness()
    with torch.no_grad():
        p = torch.softmax(g(torch.from_numpy(out / 255.0).float()[:, None]), 1)[:, 1]
    copies = (out == X[plan.neighbor]).all(axis=(1, 2))
    moved = tried & ~copies
    assert moved.any()
    assert (p[torch.from_numpy(moved)] >= 0.9 - 1e-2).all()  # uint8 rounding
    # A translation keeps its seed's pattern (this g's gradient is uniform, so
    # the seed is brightened): it correlates with the seed, not the fallback.
    for r in np.flatnonzero(moved):
        images = (out[r], X[plan.base[r]], X[plan.neighbor[r]])
        a, seed, fallback = (v.ravel().astype(float) for v in images)
        assert np.corrcoef(a, seed)[0, 1] > 0.9 > abs(np.corrcoef(a, fallback)[0, 1])
    assert m.translated_[1]["attempted"] == tried.sum()
    assert m.translated_[1]["accepted"] == moved.sum()


def test_a_classifier_that_is_not_convinced_keeps_the_fallback_copies():
    m, X, y, idx, plan = _fitted(step_size=0.01, gamma=0.99)
    out = m.synthesize(X, plan)
    np.testing.assert_array_equal(out, X[plan.neighbor])
    assert m.translated_[1]["accepted"] == 0


def test_beta_sets_how_many_seeds_are_kept():
    X, y = _data()
    kept = []
    for beta in (1e-6, 0.99):  # p = 1 - beta ** 24: ~1, then 0.21
        m = M2m(classifier=Brightness(), random_state=0, beta=beta)
        _, plan = m.fit_plan(X, y)
        kept.append((plan.base != plan.neighbor).mean())
    assert kept[0] == 1.0 and 0.0 < kept[1] < 0.6


def test_synthesis_is_a_pure_function_of_the_plan():
    m, X, y, idx, plan = _fitted(step_size=0.3)
    whole = m.synthesize(X, plan)
    np.testing.assert_array_equal(whole, m.synthesize(X, plan, chunk_size=5))
    np.testing.assert_array_equal(whole[7:], m.synthesize(X, plan[7:]))
    m2, *_ = _fitted(step_size=0.3)
    np.testing.assert_array_equal(whole, m2.synthesize(X, plan))


def test_synthesizer_keeps_the_classifier_not_the_labels():
    m, X, y, idx, plan = _fitted(step_size=0.3)
    slim = m.synthesizer()
    assert not hasattr(slim, "_y") and not hasattr(slim, "plan_")
    assert slim.classifier_ is m.classifier_
    np.testing.assert_array_equal(slim.synthesize(X, plan), m.synthesize(X, plan))


def test_the_default_classifier_is_trained_and_reproducible():
    X, y = _data()
    a = M2m(random_state=3, classifier_epochs=2).fit_resample(X, y)
    b = M2m(random_state=3, classifier_epochs=2).fit_resample(X, y)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[0][: len(X)], X)
    assert np.bincount(a[1]).tolist() == [30, 30]
    m = M2m(random_state=3, classifier_epochs=2, classifier_sampling="natural")
    m.fit_plan(X, y)
    assert len(m.history_) == 2 and m.history_[0]["time_s"] > 0
    assert not any(p.requires_grad for p in m.classifier_.parameters())


def test_rgb_and_three_classes():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 256, (50, 6, 6, 3), dtype=np.uint8)
    y = np.repeat([0, 1, 2], [30, 12, 8])
    X_res, y_res = M2m(random_state=0, classifier_epochs=1).fit_resample(X, y)
    assert X_res.shape == (90, 6, 6, 3) and np.bincount(y_res).tolist() == [30] * 3


def test_bad_input_is_named():
    X, y = _data()
    with pytest.raises(ValueError, match="needs images"):
        M2m().fit_resample(X.reshape(len(X), -1), y)
    with pytest.raises(ValueError, match=r"float images in \[0, 1\].*Got values"):
        M2m().fit_resample(X.astype(np.float32), y)
    with pytest.raises(UsageError, match="needs a fitted M2m"):
        M2m().synthesize(X, M2m(classifier=Brightness()).fit_plan(X, y)[1])
    with pytest.raises(ValueError, match="classifier_sampling"):
        M2m(classifier_sampling="x").fit(X, y)


def test_registered_with_an_online_form_and_no_feature_recipe():
    from pixsmote.app import list_recipes

    spec = SAMPLERS["m2m"]
    assert spec.cls is M2m
    assert (spec.kind, spec.synthetic, spec.images_only) == ("over", True, True)
    assert get_sampler("m2m", gamma=0.5).gamma == 0.5
    assert {"m2m", "online-m2m"} <= set(list_recipes())
    assert "feature-m2m" not in list_recipes()
    X, y = _data()
    with pytest.raises(UsageError, match="DeepSMOTEEpochs"):
        ResampledDataset(X, y, sampler="m2m")
    epochs = DeepSMOTEEpochs(X, y, M2m(classifier=Brightness(), beta=0.5), seed=1)
    X0, y0 = epochs(0)
    X1, _ = epochs(1)
    assert np.bincount(y0).tolist() == [30, 30]
    assert not np.array_equal(X0, X1)  # a fresh plan each epoch
