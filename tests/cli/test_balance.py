"""``pixsmote balance``: round trips per input kind, refusals, interrupted runs."""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from PIL import Image

from pixsmote.cli import main
from pixsmote.data import load_dataset
from pixsmote.sampling import list_samplers


def _folder(root, counts, mode="RGB", shape=(10, 8), ext=".png"):
    rng = np.random.default_rng(0)
    for label, (cls, n) in enumerate(counts.items()):
        (root / cls).mkdir(parents=True)
        for j in range(n):
            size = shape if mode == "L" else (*shape, 3)
            pixels = rng.integers(20 * label, 20 * label + 100, size, dtype=np.uint8)
            Image.fromarray(pixels).save(root / cls / f"{j}{ext}")
    return root


def _status(argv):
    """main's exit status, whether returned or raised by argparse."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def _manifest(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _check_manifest(rows, out=None):
    """Every synthetic row's parents exist as original rows with its label."""
    by_path = {r["path"]: r for r in rows}
    for r in rows:
        if out is not None:
            assert (out / r["path"]).is_file()
        if r["origin"] == "synthetic":
            for parent in (r["parent_a"], r["parent_b"]):
                assert by_path[parent]["origin"] == "original"
                assert by_path[parent]["label"] == r["label"]
            assert 0 <= float(r["gap"]) <= 1 and r["method"]
        else:
            assert r["origin"] == "original" and r["parent_a"] == ""


