"""Feature augmentation (explicit ISDA): the estimates, the draws, the loop."""

import numpy as np
import pytest
import torch

from pixsmote._errors import UsageError
from pixsmote.train import (
    GaussianFeatureAugmentation,
    fit,
    get_feature_augmentation,
    list_feature_augmentations,
)

FAST = dict(n_classes=10, batch_size=64, progress=False)


def _two_classes(seed=0, n=(600, 300)):
    """Class 0 spread along axis 0, class 1 along axis 1 (std 3 and 1.5)."""
    rng = np.random.default_rng(seed)
    f0 = rng.normal(size=(n[0], 2)) * [3.0, 0.5] + [10.0, 0.0]
    f1 = rng.normal(size=(n[1], 2)) * [0.3, 1.5] + [0.0, -5.0]
    f = torch.as_tensor(np.vstack([f0, f1]), dtype=torch.float32)
    y = torch.as_tensor(np.repeat([0, 1], n))
    return f, y


def test_registered_names_and_none():
    assert list_feature_augmentations() == ["none", "gaussian", "gaussian-pooled"]
    assert get_feature_augmentation("none", 3) is None
    pooled = get_feature_augmentation("gaussian-pooled", 3, seed=1, strength=0.25)
    assert isinstance(pooled, GaussianFeatureAugmentation)
    assert (pooled.covariance, pooled.strength, pooled.seed) == ("pooled", 0.25, 1)
    with pytest.raises(UsageError, match="Bad option for feature augmentation"):
        get_feature_augmentation("gaussian", 3, lam=0.5)
    with pytest.raises(UsageError, match="covariance must be one of"):
        GaussianFeatureAugmentation(3, covariance="shared")
    with pytest.raises(UsageError, match="strength must be >= 0. Got -1"):
        GaussianFeatureAugmentation(3, strength=-1)


def test_online_estimates_equal_the_batch_moments():
    f, y = _two_classes()
    aug = GaussianFeatureAugmentation(2)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    for chunk in perm.split(77):  # uneven batches, classes mixed
        aug.update(f[chunk], y[chunk])
    for c in (0, 1):
        fc = f[y == c].double()
        assert aug.count[c] == len(fc)
        torch.testing.assert_close(aug.mean[c], fc.mean(0))
        # the population covariance (divided by n), as ISDA's estimator
        centred = fc - fc.mean(0)
        torch.testing.assert_close(aug.cov[c], centred.T @ centred / len(fc))


def test_draws_follow_the_class_or_the_pooled_covariance():
    f, y = _two_classes()
    for covariance in ("class", "pooled"):
        aug = GaussianFeatureAugmentation(2, strength=1.0, covariance=covariance)
        aug.update(f, y)
        expected = aug.class_covariances().clone()
        aug.set_progress(1.0)
        base = torch.zeros(20000, 2)
        labels = torch.ones(20000, dtype=torch.int64)  # all class 1
        # forward merges `base` into the estimates first; a huge count (the
        # same factor for both classes, so the pooled weights stay) makes that
        # merge negligible
        aug.count *= 1e9
        noise = aug(base, labels).double()
        got = noise.T @ noise / len(noise)
        torch.testing.assert_close(got, expected[1], rtol=0.05, atol=0.05)
    # class 1 varies along axis 1 only; the pooled estimate is dominated by
    # class 0 (600 of 900 features), which varies along axis 0
    aug = GaussianFeatureAugmentation(2, covariance="class")
    aug.update(f, y)
    own = aug.class_covariances()[1]
    assert own[1, 1] > 4 * own[0, 0]
    pooled = GaussianFeatureAugmentation(2, covariance="pooled")
    pooled.update(f, y)
    shared = pooled.class_covariances()
    assert shared[0, 0, 0] > 4 * shared[0, 1, 1]
    torch.testing.assert_close(shared[0], shared[1])
    weights = torch.tensor([600.0, 300.0], dtype=torch.float64) / 900
    torch.testing.assert_close(shared[1], (weights[:, None, None] * aug.cov).sum(0))


