import numpy as np
import pytest
import torch

from pixsmote._errors import UsageError
from pixsmote.train import Remix, get_augmentation, get_loss, mixed_loss

COUNTS = [300, 100, 30, 10]  # ratios 3, 10, 30 ... between classes


def _pairs():
    """Every ordered pair of classes, as a batch (y) and its partners (y_b)."""
    y, y_b = torch.meshgrid(torch.arange(4), torch.arange(4), indexing="ij")
    return y.flatten(), y_b.flatten()


@pytest.mark.parametrize("lam", [0.1, 0.3, 0.49, 0.5, 0.51, 0.7, 0.9])
def test_label_rule(lam):
    aug = Remix(8, 1, class_counts=COUNTS, base="none")
    y, y_b = _pairs()
    lam_y = aug.label_weight(y, y_b, lam)
    for i, j, w in zip(y.tolist(), y_b.tolist(), lam_y.tolist(), strict=True):
        ratio = COUNTS[i] / COUNTS[j]
        if ratio >= 3 and lam < 0.5:
            assert w == 0.0  # i is the majority, j dominates less: minority label
        elif ratio <= 1 / 3 and 1 - lam < 0.5:
            assert w == 1.0  # i is the minority and dominates: its label
        else:
            assert w == pytest.approx(lam)  # mixup's label
    # Sanity on concrete cases: 300 vs 10 at lam=0.3 -> class 3's label.
    if lam == 0.3:
        assert lam_y[3].item() == 0.0 and lam_y[12].item() == pytest.approx(0.3)
    # Same class or mild imbalance (100 vs 30 is 3.33 >= 3, 300 vs 100 is 3):
    assert lam_y[0].item() == pytest.approx(lam)


def test_batch_labels_give_the_remix_loss():
    """The Batch form (relabelled y / y_b, scalar lam) gives the paper's
    soft-label cross-entropy exactly."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(64, 1, 8, 8, generator=g)
    y = torch.randint(0, 4, (64,), generator=g)
    aug = Remix(8, 1, class_counts=COUNTS, base="none", seed=5)
    logits = torch.randn(64, 4, generator=g)
    seen_relabel = False
    for _ in range(10):
        out = aug(x, y)
        perm_labels = out.y_b
        lam_y = aug.label_weight(y, _partner(out, x, y), out.lam)
        seen_relabel |= bool(((lam_y == 0) | (lam_y == 1)).any())
        y_j = _partner(out, x, y)
        soft = lam_y[:, None] * torch.nn.functional.one_hot(y, 4) + (
            1 - lam_y[:, None]
        ) * torch.nn.functional.one_hot(y_j, 4)
        expected = -(soft * logits.log_softmax(1)).sum(1).mean()
        got = mixed_loss(get_loss("ce", COUNTS), logits, out.y, perm_labels, out.lam)
        torch.testing.assert_close(got.double(), expected.double())
    assert seen_relabel


def _partner(out, x, y):
    """Recover the partner of each mixed image (constant-free: solve per pixel)."""
    # x_mix = lam x + (1 - lam) x[perm]  ->  x[perm] = (x_mix - lam x) / (1 - lam)
    xp = (out.x - out.lam * x) / (1 - out.lam)
    d = ((xp.flatten(1)[:, None] - x.flatten(1)[None]) ** 2).sum(-1)
    return y[d.argmin(1)]


def test_seeded_and_mixes_like_mixup():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(32, 1, 8, 8, generator=g)
    y = torch.randint(0, 4, (32,), generator=g)
    a = get_augmentation("remix", 8, 1, class_counts=COUNTS, seed=3)(x, y)
    b = get_augmentation("remix", 8, 1, class_counts=COUNTS, seed=3)(x, y)
    c = get_augmentation("remix", 8, 1, class_counts=COUNTS, seed=4)(x, y)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y) and a.lam == b.lam
    assert not torch.equal(a.x, c.x)
    # With no imbalance (kappa above every ratio) Remix is mixup, draw for draw.
    m = get_augmentation("mixup", 8, 1, base="none", seed=7)(x, y)
    r = get_augmentation(
        "remix", 8, 1, class_counts=COUNTS, kappa=1e9, base="none", seed=7
    )(x, y)
    assert torch.equal(m.x, r.x) and torch.equal(m.y, r.y)
    assert torch.equal(m.y_b, r.y_b) and m.lam == r.lam


def test_class_counts_required_and_checked():
    with pytest.raises(UsageError, match="class_counts"):
        get_augmentation("remix", 8, 1)
    with pytest.raises(UsageError, match="class_counts"):
        get_augmentation("remix", 8, 1, class_counts=[5])
    with pytest.raises(UsageError, match="kappa"):
        get_augmentation("remix", 8, 1, class_counts=COUNTS, kappa=0.5)
    # Passed to the augmentations that take it, ignored by the others.
    assert get_augmentation("mixup", 8, 1, class_counts=COUNTS).alpha == 1.0
    assert np.allclose(
        get_augmentation("remix", 8, 1, class_counts=[0, 4]).class_counts, [1, 4]
    )