def _nothing_left(parent, name):
    return not [p for p in parent.iterdir() if name in p.name]


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_balance_folder_round_trip(tmp_path, capsys, mode):
    src = _folder(tmp_path / "src", {"cat": 9, "dog": 4, "eel": 3}, mode=mode)
    out = tmp_path / "out"
    argv = ["balance", str(src), "--out", str(out), "--k-neighbors", "2"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "before" in printed and "after" in printed
    assert "smote: 16 -> 27 images (+11 synthetic" in printed and " s\n" in printed
    rows = _manifest(out / "manifest.csv")
    assert [r["origin"] for r in rows].count("synthetic") == 11
    _check_manifest(rows, out)
    back = load_dataset(out)
    assert back.counts.tolist() == [9, 9, 9]
    assert back.mode == mode
    assert len((out / "train_balanced.txt").read_text().splitlines()) == 27
    assert load_dataset(out / "train_balanced.txt").counts.tolist() == [9, 9, 9]


def test_balance_list_file_to_npz(tmp_path, capsys):
    _folder(tmp_path / "imgs", {"a": 6, "b": 3}, ext=".jpg")
    lines = [f"imgs/a/{j}.jpg 0" for j in range(6)] + [
        f"imgs/b/{j}.jpg 1" for j in range(3)
    ]
    (tmp_path / "Train_imba.txt").write_text("\n".join(lines) + "\n")
    dst = tmp_path / "bal.npz"
    argv = ["balance", str(tmp_path / "Train_imba.txt"), "--out", str(dst)]
    assert main([*argv, "--k-neighbors", "2", "--jobs", "1"]) == 0
    with np.load(dst) as z:
        assert z["X"].shape == (12, 10, 8, 3)
        assert np.bincount(z["y"]).tolist() == [6, 6]
        assert z["class_names"].tolist() == ["0", "1"]
    rows = _manifest(tmp_path / "bal.manifest.csv")
    assert [r["path"] for r in rows] == [str(i) for i in range(12)]
    _check_manifest(rows)


def test_balance_npz_and_builtin_sources(tmp_path, capsys):
    rng = np.random.default_rng(1)
    np.savez(
        tmp_path / "d.npz",
        X=rng.integers(0, 256, (14, 6, 6), dtype=np.uint8),
        y=[0] * 10 + [1] * 4,
    )
    assert main(["balance", str(tmp_path / "d.npz"), "--out", str(tmp_path / "o"),
                 "--k-neighbors", "3"]) == 0  # fmt: skip
    assert load_dataset(tmp_path / "o").counts.tolist() == [10, 10]
    _check_manifest(_manifest(tmp_path / "o" / "manifest.csv"), tmp_path / "o")
    argv = [
        "balance",
        "digits-seed-3",
        "--out",
        str(tmp_path / "d3.npz"),
        "--seed",
        "2",
    ]
    assert main(argv) == 0
    with np.load(tmp_path / "d3.npz") as z:
        assert np.bincount(z["y"]).tolist() == [115, 115, 115]
        assert z["class_names"].tolist() == ["3", "5", "8"]


@pytest.mark.parametrize("method", ["ros", "rus", "borderline1", "smote-tomek"])
def test_balance_other_methods(tmp_path, capsys, method):
    src = _folder(tmp_path / "src", {"a": 10, "b": 4})
    argv = ["balance", str(src), "--out", str(tmp_path / "o"), "--method", method]
    assert main([*argv, "--k-neighbors", "3"]) == 0
    after = load_dataset(tmp_path / "o").counts
    assert after[0] == after[1]
    assert f"{method}:" in capsys.readouterr().out


def test_balance_synthetic_share_gives_every_class_the_same_share(tmp_path, capsys):
    src = _folder(tmp_path / "src", {"cat": 9, "dog": 4, "eel": 3}, mode="L")
    out = tmp_path / "out"
    argv = ["balance", str(src), "--out", str(out), "--k-neighbors", "2"]
    assert main([*argv, "--synthetic-share", "0.5"]) == 0
    # 16 originals, copied up to 9 a class (11 copies), then 27 SMOTE images:
    # the summary tells copies from synthesised images.
    assert "16 -> 54 images (+27 synthetic, +11 copies, -0 removed" in (
        capsys.readouterr().out
    )
    rows = _manifest(out / "manifest.csv")
    assert len(rows) == 54 and len({r["path"] for r in rows}) == 54
    for cls in ("cat", "dog", "eel"):
        mine = [r for r in rows if r["label"] == cls]
        assert len(mine) == 18
        # copies are written as gap-0 rows of method ros, the rest interpolated
        methods = [r["method"] for r in mine if r["origin"] == "synthetic"]
        assert methods.count("smote") == 9
        assert methods.count("ros") == 9 - [r["origin"] for r in mine].count(
            "original"
        )
    assert load_dataset(out).counts.tolist() == [18, 18, 18]


@pytest.mark.parametrize("method", ["svm-smote", "kmeans-smote"])
def test_balance_synthetic_share_reaches_the_smote_family(method, tmp_path, capsys):
    src = _folder(tmp_path / "src", {"cat": 9, "dog": 4, "eel": 3}, mode="L")
    out = tmp_path / "out"
    argv = ["balance", str(src), "--out", str(out), "--k-neighbors", "2"]
    extra = ["--kmeans-clusters", "1"] if method == "kmeans-smote" else []
    assert main([*argv, "--method", method, *extra, "--synthetic-share", "0.5"]) == 0
    rows = _manifest(out / "manifest.csv")
    for cls in ("cat", "dog", "eel"):
        mine = [r for r in rows if r["label"] == cls]
        copies = sum(r["method"] == "ros" for r in mine)
        assert copies == 9 - [r["origin"] for r in mine].count("original")
        assert sum(r["method"] == method for r in mine) >= 1  # cat is synthesised


def test_balance_deepsmote_options_reach_the_sampler(tmp_path, capsys):
    src = _folder(tmp_path / "src", {"cat": 24, "dog": 8}, mode="L", shape=(8, 8))
    argv = ["balance", str(src), "--method", "deepsmote", "--k-neighbors", "3"]
    images = {}
    for decoding in ("direct", "residual"):
        out = tmp_path / decoding
        extra = ["--deepsmote-decoding", decoding, "--deepsmote-penalty", "released"]
        assert main([*argv, "--out", str(out), *extra]) == 0
        rows = _manifest(out / "manifest.csv")
        _check_manifest(rows, out)
        images[decoding] = [
            (
                np.asarray(Image.open(out / r["path"]), dtype=np.float64),
                np.asarray(Image.open(out / r["parent_a"]), dtype=np.float64),
            )
            for r in rows
            if r["origin"] == "synthetic"
        ]
    assert len(images["direct"]) == len(images["residual"]) == 16
    # Same seed, same networks and plan: residual images stay nearer their base
    # image (its detail kept) than the decodings do.
    far = {k: np.mean([np.abs(a - b).mean() for a, b in v]) for k, v in images.items()}
    assert far["residual"] < far["direct"]
    # Another SMOTE draws the latent plan: Borderline-2 reaches towards the
    # other class's codes, which the paper's SMOTE never does.
    out = tmp_path / "borderline2"
    extra = ["--deepsmote-smote", "borderline2", "--deepsmote-penalty", "released"]
    assert main([*argv, "--out", str(out), "--seed", "1", *extra]) == 0
    rows = _manifest(out / "manifest.csv")
    syn = [r for r in rows if r["origin"] == "synthetic"]
    assert len(syn) == 16 and all(r["label"] == "dog" for r in syn)
    assert all((out / r["path"]).is_file() for r in rows)
    parents = {r["path"]: r["label"] for r in rows if r["origin"] == "original"}
    assert all(parents[r["parent_a"]] == "dog" for r in syn)  # the base
    assert any(parents[r["parent_b"]] == "cat" for r in syn)
    capsys.readouterr()
    wrong = ["balance", str(src), "--out", str(tmp_path / "o"),
             "--deepsmote-decoding", "residual"]  # fmt: skip
    assert _status(wrong) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "--method deepsmote only" in line and "Got --method smote instead." in line
    assert not (tmp_path / "o").exists()


def test_balance_help_lists_every_method_and_shows_defaults(capsys):
    assert _status(["balance", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for name in list_samplers():
        assert name in out
    for default in ("(default: smote)", "(default: auto)", "(default: 5)",
                    "(default: pixel)", "(default: 0)"):  # fmt: skip
        assert default in out


def test_existing_destination_is_refused_unless_overwrite(tmp_path, capsys):
    src = _folder(tmp_path / "src", {"a": 5, "b": 3})
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    argv = ["balance", str(src), "--out", str(out), "--k-neighbors", "2"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--overwrite" in err and "Traceback" not in err
    assert (out / "keep.txt").exists()
    # --overwrite replaces only what pixsmote wrote: a folder of the user's stays
    assert main([*argv, "--overwrite"]) == 2
    assert "not written by pixsmote" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "mine"
    (out / "keep.txt").unlink()
    out.rmdir()
    assert main(argv) == 0
    assert main([*argv, "--overwrite"]) == 0
    assert (out / "manifest.csv").exists()


@pytest.mark.parametrize(
    ("extra", "status", "message"),
    [
        (["--method", "nope"], 2, "invalid choice"),
        (["--k-neighbors", "0"], 2, "--k-neighbors must be at least 1"),
        (["--k-neighbors", "9"], 2, "k_neighbors"),
        (["--strategy", "most"], 2, "sampling_strategy"),
        (["--size", "10"], 2, "size must be HxW"),
        (["--jobs", "0"], 2, "--jobs must be at least 1"),
        (["--synthetic-share", "1"], 2, "strictly between 0 and 1"),
        (["--synthetic-share", "0.5", "--method", "ros"], 2, "--method smote, "),
        (["--synthetic-share", "0.5", "--method", "ros", "--dask", "local:1"], 2,
         "--method smote, "),
        (["--deepsmote-decoding", "residual", "--dask", "local:1"], 2,
         "--method deepsmote only"),
    ],
)
def test_usage_errors_exit_2_and_leave_nothing(
    tmp_path, capsys, extra, status, message
):
    src = _folder(tmp_path / "src", {"a": 5, "b": 3})
    argv = ["balance", str(src), "--out", str(tmp_path / "out"), *extra]
    assert _status(argv) == status
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_corrupt_image_fails_the_run_names_the_file_and_leaves_nothing(
    tmp_path, capsys
):
    src = _folder(tmp_path / "src", {"a": 6, "b": 3}, shape=(40, 40))
    bad = src / "a" / "2.png"  # in the class that is only copied, never sampled
    bad.write_bytes(bad.read_bytes()[:150])
    argv = ["balance", str(src), "--out", str(tmp_path / "out"), "--k-neighbors", "2"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Cannot read image" in err and "a/2.png" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]
    assert main([*argv, "--skip-bad"]) == 0
    captured = capsys.readouterr()
    assert "skipped 1 unreadable file(s)" in captured.err and "2.png" in captured.err
    assert load_dataset(tmp_path / "out").counts.tolist() == [5, 5]


def test_list_entry_outside_the_root_is_refused(tmp_path, capsys):
    _folder(tmp_path / "ds" / "imgs", {"a": 2})
    Image.new("RGB", (8, 10)).save(tmp_path / "secret.png")
    (tmp_path / "ds" / "list.txt").write_text("imgs/a/0.png 0\n../secret.png 1\n")
    argv = ["balance", str(tmp_path / "ds" / "list.txt"), "--out", str(tmp_path / "o")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "'../secret.png' resolves outside the dataset root" in err
    assert not (tmp_path / "o").exists()


def test_error_midway_through_writing_leaves_nothing(tmp_path, capsys, monkeypatch):
    import pixsmote.data._writer as writer

    calls = []
    original = writer.encode_png

    def failing(pixels, path, *args):
        calls.append(path)
        if len(calls) == 3:
            raise KeyboardInterrupt  # as Ctrl-C would, in the middle of a run
        return original(pixels, path, *args)

    monkeypatch.setattr(writer, "encode_png", failing)
    src = _folder(tmp_path / "src", {"a": 12, "b": 3})
    argv = ["balance", str(src), "--out", str(tmp_path / "new" / "out")]
    assert main([*argv, "--k-neighbors", "2"]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert len(calls) >= 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_real_ctrl_c_leaves_nothing_at_the_destination(tmp_path, terminal_signals):
    preexec = terminal_signals
    src = _folder(tmp_path / "src", {"a": 40, "b": 4})
    out = tmp_path / "out"
    script = textwrap.dedent(
        f"""
        import sys, time
        import pixsmote.data._writer as writer
        original = writer.encode_png
        def slow(*args):
            time.sleep(0.05)
            return original(*args)
        writer.encode_png = slow
        from pixsmote.cli import main
        sys.exit(main(["balance", {str(src)!r}, "--out", {str(out)!r},
                       "--k-neighbors", "2", "--jobs", "1"]))
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=preexec,
    )
    deadline = time.monotonic() + 120  # imports are slow on a busy machine
    while time.monotonic() < deadline:  # wait until it is writing
        tmp = [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]
        if tmp and any(tmp[0].glob("a/*.png")):
            break
        time.sleep(0.02)
    else:
        proc.kill()
        pytest.fail("pixsmote balance did not start writing within 120 s")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err.decode()
    assert b"interrupted" in err and b"Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]
    assert os.path.exists(src / "a" / "0.png")


def test_existing_npz_manifest_is_refused_before_reading(tmp_path, capsys):
    (tmp_path / "bal.manifest.csv").write_text("mine\n")
    argv = [
        "balance",
        str(tmp_path / "no-such-input"),
        "--out",
        str(tmp_path / "bal.npz"),
    ]
    assert main(argv) == 2
    assert "bal.manifest.csv already exists" in capsys.readouterr().err
    assert (tmp_path / "bal.manifest.csv").read_text() == "mine\n"


def test_sampler_warnings_name_the_class_folders(tmp_path, capsys):
    # Pure noise: SVM-SMOTE finds too few support vectors in the small classes
    # and says so; the user reads the folder names, not the app's 0..C-1.
    rng = np.random.default_rng(0)
    src = tmp_path / "src"
    for cls, n in (("cat", 120), ("dog", 50), ("eel", 30)):
        (src / cls).mkdir(parents=True)
        for j in range(n):
            pixels = rng.integers(0, 255, (8, 8), dtype=np.uint8)
            Image.fromarray(pixels).save(src / cls / f"{j}.png")
    argv = ["balance", str(src), "--out", str(tmp_path / "out"), "--no-progress"]
    assert main([*argv, "--method", "svm-smote", "--synthetic-share", "0.5"]) == 0
    said = [
        line
        for line in capsys.readouterr().err.splitlines()
        if line.startswith("pixsmote: warning: SVMSMOTE")
    ]
    assert any("class 'eel' gets" in line for line in said)
    assert not any(re.search(r"\bclass \d", line) for line in said)
