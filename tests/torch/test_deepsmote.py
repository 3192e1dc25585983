import copy

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.neighbors import NearestNeighbors

from pixsmote._errors import UsageError
from pixsmote.torch._deepsmote import DeepSMOTE, DeepSMOTEEpochs

#: Tiny networks and few epochs: each fit takes well under a second.
FAST = dict(latent_dim=8, width=4, epochs=2, batch_size=32)


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def digits3():
    """Digits 0, 1, 2 as uint8 8x8 images, imbalanced 120 / 30 / 20."""
    d = load_digits()
    X = np.round(d.images * 255 / 16).astype(np.uint8)
    keep = np.concatenate(
        [np.flatnonzero(d.target == c)[:n] for c, n in [(0, 120), (1, 30), (2, 20)]]
    )
    return X[keep], d.target[keep].astype(np.int64)


def _nearer_parents_than_other_classes(X, y, syn, plan):
    """Shares of synthetic images nearer (pixels) to one of their parents than
    to a random image of another class, and of those that are no parent."""
    syn = syn.reshape(len(plan), -1).astype(np.float64)
    flat = X.reshape(len(X), -1).astype(np.float64)
    d_parent = np.minimum(
        np.linalg.norm(syn - flat[plan.base], axis=1),
        np.linalg.norm(syn - flat[plan.neighbor], axis=1),
    )
    rng = np.random.default_rng(0)
    other = np.array([rng.choice(np.flatnonzero(y != c)) for c in plan.cls])
    d_other = np.linalg.norm(syn - flat[other], axis=1)
    return np.mean(d_parent < d_other), np.mean(d_parent > 0)


@pytest.mark.parametrize(
    ("dtype", "shape"),
    [(np.uint8, (8, 8)), (np.uint16, (8, 8)), (np.float32, (8, 6, 3))],
)
def test_shape_dtype_and_counts(dtype, shape):
    rng = np.random.default_rng(0)
    if np.issubdtype(dtype, np.integer):
        X = rng.integers(0, np.iinfo(dtype).max, size=(50, *shape), dtype=dtype)
    else:
        X = rng.uniform(-1, 3, size=(50, *shape)).astype(dtype)
    y = np.repeat([0, 1], [38, 12])
    X_res, y_res = DeepSMOTE(random_state=0, **FAST).fit_resample(X, y)
    assert X_res.shape == (76, *shape) and X_res.dtype == dtype
    assert np.bincount(y_res).tolist() == [38, 38]
    np.testing.assert_array_equal(X_res[:50], X)
    if dtype == np.float32:  # the decoder's tanh range maps to the data's range
        assert X_res.min() >= X.min() - 1e-4 and X_res.max() <= X.max() + 1e-4


