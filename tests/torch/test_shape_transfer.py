"""ShapeTransfer: minority images warped towards other images' shape deviations."""

import numpy as np
import pytest
import torch

from pixsmote._errors import UsageError
from pixsmote.app import list_recipes
from pixsmote.sampling import SAMPLERS, Plan, get_sampler
from pixsmote.torch import DeepSMOTEEpochs, ShapeTransfer, register_demons, warp


def _bars(widths, size=16, value=200):
    """Grey images of a centred vertical bar of each width (in pixels)."""
    X = np.zeros((len(widths), size, size), dtype=np.uint8)
    for i, w in enumerate(widths):
        lo = size // 2 - w // 2
        X[i, 3:-3, lo : lo + w] = value
    return X


def _data():
    # Class 0 (large): bars of widths 2..10, the shape variation; class 1
    # (small): bars of one width, none; class 2: horizontal bars, far away.
    rng = np.random.default_rng(0)
    wide = _bars(rng.integers(2, 11, size=40))
    narrow = _bars([6] * 6)
    flat = np.ascontiguousarray(_bars(rng.integers(2, 11, size=20)).transpose(0, 2, 1))
    X = np.concatenate([wide, narrow, flat])
    return X, np.repeat([0, 1, 2], [40, 6, 20])


def _width(img) -> float:
    """Mean horizontal extent of the bright pixels per row (a bar's width)."""
    rows = img[3:-3] > 100
    return float(rows.sum(1).mean())


def test_register_demons_recovers_a_shift():
    X = _bars([6, 6])
    fixed = torch.from_numpy(X[:1] / 255.0).float()[:, None]
    moving = torch.roll(fixed, shifts=2, dims=3)  # the bar two pixels right
    field = register_demons(fixed, moving, iterations=60)
    before = float(((moving - fixed) ** 2).mean())
    after = float(((warp(moving, field) - fixed) ** 2).mean())
    assert after < 0.2 * before
    # On the bar's edges the field points two pixels right (into the moving image).
    dx = field[0, 1, 5:-5, 5:11]
    assert 1.0 < float(dx.mean()) < 2.5


def test_warp_by_zero_field_is_the_identity():
    x = torch.rand(3, 2, 7, 9)
    # Up to float32 rounding of grid_sample's [-1, 1] coordinates.
    assert torch.allclose(warp(x, torch.zeros(3, 2, 7, 9)), x, atol=1e-6, rtol=0)


def test_plan_bases_are_of_the_class_and_donors_of_its_nearest_classes():
    X, y = _data()
    st = ShapeTransfer(random_state=0, donor_classes=2)
    idx, plan = st.fit_plan(X, y)
    assert idx.tolist() == list(range(len(X)))
    assert st.n_synthetic_ == {1: 34, 2: 20}
    for c in (1, 2):
        rows = plan.cls == c
        assert (y[plan.base[rows]] == c).all()
        donors = set(y[plan.neighbor[rows]].tolist())
        assert donors <= set(st.donor_classes_[c]) and len(donors) == 2
    # The narrow vertical bar's nearest template is the vertical bars', not
    # the horizontal ones'.
    assert st.donor_classes_[1] == [1, 0]
    assert ((plan.gap >= 0) & (plan.gap < 1)).all()
    assert st.templates_.shape == (3, 16, 16) and st.templates_.dtype == np.float32


def test_synthetic_images_take_the_donor_class_shape_variation():
    X, y = _data()
    st = ShapeTransfer(random_state=0, donor_classes=2, iterations=60)
    X_res, y_res = st.fit_resample(X, y)
    assert X_res.dtype == np.uint8 and X_res.shape == (120, 16, 16)
    assert np.bincount(y_res).tolist() == [40, 40, 40]
    assert np.array_equal(X_res[: len(X)], X)
    plan = st.plan_
    new = X_res[len(X) :][plan.cls == 1]
    from_wide = y[plan.neighbor[plan.cls == 1]] == 0
    widths = np.array([_width(img) for img in new])
    # Class 1's own bars are all 6 wide; a donor of class 0 moves the edges
    # towards its own bar's width, and the pixels stay the base's (200).
    assert {_width(img) for img in X[y == 1]} == {6.0}
    donor_w = np.array([_width(X[j]) for j in plan.neighbor[plan.cls == 1]])
    gap = plan.gap[plan.cls == 1]
    moved = from_wide & (np.abs(donor_w - 6) >= 4) & (gap > 0.5)
    assert moved.sum() >= 3
    assert (np.sign(widths[moved] - 6) == np.sign(donor_w[moved] - 6)).all()
    assert np.abs(widths[moved] - 6).min() >= 1
    assert new.max() <= 200


