import numpy as np
import pytest
import torch
import torch.nn.functional as F

from pixsmote._errors import UsageError
from pixsmote.train import LOSSES, get_loss, list_losses, mixed_loss

COUNTS = [500, 100, 20, 5]


def _data(seed=0, n=64, c=4):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, c, generator=g) * 3, torch.randint(0, c, (n,), generator=g)


def test_registry_names():
    assert list_losses() == [
        "ce",
        "weighted-ce",
        "class-balanced",
        "focal",
        "logit-adjusted",
        "ldam-drw",
    ]
    assert set(LOSSES) == set(list_losses())


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("ce", {}),
        ("class-balanced", {"beta": 0.0}),
        ("focal", {"gamma": 0.0}),
        ("logit-adjusted", {"tau": 0.0}),
        ("ldam-drw", {"max_margin": 0.0, "drw_start": 1.0}),
    ],
)
def test_reduces_to_ce(name, kw):
    logits, y = _data()
    loss = get_loss(name, COUNTS, **kw)
    loss.set_progress(0.5)
    torch.testing.assert_close(loss(logits, y), F.cross_entropy(logits, y))


def test_ce_balanced_counts_equal_weights():
    logits, y = _data()
    for name in ("weighted-ce", "class-balanced"):
        loss = get_loss(name, [10, 10, 10, 10])
        torch.testing.assert_close(loss(logits, y), F.cross_entropy(logits, y))


def test_weighted_ce_inverse_frequency():
    loss = get_loss("weighted-ce", COUNTS)
    w = loss.weight.numpy()
    np.testing.assert_allclose(
        w * np.array(COUNTS), (w * np.array(COUNTS))[0], rtol=1e-5
    )
    np.testing.assert_allclose(w.mean(), 1.0, rtol=1e-6)
    logits, y = _data()
    per = F.cross_entropy(logits, y, reduction="none")
    torch.testing.assert_close(loss(logits, y), (per * loss.weight[y]).mean())


def test_class_balanced_weights_cui():
    beta = 0.99
    loss = get_loss("class-balanced", COUNTS, beta=beta)
    eff = (1 - beta ** np.array(COUNTS, float)) / (1 - beta)
    expected = (1 / eff) / (1 / eff).mean()
    np.testing.assert_allclose(loss.weight.numpy(), expected, rtol=1e-5)


def test_focal_matches_formula():
    logits, y = _data()
    p = F.softmax(logits, 1).gather(1, y[:, None])[:, 0]
    expected = (-((1 - p) ** 2) * p.log()).mean()
    torch.testing.assert_close(get_loss("focal", COUNTS)(logits, y), expected)


def test_logit_adjusted_matches_formula():
    logits, y = _data()
    prior = torch.tensor(COUNTS, dtype=torch.float32) / sum(COUNTS)
    expected = F.cross_entropy(logits + 1.0 * prior.log(), y)
    torch.testing.assert_close(get_loss("logit-adjusted", COUNTS)(logits, y), expected)


def test_ldam_margins_and_drw():
    loss = get_loss("ldam-drw", COUNTS)
    assert loss.head_scale == 30.0
    m = loss.margin.numpy() / 30.0
    np.testing.assert_allclose(m.max(), 0.5, rtol=1e-6)
    np.testing.assert_allclose(
        m * np.array(COUNTS) ** 0.25, m[0] * COUNTS[0] ** 0.25, rtol=1e-5
    )
    logits, y = _data()
    z = logits - F.one_hot(y, 4) * loss.margin[y, None]
    loss.set_progress(0.5)
    assert loss.weight is None
    torch.testing.assert_close(loss(logits, y), F.cross_entropy(z, y))
    loss.set_progress(0.8)
    per = F.cross_entropy(z, y, reduction="none")
    torch.testing.assert_close(loss(logits, y), (per * loss.weight[y]).mean())


@pytest.mark.parametrize("name", list_losses())
def test_soft_targets_match_hard(name):
    logits, y = _data()
    loss = get_loss(name, COUNTS)
    loss.set_progress(0.9)
    torch.testing.assert_close(loss(logits, F.one_hot(y, 4).float()), loss(logits, y))


@pytest.mark.parametrize("name", list_losses())
def test_mixed_loss_and_gradients(name):
    logits, y = _data()
    logits.requires_grad_(True)
    loss = get_loss(name, COUNTS)
    y_b = y.roll(1)
    value = mixed_loss(loss, logits, y, y_b, 0.3)
    torch.testing.assert_close(value, 0.3 * loss(logits, y) + 0.7 * loss(logits, y_b))
    torch.testing.assert_close(mixed_loss(loss, logits, y), loss(logits, y))
    value.backward()
    assert torch.isfinite(logits.grad).all()


def test_absent_class_gets_finite_weight():
    loss = get_loss("weighted-ce", [10, 0, 5])
    assert torch.isfinite(loss.weight).all()


def test_errors():
    with pytest.raises(UsageError, match=r"Expected one of .*Got 'hinge'"):
        get_loss("hinge", COUNTS)
    with pytest.raises(UsageError, match="beta"):
        get_loss("class-balanced", COUNTS, beta=1.0)
    with pytest.raises(UsageError, match="gamma"):
        get_loss("focal", COUNTS, gamma=-1)
    with pytest.raises(UsageError, match="class_counts"):
        get_loss("ce", [5])
    with pytest.raises(UsageError, match="Bad option"):
        get_loss("ce", COUNTS, gamma=2)
    with pytest.raises(UsageError, match="soft targets"):
        get_loss("ce", COUNTS)(torch.zeros(2, 4), torch.zeros(2, 3))