def test_reproducible_from_one_seed(digits3):
    X, y = digits3
    torch_state = torch.random.get_rng_state()
    np_state = np.random.get_state()[1].copy()
    a, b = (DeepSMOTE(random_state=1, **FAST) for _ in range(2))
    Xa, _ = a.fit_resample(X, y)
    Xb, _ = b.fit_resample(X, y)
    np.testing.assert_array_equal(Xa, Xb)
    for pa, pb in zip(a.decoder_.parameters(), b.decoder_.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert a.history_ == [
        {**h, "time_s": a.history_[i]["time_s"]} for i, h in enumerate(b.history_)
    ]
    Xc, _ = DeepSMOTE(random_state=2, **FAST).fit_resample(X, y)
    assert not np.array_equal(Xa, Xc)
    # The global generators are left as they were.
    assert torch.equal(torch_state, torch.random.get_rng_state())
    assert np.array_equal(np_state, np.random.get_state()[1])


def test_plan_rows_are_real_rows_of_the_class_and_latent_neighbours(digits3):
    X, y = digits3
    s = DeepSMOTE(random_state=0, **FAST)
    idx, plan = s.fit_plan(X, y)
    assert idx.tolist() == list(range(len(X)))
    assert np.bincount(plan.cls).tolist() == [0, 90, 100]
    assert np.all(y[plan.base] == plan.cls) and np.all(y[plan.neighbor] == plan.cls)
    assert np.all(plan.base != plan.neighbor)
    assert np.all((plan.gap >= 0) & (plan.gap < 1))
    for c in (1, 2):  # the neighbour is among the base's 5 nearest codes
        members = np.flatnonzero(y == c)
        nn = NearestNeighbors(n_neighbors=6).fit(s.codes_[members])
        near = members[nn.kneighbors(s.codes_[members], return_distance=False)]
        rows = np.flatnonzero(plan.cls == c)
        pos = np.searchsorted(members, plan.base[rows])
        assert all(plan.neighbor[r] in near[p] for r, p in zip(rows, pos, strict=True))


def test_synthetic_images_are_closer_to_their_parents(digits3):
    X, y = digits3
    s = DeepSMOTE(random_state=0, latent_dim=16, width=8, epochs=15, batch_size=32)
    X_res, _ = s.fit_resample(X, y)
    nearer, new = _nearer_parents_than_other_classes(X, y, X_res[len(X) :], s.plan_)
    assert nearer > 0.95
    # Not copies either: decoding an interpolated code is a new image.
    assert new > 0.95


def test_residual_decoding_moves_the_base_by_the_decoders_change(digits3):
    from pixsmote.sampling import Plan

    X, y = digits3
    s = DeepSMOTE(
        random_state=0, decoding="residual", latent_dim=16, width=8, epochs=15,
        batch_size=32,
    )
    X_res, _ = s.fit_resample(X, y)
    plan = s.plan_
    syn = X_res[len(X) :]
    assert syn.shape == (len(plan), *X.shape[1:]) and syn.dtype == X.dtype
    # What it is: base + decoder(z) - decoder(z_base), rounded and clipped.
    zb, zn = s.encode(X[plan.base]), s.encode(X[plan.neighbor])
    z = zb + plan.gap[:, None].astype(np.float32) * (zn - zb)
    shape = X.shape[1:]
    delta = s._decode_float(z, shape) - s._decode_float(zb, shape)
    expect = np.clip(np.rint(X[plan.base] + delta), 0, 255)
    assert np.mean(np.abs(syn.astype(np.float64) - expect) <= 1) > 0.999
    # A gap of 0 gives the base image itself; direct decoding does not.
    at_base = Plan(plan.cls[:20], plan.base[:20], plan.neighbor[:20], gap=np.zeros(20))
    np.testing.assert_array_equal(s.synthesize(X, at_base), X[plan.base[:20]])
    direct = copy.copy(s).set_params(decoding="direct")
    assert not np.array_equal(direct.synthesize(X, at_base), X[plan.base[:20]])
    # Same networks and plan, the other decoding: other images.
    assert not np.array_equal(syn, direct.synthesize(X, plan))
    # Still new images, closer to their parents than to other classes.
    nearer, new = _nearer_parents_than_other_classes(X, y, syn, plan)
    assert nearer > 0.95 and new > 0.9


def test_residual_decoding_of_float_images_keeps_dtype_and_chunks():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 3, size=(50, 8, 6, 3)).astype(np.float32)
    y = np.repeat([0, 1], [38, 12])
    s = DeepSMOTE(random_state=0, decoding="residual", **FAST)
    X_res, _ = s.fit_resample(X, y)
    assert X_res.dtype == np.float32 and X_res.shape == (76, 8, 6, 3)
    chunks = np.concatenate(
        [s.synthesize(X, s.plan_[i : i + 5], chunk_size=2) for i in range(0, 26, 5)]
    )
    # Float32 keeps the last bits that uint8 rounds away, and a convolution's
    # last bits depend on the batch size (the BLAS path): equal to 1e-5.
    np.testing.assert_allclose(chunks, X_res[50:], atol=1e-5)


