"""``synthetic_share``: the same share of synthetic rows in every class."""

import warnings

import numpy as np
import pytest

from pixsmote import (
    ADASYN,
    SMOTE,
    SVMSMOTE,
    BorderlineSMOTE,
    KMeansSMOTE,
    RandomOverSampler,
)


def _counts(labels, n_classes=3):
    return np.bincount(np.asarray(labels), minlength=n_classes)


@pytest.mark.parametrize("share", [0.25, 0.5, 0.8])
def test_every_class_gets_the_share_and_keeps_every_original(share, images):
    X, y = images
    sampler = SMOTE(random_state=0, synthetic_share=share)
    kept, plan = sampler.fit_plan(X, y)
    # Every original once, then copies to the target of sampling_strategy.
    np.testing.assert_array_equal(kept[: len(y)], np.arange(len(y)))
    assert _counts(y[kept]).tolist() == [60, 60, 60]
    expected = round(60 * share / (1 - share))
    assert _counts(plan.cls).tolist() == [expected] * 3
    assert sampler.n_synthetic_ == {0: expected, 1: expected, 2: expected}
    total = _counts(y[kept]) + _counts(plan.cls)
    np.testing.assert_allclose(_counts(plan.cls) / total, share, atol=0.01)
    # The majority is interpolated too, and always within its class.
    for field in ("base", "neighbor"):
        np.testing.assert_array_equal(y[getattr(plan, field)], plan.cls)
    assert np.all((plan.gap >= 0) & (plan.gap < 1))


def test_copies_follow_random_over_sampling_targets(images):
    X, y = images
    strategy = {1: 40, 2: 50}  # targets below the majority's size
    sampler = SMOTE(random_state=0, sampling_strategy=strategy, synthetic_share=0.5)
    kept, plan = sampler.fit_plan(X, y)
    assert _counts(y[kept]).tolist() == [60, 40, 50]
    assert _counts(plan.cls).tolist() == [60, 40, 50]
    ros = RandomOverSampler(random_state=0, sampling_strategy=strategy)
    ros_kept, _ = ros.fit_plan(X, y)
    assert _counts(y[ros_kept]).tolist() == [60, 40, 50]


def test_fit_resample_is_the_plan_and_the_images_keep_their_dtype(images):
    X, y = images
    sampler = SMOTE(random_state=0, synthetic_share=0.5)
    X_res, y_res = sampler.fit_resample(X, y)
    assert X_res.dtype == np.uint8 and X_res.shape == (360, 8, 8)
    kept, plan = sampler.sample_indices_, sampler.plan_
    np.testing.assert_array_equal(X_res[: len(kept)], X[kept])
    np.testing.assert_array_equal(y_res, np.concatenate([y[kept], plan.cls]))
    # A synthetic row lies between its parents, pixel by pixel.
    syn = X_res[len(kept) :].astype(int)
    lo = np.minimum(X[plan.base], X[plan.neighbor]).astype(int)
    hi = np.maximum(X[plan.base], X[plan.neighbor]).astype(int)
    assert np.all((syn >= lo - 1) & (syn <= hi + 1))


def test_drawer_replays_fit_plan_and_redraws_copies_and_plan(images):
    X, y = images
    sampler = SMOTE(random_state=0, synthetic_share=0.5)
    kept, plan = sampler.fit_plan(X, y)
    drawer = sampler.fit_drawer(X, y)
    kept_d, plan_d = drawer.draw(0)
    np.testing.assert_array_equal(kept_d, kept)
    np.testing.assert_array_equal(plan_d.base, plan.base)
    np.testing.assert_array_equal(plan_d.gap, plan.gap)
    kept_o, plan_o = drawer.draw(np.random.RandomState(7))
    assert _counts(y[kept_o]).tolist() == [60, 60, 60]
    assert not np.array_equal(kept_o, kept)  # other copies
    assert not np.array_equal(plan_o.gap, plan.gap)


def test_none_is_imbalanced_learns_smote(images):
    X, y = images
    kept, plan = SMOTE(random_state=0).fit_plan(X, y)
    kept_n, plan_n = SMOTE(random_state=0, synthetic_share=None).fit_plan(X, y)
    np.testing.assert_array_equal(kept, np.arange(len(y)))
    np.testing.assert_array_equal(kept_n, kept)
    np.testing.assert_array_equal(plan_n.gap, plan.gap)
    assert _counts(plan.cls).tolist() == [0, 40, 30]


@pytest.mark.parametrize("share", [0, 1, -0.5, 1.5, "half"])
def test_share_outside_the_open_interval_is_refused(share, images):
    X, y = images
    with pytest.raises(ValueError, match="synthetic_share"):
        SMOTE(synthetic_share=share).fit_resample(X, y)



# The other SMOTE-family samplers take the same parameter; each keeps its own
# choice of bases (danger sets, support vectors, clusters, ADASYN's weights),
# so only the counts are shared with SMOTE's.
_FAMILY = {
    "borderline1": lambda **kw: BorderlineSMOTE(kind="borderline-1", **kw),
    "borderline2": lambda **kw: BorderlineSMOTE(kind="borderline-2", **kw),
    "svm-smote": lambda **kw: SVMSMOTE(**kw),
    "adasyn": lambda **kw: ADASYN(**kw),
    "kmeans-smote": lambda **kw: KMeansSMOTE(
        kmeans_estimator=2, cluster_balance_threshold=0.0, **kw
    ),
}
# Neighbours of the base's class (Borderline-2 may interpolate towards others).
_IN_CLASS = {"borderline1", "svm-smote", "adasyn", "kmeans-smote"}


