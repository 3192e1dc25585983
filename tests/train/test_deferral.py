"""Deferred rebalancing in fit: the switch of data, loss and augmentation."""

import numpy as np
import pytest

from pixsmote._errors import UsageError
from pixsmote.train import _loop, fit, lr_at


def _data(counts, rng):
    y = np.repeat(np.arange(len(counts)), counts)
    X = rng.integers(0, 256, size=(len(y), 8, 8), dtype=np.uint8)
    return X, y


@pytest.fixture
def sets():
    rng = np.random.default_rng(0)
    before = _data([48, 16], rng)  # one batch of 64 per step: mean label 0.25
    after = _data([16, 48], rng)  # mean label 0.75
    val = _data([10, 10], rng)
    return before, after, val


def _record(monkeypatch):
    seen = []
    real = _loop.mixed_loss

    def spy(criterion, logits, y, y_b, lam):
        seen.append((type(criterion).__name__, float(y.float().mean())))
        return real(criterion, logits, y, y_b, lam)

    monkeypatch.setattr(_loop, "mixed_loss", spy)
    return seen


KW = dict(n_classes=2, batch_size=64, aug="none", progress=False, eval_every=1)


def test_switch_at_the_step(monkeypatch, sets):
    before, after, val = sets
    seen = _record(monkeypatch)
    res = fit(
        before, val, steps=10, switch_step=7, train_data_after=after,
        loss_after="focal", **KW,
    )  # fmt: skip
    kinds = [k for k, _ in seen]
    means = [m for _, m in seen]
    assert len(seen) == 10
    assert kinds[:7] == [kinds[0]] * 7 and kinds[7:] == [kinds[7]] * 3
    assert kinds[0] != kinds[7]
    assert means[:7] == [0.25] * 7 and means[7:] == [0.75] * 3
    # one schedule over all steps: the lr of each validated step continues
    for row in res.history:
        assert row["lr"] == pytest.approx(lr_at((row["step"] - 1) / 10, 0.05))
    assert res.config["switch_step"] == 7 and res.config["loss_after"] == "focal"


def test_online_data_after_counts_epochs_from_the_switch(monkeypatch, sets):
    before, after, val = sets
    calls = []

    def online(epoch):
        calls.append(epoch)
        return after

    fit(before, val, steps=6, switch_step=3, train_data_after=online, **KW)
    assert calls == [0, 1, 2]


def test_switch_zero_is_the_second_phase_alone(sets):
    before, after, val = sets
    a = fit(before, val, steps=4, switch_step=0, train_data_after=after, **KW)
    b = fit(after, val, steps=4, original_counts=[48, 16], **KW)
    assert a.history[-1]["train_loss"] == b.history[-1]["train_loss"]
    assert a.val == b.val


@pytest.mark.parametrize("bad", [-1, 10, 11, 2.5, True])
def test_bad_switch_step(sets, bad):
    before, after, val = sets
    with pytest.raises(UsageError, match=r"switch_step.*Got"):
        fit(before, val, steps=10, switch_step=bad, train_data_after=after, **KW)