@pytest.mark.parametrize("mode", ["paper", "released"])
def test_penalty_modes(mode):
    from pixsmote.torch import DeepSMOTEDecoder, DeepSMOTEEncoder

    torch.manual_seed(0)
    enc = DeepSMOTEEncoder((1, 8, 8), 8, 4, 0.0, 255.0).eval()
    dec = DeepSMOTEDecoder((1, 8, 8), 8, 4, 0.0, 255.0).eval()
    x = torch.rand(6, 1, 8, 8) * 2 - 1
    loss = DeepSMOTE(penalty_mode=mode)._penalty_loss(enc, dec, x, x)
    loss.backward()
    recon = torch.nn.functional.mse_loss(dec.forward_unit(enc.forward_unit(x)), x)
    enc_grads = [p.grad for p in enc.parameters()]
    if mode == "paper":  # decode each code in another image's place
        moved = dec.forward_unit(torch.roll(enc.forward_unit(x), 1, dims=0))
        torch.testing.assert_close(loss, torch.nn.functional.mse_loss(moved, x))
        assert loss.item() != recon.item()
        assert any(g is not None and g.abs().sum() > 0 for g in enc_grads)
    else:  # the released code's: the permutation cancels, encoder untouched
        torch.testing.assert_close(loss, recon)
        assert all(g is None for g in enc_grads)
    assert any(p.grad.abs().sum() > 0 for p in dec.parameters())


def test_synthesize_is_a_pure_function_of_images_plan_and_decoder(digits3):
    X, y = digits3
    s = DeepSMOTE(random_state=0, **FAST)
    X_res, _ = s.fit_resample(X, y)
    whole = s.synthesize(X, s.plan_)
    np.testing.assert_array_equal(whole, X_res[len(X) :])
    chunks = np.concatenate(
        [s.synthesize(X, s.plan_[i : i + 7], chunk_size=3) for i in range(0, 190, 7)]
    )
    np.testing.assert_array_equal(chunks, whole)


def test_save_load_round_trip(digits3, tmp_path):
    X, y = digits3
    s = DeepSMOTE(random_state=0, **FAST)
    X_res, _ = s.fit_resample(X, y)
    s.save(tmp_path / "ds.pt")
    loaded = DeepSMOTE.load(tmp_path / "ds.pt", random_state=0)
    X_res2, _ = loaded.fit_resample(X, y)  # same networks, same seed: same plan
    assert loaded.history_ == []  # nothing was trained
    np.testing.assert_array_equal(loaded.codes_, s.codes_)
    np.testing.assert_array_equal(X_res2, X_res)
    # Networks passed in are used as they are, too.
    given = DeepSMOTE(random_state=0, encoder=s.encoder_, decoder=s.decoder_)
    np.testing.assert_array_equal(given.fit_resample(X, y)[0], X_res)


def test_online_epochs_draw_fresh_plans(digits3):
    X, y = digits3
    data = DeepSMOTEEpochs(X, y, DeepSMOTE(**FAST), seed=3)
    X0, y0 = data(0)
    X1, _ = data(1)
    assert X0.shape == (360, 8, 8) and X0.dtype == np.uint8
    assert np.bincount(y0).tolist() == [120] * 3
    assert not np.array_equal(X0, X1)
    np.testing.assert_array_equal(data(0)[0], X0)
    again = DeepSMOTEEpochs(X, y, DeepSMOTE(**FAST), seed=3)
    np.testing.assert_array_equal(again(1)[0], X1)


def test_errors(digits3):
    X, y = digits3
    with pytest.raises(ValueError, match="needs images"):
        DeepSMOTE(**FAST).fit_resample(X.reshape(len(X), -1), y)
    s = DeepSMOTE(random_state=0, **FAST)
    with pytest.raises(UsageError, match="together"):
        DeepSMOTE(encoder=torch.nn.Linear(2, 2)).fit_resample(X, y)
    with pytest.raises(UsageError, match="fitted"):
        s.save("unused.pt")
    with pytest.raises(ValueError, match="too few"):
        DeepSMOTE(k_neighbors=50, **FAST).fit_resample(X, y)
    with pytest.raises(ValueError, match="'decoding' parameter"):
        DeepSMOTE(decoding="sharp", **FAST).fit_resample(X, y)


