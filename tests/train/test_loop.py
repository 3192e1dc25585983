import csv
import json
import math

import numpy as np
import pytest
import torch

from pixsmote._errors import DataError, UsageError
from pixsmote.train import METRICS_COLUMNS, fit, lr_at

FAST = dict(n_classes=10, batch_size=64, progress=False)


def test_learns_digits(digits):
    train, val = digits
    result = fit(train, val, aug="basic", steps=200, **FAST)
    assert result.val["accuracy"] > 0.85
    assert result.model.training is False
    best = max(range(len(result.history)), key=lambda i: result.history[i]["val_acsa"])
    assert result.history[best]["val_acsa"] == result.val["acsa"]


def test_respects_steps_exactly(digits):
    train, val = digits  # 1400 images // 64 = 21 batches per epoch
    result = fit(train, val, aug="none", steps=50, **FAST)
    assert [row["step"] for row in result.history] == [21, 42, 50]
    assert result.history[-1]["lr"] == pytest.approx(lr_at(49 / 50, 0.05))


def test_tiny_epochs_validate_every_eval_every_steps(digits):
    train, val = digits
    small = (train[0][:130], train[1][:130])  # 130 // 64 = 2 steps per epoch
    result = fit(small, val, aug="none", steps=40, **FAST)
    # default eval_every = max(1, 40 // 50) = 1: every epoch
    assert [row["step"] for row in result.history] == list(range(2, 41, 2))
    result = fit(small, val, aug="none", steps=40, eval_every=5, **FAST)
    # validated once >= 5 steps passed since the last validation, and at the end
    assert [row["step"] for row in result.history] == [6, 12, 18, 24, 30, 36, 40]
    assert [row["epoch"] for row in result.history] == [3, 6, 9, 12, 15, 18, 20]
    assert result.best_epoch in {3, 6, 9, 12, 15, 18, 20}
    # train loss of a row averages all steps since the previous row
    assert all(math.isfinite(row["train_loss"]) for row in result.history)
    with pytest.raises(UsageError, match="eval_every"):
        fit(small, val, aug="none", steps=4, eval_every=0, **FAST)


def test_epochs(digits):
    train, val = digits
    result = fit(train, val, aug="none", epochs=2, **FAST)
    assert [row["step"] for row in result.history] == [21, 42]


def test_reproducible_and_rng_untouched(digits):
    train, val = digits
    state = torch.random.get_rng_state()
    runs = [
        fit(train, val, aug="basic", loss="focal", steps=30, seed=7, **FAST)
        for _ in range(2)
    ]
    assert torch.equal(state, torch.random.get_rng_state())
    strip = [
        [{k: v for k, v in row.items() if k != "time_s"} for row in r.history]
        for r in runs
    ]
    assert strip[0] == strip[1]
    other = fit(train, val, aug="basic", loss="focal", steps=30, seed=8, **FAST)
    assert other.history[-1]["train_loss"] != runs[0].history[-1]["train_loss"]


def test_writes_run_folder(digits, tmp_path):
    train, val = digits
    test = (val[0][:100], val[1][:100])
    result = fit(
        train,
        val,
        aug="mixup",
        loss="ldam-drw",
        steps=45,
        out_dir=tmp_path,
        test_sets={"test": test, "val-again": val},
        extra_config={
            "recipe": "smote",
            "class_names": list("0123456789"),
            "train_counts_before": [1] * 10,
        },
        **FAST,
    )
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["recipe"] == "smote" and config["steps"] == 45
    assert config["train_counts_before"] == [1] * 10 and "torch" in config["versions"]
    with open(tmp_path / "metrics.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == METRICS_COLUMNS and len(rows) == len(result.history) == 3
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["recipe"] == "smote" and results["best_epoch"] == result.best_epoch
    assert set(results["test"]) == {"test", "val-again"}
    t = results["test"]["test"]
    for key in (
        "accuracy",
        "acsa",
        "gm",
        "macro_f1",
        "per_class_recall",
        "confusion_matrix",
    ):
        assert key in t
    assert np.array(t["confusion_matrix"]).sum() == 100
    assert results["test"]["val-again"]["acsa"] == pytest.approx(result.val["acsa"])


def test_callable_train_data_and_absent_test_class(digits, tmp_path):
    (X, y), val = digits
    seen = []

    def epoch_data(epoch):
        seen.append(epoch)
        idx = np.random.default_rng(epoch).choice(len(y), 700, replace=False)
        return X[idx], y[idx]

    # a test set that lacks classes 5-9: recalls NaN in the dict, null in JSON
    keep = val[1] < 5
    result = fit(
        epoch_data,
        val,
        aug="none",
        steps=30,
        out_dir=tmp_path,
        test_sets={"low": (val[0][keep], val[1][keep])},
        **FAST,
    )
    assert seen == [0, 1, 2]  # 700 // 64 = 10 steps per epoch
    recall = result.test["low"]["per_class_recall"]
    assert all(math.isnan(r) for r in recall[5:])
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["test"]["low"]["per_class_recall"][5:] == [None] * 5


def test_rgb_channel_last_input():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (40, 12, 12, 3), dtype=np.uint8)
    y = np.arange(40) % 2
    result = fit(
        (X, y),
        (X[:10], y[:10]),
        n_classes=2,
        model="resnet20",
        aug="cutmix",
        steps=3,
        batch_size=16,
        progress=False,
    )
    assert result.config["image_shape"] == [3, 12, 12]


