import numpy as np
import pytest
import torch

from pixsmote._errors import UsageError
from pixsmote.train import (
    AUGMENTATIONS,
    Batch,
    SamplePairing,
    get_augmentation,
    list_augmentations,
)

SHAPES = [(1, 8), (1, 28), (3, 32)]


def _batch(channels, size, n=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, channels, size, size, generator=g)
    y = torch.randint(0, 5, (n,), generator=g)
    return x, y


#: Class counts for the augmentations that need them (labels of _batch: 0..4).
COUNTS = [400, 100, 40, 20, 10]


def _run(name, channels, size, seed, fraction=0.5, **kw):
    aug = get_augmentation(name, size, channels, seed=seed, class_counts=COUNTS, **kw)
    aug.set_progress(5, fraction)
    return aug(*_batch(channels, size))


def test_registry_names():
    assert list_augmentations() == [
        "none",
        "basic",
        "basic-hflip",
        "samplepairing",
        "mixup",
        "remix",
        "cutmix",
    ]
    assert set(AUGMENTATIONS) == set(list_augmentations())


@pytest.mark.parametrize("name", list_augmentations())
@pytest.mark.parametrize(("channels", "size"), SHAPES)
def test_shape_range_determinism(name, channels, size):
    x, y = _batch(channels, size)
    out = _run(name, channels, size, seed=3)
    assert isinstance(out, Batch)
    assert out.x.shape == x.shape and out.x.dtype == torch.float32
    assert out.x.min() >= 0.0 and out.x.max() <= 1.0
    if name != "remix":  # Remix hands a pair's label to its minority class
        assert torch.equal(out.y, y)  # the first label is always kept
    else:
        assert bool(((out.y == y) | (out.y == out.y_b)).all())
    if out.y_b is None:
        assert out.lam == 1.0
    else:
        assert 0.0 <= out.lam <= 1.0 and out.y_b.shape == y.shape
    again = _run(name, channels, size, seed=3)
    assert torch.equal(out.x, again.x) and out.lam == again.lam
    if name != "none":
        assert not torch.equal(out.x, _run(name, channels, size, seed=4).x)


def test_global_rng_untouched():
    state = torch.random.get_rng_state()
    _run("basic", 3, 32, seed=0)
    assert torch.equal(state, torch.random.get_rng_state())


def test_basic_switches_and_sizes():
    small = get_augmentation("basic", 8, 1)
    assert small.config["padding"] == 1 and small.config["hflip"] is False
    assert get_augmentation("basic", 28, 1).config["padding"] == 3
    assert get_augmentation("basic", 32, 3).config["padding"] == 4
    assert get_augmentation("basic", 32, 3).config["hflip"] is True
    assert get_augmentation("basic", 28, 1, hflip=True).config["hflip"] is True
    off = dict.fromkeys(
        ["resized_crop", "pad_crop", "rotation", "color", "noise", "erasing"], False
    )
    ident = get_augmentation("basic", 28, 1, **off)
    x, y = _batch(1, 28)
    assert torch.equal(ident(x, y).x, x)
    only_flip = get_augmentation("basic", 28, 1, hflip=True, **off)
    out = only_flip(x, y).x
    flipped = (out == x.flip(-1)).flatten(1).all(1)
    same = (out == x).flatten(1).all(1)
    assert bool((flipped | same).all()) and flipped.any() and same.any()


def test_basic_hflip_is_basic_with_flips_on_grey_scale():
    # Fashion-MNIST's garments mirror into themselves: the named variant turns
    # on what `basic` leaves off for grey-scale, and only that.
    flip = get_augmentation("basic-hflip", 28, 1, seed=5)
    assert flip.config == {**get_augmentation("basic", 28, 1).config, "hflip": True}
    off = dict.fromkeys(
        ["resized_crop", "pad_crop", "rotation", "color", "noise", "erasing"], False
    )
    x, y = _batch(1, 28)
    out = get_augmentation("basic-hflip", 28, 1, seed=5, **off)(x, y).x
    ref = get_augmentation("basic", 28, 1, seed=5, hflip=True, **off)(x, y).x
    assert torch.equal(out, ref) and not torch.equal(out, x)
    with pytest.raises(UsageError, match="hflip=False instead"):
        get_augmentation("basic-hflip", 28, 1, hflip=False)