@pytest.mark.parametrize("name", sorted(_FAMILY))
def test_family_samplers_give_every_class_the_share(name, images):
    X, y = images
    sampler = _FAMILY[name](random_state=0, synthetic_share=0.5)
    with warnings.catch_warnings():
        # SVM-SMOTE may fall short of a count, as without a share (it warns).
        warnings.simplefilter("ignore", UserWarning)
        kept, plan = sampler.fit_plan(X, y)
    np.testing.assert_array_equal(kept[: len(y)], np.arange(len(y)))
    assert _counts(y[kept]).tolist() == [60, 60, 60]
    assert sampler.n_synthetic_ == {0: 60, 1: 60, 2: 60}
    got = _counts(plan.cls)
    assert np.all(got > 0), got  # the largest class is synthesised too
    if name != "svm-smote":  # ADASYN rounds per base, k-means up per cluster
        np.testing.assert_allclose(got, 60, atol=6 if name == "adasyn" else 2)
    np.testing.assert_array_equal(y[plan.base], plan.cls)
    if name in _IN_CLASS:
        np.testing.assert_array_equal(y[plan.neighbor], plan.cls)
    X_res, y_res = sampler.fit_resample(X, y)
    assert X_res.dtype == np.uint8 and len(X_res) == len(kept) + len(plan)


@pytest.mark.parametrize("name", sorted(_FAMILY))
def test_family_drawers_replay_the_plan_and_none_changes_nothing(name, images):
    X, y = images
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sampler = _FAMILY[name](random_state=0, synthetic_share=0.5)
        kept, plan = sampler.fit_plan(X, y)
        kept_d, plan_d = sampler.fit_drawer(X, y).draw(0)
        np.testing.assert_array_equal(kept_d, kept)
        np.testing.assert_array_equal(plan_d.base, plan.base)
        np.testing.assert_array_equal(plan_d.gap, plan.gap)
        plain = _FAMILY[name](random_state=0).fit_plan(X, y)
        unset = _FAMILY[name](random_state=0, synthetic_share=None).fit_plan(X, y)
    np.testing.assert_array_equal(unset[0], plain[0])
    np.testing.assert_array_equal(unset[1].base, plain[1].base)
    np.testing.assert_array_equal(unset[1].gap, plain[1].gap)
    assert _counts(plain[1].cls)[0] == 0  # without a share the majority is left


def test_svm_smote_shortfall_under_a_share_is_said(make_images):
    # Pure noise: a class whose support vectors are all safe gets no
    # interpolated part from imbalanced-learn's danger/safe split.
    rng = np.random.default_rng(0)
    X = rng.integers(0, 255, (200, 8, 8), dtype=np.uint8)
    y = np.array([0] * 120 + [1] * 50 + [2] * 30)
    sampler = SVMSMOTE(random_state=0, synthetic_share=0.5)
    with pytest.warns(UserWarning) as record:
        _, plan = sampler.fit_plan(X, y)
    said = [str(w.message) for w in record if "class 2 gets" in str(w.message)]
    got = int(np.sum(plan.cls == 2))
    assert got < 120
    assert len(said) == 1 and f"gets {got} of the 120 synthetic" in said[0]
    assert f"stays at {30 + 90 + got} samples" in said[0]  # copies counted


def test_online_svm_smote_shortfall_is_said_from_the_groups():
    # fit_drawer draws nothing yet: the warning gives the expected count (a
    # class with no support vector in danger loses about half of its share).
    rng = np.random.default_rng(0)
    X = rng.integers(0, 255, (200, 8, 8), dtype=np.uint8)
    y = np.array([0] * 120 + [1] * 50 + [2] * 30)
    sampler = SVMSMOTE(random_state=0, synthetic_share=0.5)
    with pytest.warns(UserWarning, match=r"class 2 gets about 60 of the 120"):
        drawer = sampler.fit_drawer(X, y)
    counts = [np.sum(drawer.draw(seed)[1].cls == 2) for seed in range(20)]
    assert 45 < np.mean(counts) < 75


def test_svm_smote_fits_its_svm_once_for_every_class(images):
    # With a share every class is over-sampled: three classes used to mean
    # three identical SVM fits on the same (F, y), as in imbalanced-learn
    # (tests/sampling/test_parity.py checks the plans still match its
    # per-class refits on multi-class data).
    from sklearn.svm import SVC

    fits = []

    class CountingSVC(SVC):
        def fit(self, X, y, sample_weight=None):
            fits.append(len(y))
            return super().fit(X, y, sample_weight)

    X, y = images
    counted = SVMSMOTE(
        random_state=0, synthetic_share=0.5, svm_estimator=CountingSVC(gamma="scale")
    ).fit_plan(X, y)
    assert fits == [len(y)]
    default = SVMSMOTE(random_state=0, synthetic_share=0.5).fit_plan(X, y)
    np.testing.assert_array_equal(counted[0], default[0])
    for field in ("cls", "base", "neighbor", "gap"):
        np.testing.assert_array_equal(
            getattr(counted[1], field), getattr(default[1], field)
        )
