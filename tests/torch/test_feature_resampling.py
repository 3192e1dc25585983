import warnings

import numpy as np
import pytest

from pixsmote._errors import UsageError
from pixsmote.torch._feature_resampling import (
    ClassBalancedFeatures,
    SamplerFeatures,
    feature_resampler,
    list_feature_recipes,
)


def _feats(seed=0):
    rng = np.random.default_rng(seed)
    sizes = (80, 20, 12)
    F = np.concatenate(
        [rng.normal(c, 1.0, size=(n, 4)) for c, n in enumerate(sizes)]
    ).astype(np.float32)
    return F, np.repeat([0, 1, 2], sizes)


def test_crt_is_class_balanced_real_features_fresh_each_epoch():
    F, y = _feats()
    crt = feature_resampler("crt", seed=0)
    assert isinstance(crt, ClassBalancedFeatures)
    F0, y0 = crt(0, F, y)
    assert np.bincount(y0).tolist() == [37, 37, 37]  # round(112 / 3) each
    rows = {tuple(r) for r in F}
    assert all(tuple(r) in rows for r in F0)  # only real features
    idx = [np.flatnonzero((F == r).all(1))[0] for r in F0]
    assert np.array_equal(y[idx], y0)
    F1, _ = crt(1, F, y)
    assert not np.array_equal(F0, F1)
    np.testing.assert_array_equal(crt(0, F, y)[0], F0)


@pytest.mark.parametrize("name", ["feature-smote", "feature-borderline1", "eos",
                                  "feature-ros"])  # fmt: skip
def test_real_plus_synthetic_fresh_plan_each_epoch(name):
    F, y = _feats()
    res = feature_resampler(name, seed=0, k_neighbors=5)
    F0, y0 = res(0, F, y)
    F1, y1 = res(1, F, y)
    np.testing.assert_array_equal(F0[: len(F)], F)  # originals first
    assert np.bincount(y0).tolist() == [80, 80, 80]
    assert not np.array_equal(F0, F1)
    again = feature_resampler(name, seed=0, k_neighbors=5)
    np.testing.assert_array_equal(again(1, F, y)[0], F1)


def test_smote_groups_are_fitted_once():
    F, y = _feats()
    res = SamplerFeatures(feature_resampler("feature-smote").sampler, seed=0)
    res(0, F, y)
    groups = res._groups
    res(1, F, y)
    assert res._groups is groups  # same features: neighbours not recomputed
    res(2, F.copy(), y)
    assert res._groups is not groups  # new features: refitted


def test_list_and_errors():
    names = list_feature_recipes()
    assert names[:2] == ["crt", "eos"] and "feature-smote" in names
    assert "feature-ros" not in names  # not synthetic: crt is its feature form
    with pytest.raises(UsageError, match="Unknown feature"):
        feature_resampler("smote")
    with pytest.raises(UsageError, match="crt takes no"):
        feature_resampler("crt", k_neighbors=3)


def test_a_samplers_warning_is_said_once_not_every_head_epoch():
    # EOS refits each epoch; its few-bases warning is the same each time.
    rng = np.random.default_rng(0)
    feats = np.concatenate([rng.normal(0, 0.1, (20, 2)), [[0.5, 0.5], [0.6, 0.4]],
                            rng.normal(100, 0.1, (8, 2))]).astype(np.float32)
    y = np.repeat([0, 1], [20, 10])
    resample = feature_resampler("eos", seed=0, k_neighbors=3)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for epoch in range(3):
            resample(epoch, feats, y)
    assert [str(w.message)[:30] for w in seen] == ["EOS: only 2 of the 10 samples "]
    with warnings.catch_warnings(record=True) as seen:  # new data: said again
        warnings.simplefilter("always")
        resample(3, feats.copy(), y)
    assert len(seen) == 1
