"""``pixsmote bench`` on the command line: bad input, a config file, a tiny run."""

import json

import numpy as np
import pytest

from pixsmote.cli import main


@pytest.fixture(scope="module")
def npz(tmp_path_factory):
    """Imbalanced digits 3/5/8 train and test .npz files, a one-class train and a
    test set with a class the training set lacks."""
    from sklearn.datasets import load_digits

    d = load_digits()
    X = np.rint(d.images * (255.0 / 16.0)).astype(np.uint8)
    y = d.target
    root = tmp_path_factory.mktemp("cli-bench")
    rng = np.random.default_rng(0)
    tr, te = [], []
    for c, n in ((3, 12), (5, 60), (8, 25)):
        idx = rng.permutation(np.flatnonzero(y == c))
        tr.append(idx[:n])
        te.append(idx[n : n + 10])
    tr, te = np.concatenate(tr), np.concatenate(te)
    lut = np.zeros(10, int)
    lut[[3, 5, 8]] = [0, 1, 2]
    names = np.array(["3", "5", "8"])
    paths = {k: str(root / f"{k}.npz") for k in ("train", "test", "one", "unknown")}
    np.savez(paths["train"], X=X[tr], y=lut[y[tr]], class_names=names)
    np.savez(paths["test"], X=X[te], y=lut[y[te]], class_names=names)
    np.savez(paths["one"], X=X[y == 3][:20], y=np.zeros(20, int))
    extra = np.flatnonzero(np.isin(y, [3, 7]))[:30]
    np.savez(paths["unknown"], X=X[extra], y=y[extra])
    return paths


def _fails(capsys, argv, code, *fragments):
    assert main(argv) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    return err


def test_one_class_training_set(npz, capsys, tmp_path):
    _fails(
        capsys,
        ["bench", "--train", npz["one"], "--out", str(tmp_path / "o")],
        1,
        "at least 2 classes",
        "Got 1 class(es)",
    )


def test_test_set_with_unknown_labels(npz, capsys, tmp_path):
    argv = ["bench", "--train", npz["train"], "--test", npz["unknown"]]
    _fails(capsys, argv + ["--out", str(tmp_path / "o")], 1, "['7']", "lacks")


@pytest.mark.parametrize(
    "option, value, fragment",
    [
        ("--recipes", "none,smoot", "Unknown recipe. Expected one of ['none'"),
        ("--model", "vgg", "Unknown model. Expected one of ["),
        ("--aug", "warp", "Unknown augmentation. Expected one of ["),
        ("--loss", "hinge", "Unknown loss. Expected one of ["),
        ("--keep", "final", "keep must be one of ['best', 'last']. Got 'final'"),
        ("--steps", "0", "steps must be an integer >= 1. Got 0 instead."),
        ("--seeds", "x", "--seeds must be a count"),
        ("--seeds", "0", "for a list of seeds use commas, e.g. '0,'. Got '0'"),
    ],
)
def test_bad_names_and_counts(npz, capsys, tmp_path, option, value, fragment):
    argv = ["bench", "--train", npz["train"], option, value]
    _fails(capsys, argv + ["--out", str(tmp_path / "o")], 2, fragment)
    assert not (tmp_path / "o").exists()  # nothing written before the checks


def test_missing_train_and_bad_config(capsys, tmp_path):
    _fails(capsys, ["bench"], 2, "--train")
    bad = tmp_path / "bad.toml"
    bad.write_text('train = "digits"\nstpes = 3\n')
    _fails(capsys, ["bench", "--config", str(bad)], 2, "Unknown key", "'stpes'")
    _fails(capsys, ["bench", "--config", str(tmp_path / "nope.toml")], 1, "nope")


def test_config_file_run_and_resume(npz, capsys, tmp_path):
    out = tmp_path / "study"
    cfg = tmp_path / "study.toml"
    cfg.write_text(
        f'train = "{npz["train"]}"\ntest = ["{npz["test"]}"]\n'
        f'recipes = "none,ros:loss=weighted-ce"\nsteps = 4\nseeds = 1\n'
        f'batch-size = 16\nthreads = 1\nout = "{out}"\nprogress = false\n'
    )
    assert main(["bench", "--config", str(cfg), "--steps", "3"]) == 0
    printed = capsys.readouterr().out
    assert "ros:loss=weighted-ce" in printed and "report.html" in printed
    config = json.loads(
        (out / "02-ros_loss-weighted-ce/seed-0/config.json").read_text()
    )
    assert config["steps"] == 3 and config["loss"] == "weighted-ce"
    assert config["train_counts_before"] == [
        11,
        54,
        23,
    ]  # 10% (rounded half to even) held out
    results = json.loads((out / "01-none/seed-0/results.json").read_text())
    assert list(results["test"]) == ["test"]
    assert (out / "report.html").is_file() and (out / "report.md").is_file()

    assert main(["bench", "--config", str(cfg), "--steps", "3"]) == 0
    assert printed.count("skipped") < capsys.readouterr().out.count("skipped")


def test_a_sampler_refusing_the_data_fails_before_any_training(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (40, 8, 8), dtype=np.uint8)
    y = np.array([0] * 30 + [1] * 9 + [2])  # class 'c' holds one image
    names = np.array(["a", "b", "c"])
    np.savez(tmp_path / "t.npz", X=X, y=y, class_names=names)
    np.savez(tmp_path / "v.npz", X=X[:12], y=np.tile([0, 1, 2], 4), class_names=names)
    out = tmp_path / "runs"
    argv = ["bench", "--train", str(tmp_path / "t.npz"), "--val",
            str(tmp_path / "v.npz"), "--test", str(tmp_path / "v.npz"), "--recipes",
            "none,smote", "--steps", "2", "--seeds", "0,", "--out", str(out),
            "--threads", "1", "--no-progress"]  # fmt: skip
    assert main(argv) == 1
    captured = capsys.readouterr()
    lines = [ln for ln in captured.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in captured.err
    assert "'smote'" in lines[0] and "'c'" in lines[0]
    assert not any(p.is_dir() for p in out.iterdir())  # 'none' did not train


def test_keep_last_on_the_command_line_and_in_a_config_file(npz, tmp_path):
    out = tmp_path / "k"
    argv = ["bench", "--train", npz["train"], "--recipes", "none", "--steps", "3",
            "--seeds", "1", "--batch-size", "16", "--threads", "1",
            "--no-progress"]  # fmt: skip
    assert main([*argv, "--keep", "last", "--out", str(out)]) == 0
    config = json.loads((out / "01-none/seed-0/config.json").read_text())
    assert config["keep"] == "last"
    cfg = tmp_path / "k.toml"
    cfg.write_text('keep = "last"\n')
    assert main([*argv, "--config", str(cfg), "--out", str(tmp_path / "c")]) == 0
    config = json.loads((tmp_path / "c/01-none/seed-0/config.json").read_text())
    assert config["keep"] == "last"