def test_lazy_top_level_import():
    import subprocess
    import sys

    import pixsmote
    import pixsmote.torch

    assert pixsmote.DeepSMOTE is pixsmote.torch.DeepSMOTE is DeepSMOTE
    assert "DeepSMOTE" in pixsmote.__all__
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        pixsmote.Nope  # noqa: B018
    # Importing pixsmote alone does not import torch (a separate process).
    code = "import sys, pixsmote; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_synthetic_share_decodes_into_every_class_and_copies_to_the_target(digits3):
    X, y = digits3
    sampler = DeepSMOTE(random_state=0, synthetic_share=0.5, **FAST)
    kept, plan = sampler.fit_plan(X, y)
    np.testing.assert_array_equal(kept[: len(y)], np.arange(len(y)))
    assert np.bincount(y[kept]).tolist() == [120, 120, 120]  # copies to the target
    assert np.bincount(plan.cls).tolist() == [120, 120, 120]  # the largest too
    for field in ("base", "neighbor"):
        np.testing.assert_array_equal(y[getattr(plan, field)], plan.cls)
    X_res, y_res = DeepSMOTE(random_state=0, synthetic_share=0.5, **FAST).fit_resample(
        X, y
    )
    assert X_res.shape == (720, 8, 8) and X_res.dtype == np.uint8
    np.testing.assert_array_equal(X_res[: len(kept)], X[kept])
    np.testing.assert_array_equal(y_res, np.concatenate([y[kept], plan.cls]))
    # The online form redraws both the copies and the plan every epoch.
    data = DeepSMOTEEpochs(X, y, DeepSMOTE(synthetic_share=0.5, **FAST), seed=3)
    (i0, p0), (i1, p1) = data.draw(0), data.draw(1)
    assert not np.array_equal(i0, i1) and not np.array_equal(p0.gap, p1.gap)
    X0, y0 = data(0)
    assert np.bincount(y0).tolist() == [240, 240, 240]
    np.testing.assert_array_equal(X0[: len(i0)], X[i0])
    np.testing.assert_array_equal(data(0)[0], X0)


def test_without_a_share_the_online_form_keeps_the_originals_once(digits3):
    X, y = digits3
    data = DeepSMOTEEpochs(X, y, DeepSMOTE(**FAST), seed=3)
    idx, plan = data.draw(2)
    np.testing.assert_array_equal(idx, np.arange(len(y)))
    assert np.bincount(plan.cls).tolist() == [0, 90, 100]


def test_synthesizer_drops_the_per_image_state_and_synthesizes_alike(digits3):
    import pickle

    X, y = digits3
    s = DeepSMOTE(random_state=0, **FAST)
    _, plan = s.fit_plan(X, y)
    slim = s.synthesizer()
    for name in ("codes_", "groups_", "plan_", "sample_indices_"):
        assert not hasattr(slim, name) and hasattr(s, name)
    assert slim.decoder_ is s.decoder_
    assert len(pickle.dumps(slim)) < len(pickle.dumps(s))
    np.testing.assert_array_equal(slim.synthesize(X, plan), s.synthesize(X, plan))