def test_errors(digits):
    (X, y), val = digits
    with pytest.raises(UsageError, match="steps must be a positive integer"):
        fit((X, y), val, steps=0, **FAST)
    with pytest.raises(UsageError, match="exactly one of steps and epochs"):
        fit((X, y), val, steps=5, epochs=1, **FAST)
    with pytest.raises(UsageError, match="exactly one of steps and epochs"):
        fit((X, y), val, **FAST)
    for kw in (
        {"model": "vgg"},
        {"aug": "autoaugment"},
        {"loss": "hinge"},
        {"schedule": "step"},
    ):
        with pytest.raises(UsageError, match="Expected one of"):
            fit((X, y), val, steps=1, **kw, **FAST)
    with pytest.raises(DataError, match="at least 2 classes"):
        fit((X[y == 3], y[y == 3]), val, steps=1, **FAST)
    keep = y < 5
    with pytest.raises(
        DataError, match=r"test set 'test' has labels \[5, 6, 7, 8, 9\]"
    ):
        fit(
            (X[keep], y[keep]),
            (X[keep], y[keep]),
            steps=1,
            test_sets={"test": val},
            **FAST,
        )
    with pytest.raises(DataError, match="val has labels"):
        fit((X[keep], y[keep]), val, steps=1, **FAST)
    with pytest.raises(DataError, match="uint8"):
        fit((X.astype(np.float32), y), val, steps=1, **FAST)
    with pytest.raises(DataError, match="training shape"):
        fit((X, y), (np.zeros((5, 9, 9), np.uint8), y[:5]), steps=1, **FAST)
    with pytest.raises(DataError, match=r"labels must be integers in \[0, 10\)"):
        fit((X, y + 1), val, steps=1, **FAST)
    with pytest.raises(UsageError, match="contradicts"):
        fit((X, y), val, steps=1, extra_config={"lr": 1.0}, **FAST)


def test_lr_schedules():
    assert lr_at(0.0, 0.1) == pytest.approx(0.1)
    assert lr_at(1.0, 0.1) == pytest.approx(0.0)
    assert lr_at(0.3, 0.1, "onecycle") == pytest.approx(0.1)
    assert lr_at(0.0, 0.1, "onecycle") == pytest.approx(0.01)
    assert lr_at(0.5, 0.1, "constant") == 0.1


def test_keep_last_tests_the_final_weights_not_the_best(digits):
    train, val = digits
    X, y = train

    def epoch_data(epoch):
        # Real labels for two epochs, then every class renamed to the next one:
        # the later weights learn wrong names, so the best epoch is an early one.
        return X, y if epoch < 2 else (y + 1) % 10

    runs = {
        keep: fit(epoch_data, val, aug="none", epochs=5, lr=0.2, keep=keep, **FAST)
        for keep in ("best", "last")
    }
    best, last = runs["best"], runs["last"]
    # One training, two choices: the same trajectory either way.
    assert [r["val_acsa"] for r in best.history] == [
        r["val_acsa"] for r in last.history
    ]
    assert best.best_epoch in (1, 2) and last.best_epoch == 5
    assert last.val["acsa"] == last.history[-1]["val_acsa"] < best.val["acsa"]
    assert last.config["keep"] == "last" and best.config["keep"] == "best"
    # The returned model is the final one: it scores what the history says.
    from pixsmote.train import compute_metrics

    Xv, yv = val
    with torch.no_grad():
        pred = last.model(torch.from_numpy(Xv).unsqueeze(1).float() / 255).argmax(1)
    assert compute_metrics(yv, pred.numpy(), 10)["acsa"] == last.val["acsa"]
    with pytest.raises(UsageError, match=r"keep must be one of .*Got 'final' instead"):
        fit(train, val, steps=2, keep="final", **FAST)