def _indexed_batch(n=32, size=16):
    # Image i is constant i / n, label i: mixing can be read back exactly.
    x = (
        (torch.arange(n, dtype=torch.float32) / n)
        .view(n, 1, 1, 1)
        .expand(n, 1, size, size)
    )
    return x.contiguous(), torch.arange(n)


def test_mixup_lam_semantics():
    x, y = _indexed_batch()
    aug = get_augmentation("mixup", 16, 1, base="none", seed=1)
    lams = []
    for _ in range(20):
        out = aug(x, y)
        assert out.y_b is not None
        expected = out.lam * x + (1 - out.lam) * x[out.y_b]
        torch.testing.assert_close(out.x, expected)
        lams.append(out.lam)
    assert 0.2 < np.mean(lams) < 0.8  # Beta(1, 1) is uniform


def test_cutmix_lam_is_area_fraction():
    x, y = _indexed_batch()
    aug = get_augmentation("cutmix", 16, 1, base="none", p=1.0, seed=2)
    for _ in range(20):
        out = aug(x, y)
        moved = out.y_b != y
        kept = (out.x == x).flatten(1).float().mean(1)
        torch.testing.assert_close(kept[moved], torch.full_like(kept[moved], out.lam))
        pasted = (out.x == x[out.y_b]).flatten(1).float().mean(1)
        torch.testing.assert_close(pasted[moved], 1 - kept[moved])


def test_cutmix_probability():
    x, y = _indexed_batch()
    aug = get_augmentation("cutmix", 16, 1, base="none", p=0.0)
    out = aug(x, y)
    assert out.y_b is None and torch.equal(out.x, x)


def test_samplepairing_schedule():
    sp = SamplePairing(16, 1, start=0.1, end=0.9, on=0.08, off=0.02)
    fractions = np.arange(0, 1, 0.01)
    active = [sp.is_active(f) for f in fractions]
    # off during warm-up and fine-tuning; 8 on, 2 off in between
    assert not any(active[:10]) and not any(active[90:])
    assert active[10:20] == [True] * 8 + [False] * 2
    assert sum(active[10:90]) == 64


def test_samplepairing_averages_and_keeps_label():
    x, y = _indexed_batch()
    aug = get_augmentation("samplepairing", 16, 1, base="none")
    aug.set_progress(0, 0.0)  # warm-up: identity
    assert torch.equal(aug(x, y).x, x)
    aug.set_progress(3, 0.12)
    out = aug(x, y)
    assert out.y_b is None and torch.equal(out.y, y)
    partner = (2 * out.x[:, 0, 0, 0] * 32).round().long() - y  # = index of partner
    torch.testing.assert_close(out.x, (x + x[partner]) / 2)


def test_errors():
    with pytest.raises(UsageError, match=r"Expected one of .*Got 'autoaugment'"):
        get_augmentation("autoaugment", 28, 1)
    with pytest.raises(UsageError, match="Bad option"):
        get_augmentation("basic", 28, 1, sharpness=True)
    with pytest.raises(UsageError, match="channels"):
        get_augmentation("basic", 28, 2)
    with pytest.raises(UsageError, match="alpha"):
        get_augmentation("mixup", 28, 1, alpha=0)
    with pytest.raises(UsageError, match="schedule"):
        get_augmentation("samplepairing", 28, 1, start=0.9, end=0.1)
    with pytest.raises(UsageError, match="base"):
        get_augmentation("cutmix", 28, 1, base="mixup")


@pytest.mark.parametrize("name", list_augmentations())
def test_mixes_labels_says_whether_batches_carry_a_second_label(name):
    aug = get_augmentation(name, (8, 8), 1, seed=0, class_counts=[30, 10])
    x = torch.rand(16, 1, 8, 8)
    y = torch.arange(16) % 2
    # CutMix mixes a batch with probability 0.5: ten batches, one at least
    second = [aug(x, y).y_b is not None for _ in range(10)]
    assert aug.mixes_labels == any(second)
    # what the bench reads before building one
    entry = AUGMENTATIONS[name]
    assert getattr(entry, "mixes_labels", False) == aug.mixes_labels