def test_another_smote_draws_the_plan_among_the_codes(digits3):
    from pixsmote.sampling import SVMSMOTE

    X, y = digits3
    s = DeepSMOTE(random_state=0, smote="svm-smote", **FAST)
    kept, plan = s.fit_plan(X, y)
    np.testing.assert_array_equal(kept, np.arange(len(y)))
    inner = s.plan_sampler_
    assert isinstance(inner, SVMSMOTE) and inner.k_neighbors == 5  # DeepSMOTE's
    # Its SVM was fitted on the codes, and its bases are that SVM's support
    # vectors: the plan is SVM-SMOTE's, in latent space.
    assert inner.svm_estimator_.support_vectors_.shape[1] == FAST["latent_dim"]
    assert set(plan.base.tolist()) <= set(inner.svm_estimator_.support_.tolist())
    assert np.all(y[plan.base] == plan.cls) and np.all(y[plan.neighbor] == plan.cls)
    # Its interpolations (and extrapolations) are decoded like the paper's.
    X_res, _ = DeepSMOTE(random_state=0, smote="svm-smote", **FAST).fit_resample(X, y)
    zb, zn = s.codes_[plan.base], s.codes_[plan.neighbor]
    z = zb + plan.effective_gap[:, None].astype(np.float32) * (zn - zb)
    decoded = s.decode(z, X.dtype, X.shape[1:])
    diff = np.abs(X_res[len(X) :].astype(int) - decoded.astype(int))
    assert np.mean(diff <= 1) > 0.99
    # One seed, one result; the plain SMOTE plan is another.
    again = DeepSMOTE(random_state=0, smote="svm-smote", **FAST).fit_plan(X, y)[1]
    np.testing.assert_array_equal(again.base, plan.base)
    np.testing.assert_array_equal(again.gap, plan.gap)
    plain = DeepSMOTE(random_state=0, **FAST).fit_plan(X, y)[1]
    assert len(plain) != len(plan) or not np.array_equal(plain.base, plan.base)


def test_another_smote_keeps_the_share_and_the_online_form(digits3):
    X, y = digits3
    s = DeepSMOTE(random_state=0, smote="borderline2", synthetic_share=0.5, **FAST)
    # The largest class has no code in danger: Borderline-2 says it stays short.
    short = "BorderlineSMOTE: class 0 gets about 0 of the 120"
    with pytest.warns(UserWarning, match=short):
        kept, plan = s.fit_plan(X, y)
    assert s.plan_sampler_.synthetic_share == 0.5
    assert np.bincount(y[kept]).tolist() == [120, 120, 120]  # copies to the target
    assert np.all(y[plan.base] == plan.cls)
    # Borderline-2 reaches towards other classes' codes too.
    assert np.any(y[plan.neighbor] != plan.cls)
    with pytest.warns(UserWarning, match=short):
        data = DeepSMOTEEpochs(
            X, y, DeepSMOTE(smote="borderline2", synthetic_share=0.5, **FAST), seed=3
        )
    (i0, p0), (i1, p1) = data.draw(0), data.draw(1)
    assert not np.array_equal(i0, i1) and not np.array_equal(p0.gap, p1.gap)
    X0, y0 = data(0)
    assert X0.dtype == np.uint8 and X0.shape[1:] == (8, 8)
    np.testing.assert_array_equal(data(0)[0], X0)


def test_another_smote_refuses_what_makes_no_plan_of_codes(digits3):
    from pixsmote.sampling import RandomOverSampler, get_sampler

    X, y = digits3
    for bad in ("ros", "m2m", "smote2"):
        with pytest.raises(ValueError, match=f"'smote' parameter .*Got '{bad}'"):
            DeepSMOTE(random_state=0, smote=bad, **FAST).fit_plan(X, y)
    with pytest.raises(UsageError, match="must be one of .*Got RandomOverSampler"):
        DeepSMOTE(random_state=0, smote=RandomOverSampler(), **FAST).fit_plan(X, y)
    with pytest.raises(UsageError, match="synthetic_share needs a smote sampler"):
        DeepSMOTE(
            random_state=0, smote="smote-enn", synthetic_share=0.5, **FAST
        ).fit_plan(X, y)
    # Through the registry, as the bench and the CLI build it.
    s = get_sampler("deepsmote", smote="svm-smote", random_state=0, **FAST)
    assert s.fit_plan(X, y)[1].cls.size > 0