def test_a_zero_gap_gives_the_base_and_synthesis_is_pure():
    X, y = _data()
    st = ShapeTransfer(random_state=0)
    _, plan = st.fit_plan(X, y)
    zero = Plan(plan.cls, plan.base, plan.neighbor, gap=np.zeros(len(plan)))
    assert np.array_equal(st.synthesize(X, zero), X[plan.base])
    whole = st.synthesize(X, plan)
    assert np.array_equal(whole, st.synthesize(X, plan, chunk_size=7))
    # Only the plan's two images matter: the same plan on a subset of X
    # (as a lazy source or a Dask worker sees it) gives the same pixels.
    both = np.concatenate([plan.base, plan.neighbor])
    used, inv = np.unique(both, return_inverse=True)
    n = len(plan)
    inv = inv.astype(np.int64)
    local = Plan(plan.cls, inv[:n], inv[n:], plan.gap)
    assert np.array_equal(st.synthesize(X[used], local), whole)
    # And in the synthesizer that other processes get.
    assert np.array_equal(st.synthesizer().synthesize(X, plan), whole)


def test_one_seed_gives_the_same_images_and_share_adds_copies():
    X, y = _data()
    a = ShapeTransfer(random_state=3, synthetic_share=0.5).fit_resample(X, y)
    b = ShapeTransfer(random_state=3, synthetic_share=0.5).fit_resample(X, y)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    st = ShapeTransfer(random_state=3, synthetic_share=0.5)
    idx, plan = st.fit_plan(X, y)
    # Every class is brought to 40 with copies, then as many synthetic images.
    counts = np.bincount(np.concatenate([y[idx], plan.cls]))
    assert counts.tolist() == [80, 80, 80]
    assert np.bincount(plan.cls).tolist() == [40, 40, 40]


def test_float_images_and_colour():
    X, y = _data()
    Xf = (X / 255.0).astype(np.float32)
    out, _ = ShapeTransfer(random_state=0).fit_resample(Xf, y)
    assert out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1
    rgb = np.repeat(X[..., None], 3, axis=3)
    out_rgb, _ = ShapeTransfer(random_state=0).fit_resample(rgb, y)
    out_grey, _ = ShapeTransfer(random_state=0).fit_resample(X, y)
    # One field for every channel, found on the channels' mean.
    assert np.array_equal(out_rgb[..., 0], out_grey)
    assert np.array_equal(out_rgb[..., 0], out_rgb[..., 2])


def test_bad_input_is_refused():
    X, y = _data()
    with pytest.raises(ValueError, match=r"float images in \[0, 1\].*Got values"):
        ShapeTransfer().fit_resample(X.astype(np.float32), y)
    with pytest.raises(UsageError, match="fitted ShapeTransfer"):
        ShapeTransfer().synthesize(X, Plan.empty())
    st = ShapeTransfer(random_state=0)
    _, plan = st.fit_plan(X, y)
    with pytest.raises(ValueError, match=r"images of \(16, 16\) pixels.*Got \(8, 8\)"):
        st.synthesize(X[:, :8, :8], plan)
    with pytest.raises(ValueError, match="donor_classes"):
        ShapeTransfer(donor_classes=0).fit_resample(X, y)


def test_registered_with_an_online_form():
    spec = SAMPLERS["shape-transfer"]
    assert spec.cls is ShapeTransfer and spec.images_only
    assert get_sampler("shape-transfer", sigma=2.0).sigma == 2.0
    assert {"shape-transfer", "online-shape-transfer"} <= set(list_recipes())
    X, y = _data()
    epochs = DeepSMOTEEpochs(X, y, ShapeTransfer(synthetic_share=0.5), seed=1)
    X0, y0 = epochs(0)
    X0_again, _ = epochs(0)
    X1, _ = epochs(1)
    assert np.array_equal(X0, X0_again) and not np.array_equal(X0, X1)
    assert np.bincount(y0).tolist() == [80, 80, 80]


def test_a_donor_it_was_not_fitted_on_is_measured_from_its_base_class_donors():
    X, y = _data()
    st = ShapeTransfer(random_state=0, donor_classes=2, iterations=60)
    _, plan = st.fit_plan(X, y)
    rows = np.flatnonzero(plan.cls == 1)
    # A new wide vertical bar (one grey level brighter: not a fitted image).
    # Among all templates it is nearest the horizontal bars'; among class 1's
    # donor classes (1 and 0), a vertical one, so the base widens.
    X2 = np.concatenate([X, _bars([10], value=201)])
    n = len(rows)
    donors = np.full(n, len(X), dtype=np.int64)
    foreign = Plan(plan.cls[rows], plan.base[rows], donors, np.full(n, 0.9))
    donor = st._to_unit(X2[-1:])
    assert int(st._donor_templates(X2[-1:], donor, np.array([1]))[0]) in (0, 1)
    out = st.synthesize(X2, foreign)
    assert min(_width(img) for img in out) >= 8
