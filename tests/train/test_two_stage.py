import numpy as np
import pytest
import torch

from pixsmote._errors import DataError, UsageError
from pixsmote.train import extract_features, get_model, list_models, retrain_head
from pixsmote.train._metrics import compute_metrics


@pytest.mark.parametrize("name", list_models())
def test_models_split_into_features_and_head(name):
    torch.manual_seed(0)
    net = get_model(name, 1, 3, 8).eval()
    x = torch.rand(2, 1, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(net(x), net.fc(net.forward_features(x)))


@pytest.fixture(scope="module")
def setup(digits):
    (X, y), (Xv, yv) = digits
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = get_model("small-cnn", 1, 10, 8)
    # A few plain steps so the features carry some signal and BN has statistics.
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    xb = torch.from_numpy(X[:512]).unsqueeze(1).float() / 255
    for _ in range(10):
        loss = torch.nn.functional.cross_entropy(net(xb), torch.from_numpy(y[:512]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.train()
    return net, extract_features(net, X), y, extract_features(net, Xv), yv


def test_extract_features_eval_mode_and_restores_mode(setup, digits):
    net, feats, *_ = setup
    (X, _), _ = digits
    assert net.training and feats.shape == (len(X), 64) and feats.dtype == np.float32
    net.eval()
    with torch.no_grad():
        ref = net.forward_features(torch.from_numpy(X[:5]).unsqueeze(1).float() / 255)
    net.train()
    np.testing.assert_allclose(feats[:5], ref.numpy(), rtol=1e-5, atol=1e-6)


def test_backbone_never_changes_and_head_does(setup):
    net, feats, y, vf, vy = setup
    before = {k: v.clone() for k, v in net.state_dict().items()}
    res = retrain_head(net, feats, y, vf, vy, epochs=3, lr=0.1, seed=0)
    after = res.model.state_dict()
    for k, v in before.items():
        if k.startswith("fc."):
            assert not torch.equal(after[k], v)  # re-initialised and trained
        else:
            assert torch.equal(after[k], v), k  # weights and BN buffers, bitwise
    # The input net is not modified at all.
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k])
    assert res.model is not net


def test_best_epoch_is_chosen_on_validation(setup):
    net, feats, y, vf, vy = setup

    def resample(epoch, f, labels):
        # Real labels for two epochs, then every class renamed to the next one:
        # the later heads learn wrong names, so the best head is an early one.
        return f, labels if epoch < 2 else (labels + 1) % 10

    res = retrain_head(net, feats, y, vf, vy, epochs=6, lr=1.0, seed=0,
                       resample=resample)  # fmt: skip
    acsa = [h["val_acsa"] for h in res.history]
    assert res.best_epoch in (1, 2)
    assert res.best_epoch == max(i + 1 for i, a in enumerate(acsa) if a == max(acsa))
    with torch.no_grad():
        pred = res.model.fc(torch.from_numpy(vf)).argmax(1).numpy()
    assert compute_metrics(vy, pred, 10)["acsa"] == res.best_val["acsa"] == max(acsa)
    assert max(acsa) > acsa[-1]


def test_deterministic_with_a_seed(setup):
    net, feats, y, vf, vy = setup
    a, b, c = (
        retrain_head(net, feats, y, vf, vy, epochs=2, seed=s) for s in (1, 1, 2)
    )
    assert torch.equal(a.model.fc.weight, b.model.fc.weight)
    assert [h["val_acsa"] for h in a.history] == [h["val_acsa"] for h in b.history]
    assert not torch.equal(a.model.fc.weight, c.model.fc.weight)


def test_resample_sees_each_epoch_and_real_features(setup):
    net, feats, y, vf, vy = setup
    calls = []

    def resample(epoch, f, labels):
        calls.append((epoch, f.shape, len(labels)))
        return f[:300], labels[:300]

    res = retrain_head(net, feats, y, vf, vy, epochs=3, seed=0, resample=resample)
    assert calls == [(e, feats.shape, len(y)) for e in range(3)]
    assert [h["n_train"] for h in res.history] == [300] * 3


def test_errors(setup):
    net, feats, y, vf, vy = setup
    with pytest.raises(UsageError, match="epochs"):
        retrain_head(net, feats, y, vf, vy, epochs=0)
    with pytest.raises(UsageError, match="forward_features"):
        retrain_head(torch.nn.Linear(3, 3), feats, y, vf, vy)
    # No validation score: no epoch to keep (was a TypeError from load_state_dict).
    with pytest.raises(DataError, match="val_y is empty"):
        retrain_head(net, feats, y, vf[:0], vy[:0], epochs=1)


def test_extract_features_of_read_only_images_is_silent(setup, digits):
    # Images often come as read-only arrays (np.load(mmap_mode="r"), shared
    # buffers); torch warns on wrapping those, so the features must not.
    net, feats, *_ = setup
    (X, _), _ = digits
    ro = X.copy()
    ro.flags.writeable = False
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = extract_features(net, ro)
    np.testing.assert_array_equal(got, feats)


def test_keep_last_keeps_the_final_head(setup):
    net, feats, y, vf, vy = setup

    def resample(epoch, f, labels):
        return f, labels if epoch < 2 else (labels + 1) % 10

    kw = dict(epochs=6, lr=1.0, seed=0, resample=resample)
    best = retrain_head(net, feats, y, vf, vy, **kw)
    last = retrain_head(net, feats, y, vf, vy, keep="last", **kw)
    acsa = [h["val_acsa"] for h in best.history]
    assert [h["val_acsa"] for h in last.history] == acsa
    assert best.best_epoch in (1, 2) and last.best_epoch == 6
    with torch.no_grad():
        pred = last.model.fc(torch.from_numpy(vf)).argmax(1).numpy()
    assert compute_metrics(vy, pred, 10)["acsa"] == last.best_val["acsa"]
    assert last.best_val["acsa"] == last.history[-1]["val_acsa"] < best.best_val["acsa"]
    with pytest.raises(UsageError, match="keep must be one of"):
        retrain_head(net, feats, y, vf, vy, epochs=1, keep="first")