def test_scale_ramps_with_progress_and_eval_mode_is_identity():
    f, y = _two_classes()
    aug = GaussianFeatureAugmentation(2, strength=0.5, seed=3)
    aug.set_progress(0.0)
    assert torch.equal(aug(f, y), f)  # lambda = 0 at the start of the run
    aug.set_progress(0.5)
    first = aug(f, y) - f
    aug.eval()
    assert torch.equal(aug(f, y), f)
    aug.train()
    # same seed, same estimates, same progress: the same draws
    again = GaussianFeatureAugmentation(2, strength=0.5, seed=3)
    again.set_progress(0.0)
    again(f, y)
    again.set_progress(0.5)
    torch.testing.assert_close(again(f, y) - f, first)
    # lambda = 0.25: the class-0 noise variance along axis 0 is 0.25 * 9
    var0 = first[y == 0, 0].double().var()
    assert 0.25 * 9 * 0.8 < var0 < 0.25 * 9 * 1.2


def test_the_gradient_reaches_the_features():
    f, y = _two_classes()
    f = f.clone().requires_grad_(True)
    aug = GaussianFeatureAugmentation(2, strength=0.5)
    aug.set_progress(1.0)
    aug(f, y).sum().backward()
    assert torch.equal(f.grad, torch.ones_like(f))  # the noise is a constant


def test_fit_draws_features_reproducibly_and_records_it(digits, monkeypatch):
    train, val = digits
    calls = []
    real = GaussianFeatureAugmentation.forward

    def spy(self, features, y):
        calls.append((self.covariance, self.fraction, features.shape[1]))
        return real(self, features, y)

    monkeypatch.setattr(GaussianFeatureAugmentation, "forward", spy)
    runs = [
        fit(train, val, aug="basic", steps=25, seed=4, feature_aug="gaussian-pooled",
            **FAST)
        for _ in range(2)
    ]  # fmt: skip
    assert len(calls) == 50 and {c[0] for c in calls} == {"pooled"}
    assert [c[1] for c in calls[:25]] == [i / 25 for i in range(25)]
    assert calls[0][2] == 64  # small-cnn's penultimate width
    strip = [
        [{k: v for k, v in row.items() if k != "time_s"} for row in r.history]
        for r in runs
    ]
    assert strip[0] == strip[1]
    plain = fit(train, val, aug="basic", steps=25, seed=4, **FAST)
    assert plain.history[-1]["train_loss"] != runs[0].history[-1]["train_loss"]
    assert runs[0].config["feature_aug"] == "gaussian-pooled"
    assert plain.config["feature_aug"] == "none"


def test_fit_defers_the_feature_augmentation_with_the_switch(digits, monkeypatch):
    train, val = digits
    steps = []
    real = GaussianFeatureAugmentation.forward

    def spy(self, features, y):
        steps.append(self.fraction)
        return real(self, features, y)

    monkeypatch.setattr(GaussianFeatureAugmentation, "forward", spy)
    res = fit(
        train, val, aug="none", steps=20, switch_step=12, feature_aug="none",
        feature_aug_after="gaussian", **FAST,
    )  # fmt: skip
    assert steps == [i / 20 for i in range(12, 20)]
    assert res.config["feature_aug_after"] == "gaussian"


def test_fit_refuses_mixed_labels_before_writing(digits, tmp_path):
    train, val = digits
    for aug in ("mixup", "remix", "cutmix"):
        with pytest.raises(UsageError, match=f"needs unmixed labels.*Got aug '{aug}'"):
            fit(train, val, aug=aug, steps=3, feature_aug="gaussian",
                out_dir=tmp_path / aug, **FAST)  # fmt: skip
        assert not (tmp_path / aug).exists()
    # the deferred phase is checked too; a mixing first phase without one is fine
    with pytest.raises(UsageError, match="Got aug 'mixup'"):
        fit(train, val, aug="mixup", steps=4, switch_step=2,
            feature_aug_after="gaussian", **FAST)  # fmt: skip
    fit(train, val, aug="mixup", aug_after="basic", steps=4, switch_step=2,
        feature_aug_after="gaussian", **FAST)  # fmt: skip
    fit(train, val, aug="samplepairing", steps=2, feature_aug="gaussian", **FAST)
    with pytest.raises(UsageError, match="Unknown feature augmentation"):
        fit(train, val, steps=3, feature_aug="isda", **FAST)

