"""Hostile input against the CLI: nothing lost, nothing half-written, one line.

Every case here was first found by driving ``pixsmote`` the way a careless or
hostile user would. Each one must end in one of two ways: success with exact
pixels and an untouched source, or exit status 2 (usage) / 1 (data) with one
line on stderr, no traceback, and nothing left behind at the destination.

``_tree`` hashes a folder (names and bytes) so "the source is unchanged" is a
real check, not a look at one file.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixsmote.cli import main
from pixsmote.data import load_dataset


def _folder(root, counts, mode="RGB", shape=(10, 8), ext=".png"):
    rng = np.random.default_rng(0)
    for label, (cls, n) in enumerate(counts.items()):
        (root / cls).mkdir(parents=True)
        for j in range(n):
            size = shape if mode == "L" else (*shape, 3)
            low = 20 * (label % 8)  # stays below 256 for any number of classes
            pixels = rng.integers(low, low + 100, size, dtype=np.uint8)
            Image.fromarray(pixels).save(root / cls / f"{j}{ext}")
    return root


def _tree(root: Path) -> dict:
    """{relative path: sha256 of the bytes (or 'dir'/'link -> target')}."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = f"link -> {os.readlink(p)}"
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _status(argv):
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def _one_line_error(capsys, argv, status, *fragments):
    """Run, expect `status`, one error line naming every fragment, no traceback."""
    assert _status(argv) == status
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.strip() and "usage:" not in ln]
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], err
    return lines[0]


def _leftovers(parent: Path, name: str) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if name in p.name)


# --------------------------------------------------------------- data loss
@pytest.mark.parametrize("method", ["smote", "rus"])
def test_destination_inside_the_source_is_refused(tmp_path, capsys, method):
    src = _folder(tmp_path / "src", {"a": 8, "b": 3})
    before = _tree(src)
    for out in (src / "a", src / "new", src):
        argv = ["balance", str(src), "--out", str(out), "--method", method,
                "--k-neighbors", "2", "--overwrite"]  # fmt: skip
        _one_line_error(capsys, argv, 2, str(out))
        assert _tree(src) == before


def test_destination_above_the_source_is_refused(tmp_path, capsys):
    src = _folder(tmp_path / "data" / "src", {"a": 8, "b": 3})
    before = _tree(tmp_path / "data")
    argv = ["balance", str(src), "--out", str(tmp_path / "data"), "--overwrite",
            "--k-neighbors", "2"]  # fmt: skip
    _one_line_error(capsys, argv, 2, "data")
    assert _tree(tmp_path / "data") == before


def test_overwrite_refuses_a_folder_pixsmote_did_not_write(tmp_path, capsys):
    src = _folder(tmp_path / "src", {"a": 5, "b": 3})
    mine = tmp_path / "thesis-folder"
    (mine / "thesis").mkdir(parents=True)
    (mine / "thesis" / "ch1.tex").write_text("\\chapter{One}")
    (mine / "notes.txt").write_text("do not delete")
    before = _tree(mine)
    argv = ["balance", str(src), "--out", str(mine), "--overwrite",
            "--k-neighbors", "2"]  # fmt: skip
    line = _one_line_error(capsys, argv, 2, str(mine))
    assert "pixsmote" in line  # says it was not written by pixsmote
    assert _tree(mine) == before


def test_overwrite_replaces_what_pixsmote_wrote(tmp_path, capsys):
    src = _folder(tmp_path / "src", {"a": 5, "b": 3})
    out = tmp_path / "out"
    argv = ["balance", str(src), "--out", str(out), "--k-neighbors", "2"]
    assert main(argv) == 0
    assert main([*argv, "--method", "ros", "--overwrite"]) == 0
    rows = list(csv.DictReader(open(out / "manifest.csv", newline="")))
    assert {r["method"] for r in rows if r["origin"] != "original"} == {"ros"}
    assert load_dataset(out).counts.tolist() == [5, 5]
    # an npz pixsmote wrote can be replaced; a user's own npz cannot
    npz = tmp_path / "bal.npz"
    assert main(["balance", str(src), "--out", str(npz), "--k-neighbors", "2"]) == 0
    assert main(["balance", str(src), "--out", str(npz), "--overwrite",
                 "--method", "ros"]) == 0  # fmt: skip
    user = tmp_path / "user.npz"
    np.savez(user, X=np.zeros((2, 2, 2), np.uint8), y=[0, 1])
    before = user.read_bytes()
    argv = ["balance", str(src), "--out", str(user), "--overwrite"]
    _one_line_error(capsys, argv, 2, str(user))
    assert user.read_bytes() == before


def test_list_file_sources_are_guarded(tmp_path, capsys):
    _folder(tmp_path / "imgs", {"a": 6, "b": 3})
    lines = [f"imgs/a/{j}.png 0" for j in range(6)]
    lines += [f"imgs/b/{j}.png 1" for j in range(3)]
    listing = tmp_path / "Train_imba.txt"
    listing.write_text("\n".join(lines) + "\n")
    before = _tree(tmp_path)
    for out in (listing, tmp_path, tmp_path / "imgs", tmp_path / "imgs" / "a"):
        argv = ["balance", str(listing), "--out", str(out), "--overwrite",
                "--k-neighbors", "2"]  # fmt: skip
        _one_line_error(capsys, argv, 2, str(out))
        assert _tree(tmp_path) == before


def test_npz_source_cannot_be_its_own_destination(tmp_path, capsys):
    rng = np.random.default_rng(1)
    src = tmp_path / "d.npz"
    np.savez(src, X=rng.integers(0, 256, (14, 6, 6), dtype=np.uint8),
             y=[0] * 10 + [1] * 4)  # fmt: skip
    before = src.read_bytes()
    argv = ["balance", str(src), "--out", str(src), "--overwrite"]
    _one_line_error(capsys, argv, 2, str(src))
    assert src.read_bytes() == before


def test_empty_out_is_refused_and_the_working_folder_kept(tmp_path, capsys):
    src = _folder(tmp_path / "src", {"a": 5, "b": 3})
    cwd = tmp_path / "work"
    cwd.mkdir()
    (cwd / "precious.txt").write_text("mine")
    old = os.getcwd()
    os.chdir(cwd)
    try:
        for out in ("", ".", "./"):
            argv = ["balance", str(src), "--out", out, "--overwrite"]
            _one_line_error(capsys, argv, 2, "--out")
    finally:
        os.chdir(old)
    assert sorted(p.name for p in cwd.iterdir()) == ["precious.txt"]


def test_bench_refuses_an_out_folder_it_did_not_create(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    argv = ["bench", "--train", "digits-seed-3", "--recipes", "none", "--steps",
            "2", "--seeds", "0,", "--out", str(mine), "--threads", "1"]  # fmt: skip
    _one_line_error(capsys, argv, 2, str(mine))
    assert _tree(mine) == {"notes.txt": _tree(mine)["notes.txt"]}
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    afile = tmp_path / "afile"
    afile.write_text("x")
    argv[argv.index(str(mine))] = str(afile)
    _one_line_error(capsys, argv, 2, str(afile))
    assert afile.read_text() == "x"


# ---------------------------------------------------- signals, locks, disks
def _slow_balance_script(src, out, extra=()):
    return textwrap.dedent(
        f"""
        import sys, time
        import pixsmote.data._writer as writer
        original = writer.encode_png
        def slow(*args, **kw):
            time.sleep(0.05)
            return original(*args, **kw)
        writer.encode_png = slow
        from pixsmote.cli import main
        sys.exit(main(["balance", {str(src)!r}, "--out", {str(out)!r},
                       "--k-neighbors", "2", "--jobs", "1", *{list(extra)!r}]))
        """
    )


def _start_writing(tmp_path, src, out, preexec, extra=()):
    proc = subprocess.Popen(
        [sys.executable, "-c", _slow_balance_script(src, out, extra)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=preexec,
    )
    deadline = time.monotonic() + 120  # imports are slow on a busy machine
    while time.monotonic() < deadline:  # wait until it is writing images
        tmp = [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
        if tmp and tmp[0].is_dir() and any(tmp[0].glob("*/*.png")):
            return proc
        if proc.poll() is not None:
            pytest.fail(proc.stderr.read().decode())
        time.sleep(0.02)
    proc.kill()
    pytest.fail("pixsmote balance did not start writing within 120 s")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_termination_signals_leave_nothing(tmp_path, sig, terminal_signals):
    src = _folder(tmp_path / "src", {"a": 40, "b": 4})
    before = _tree(src)
    out = tmp_path / "out"
    proc = _start_writing(tmp_path, src, out, terminal_signals)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + sig, err.decode()
    assert b"Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]
    assert _tree(src) == before


def _inspect_runs(monkeypatch, run):
    """Make ``pixsmote inspect`` call `run` (through main's error handling)."""
    import pixsmote.cli as cli

    real = cli.build_parser

    def parser():
        p = real()
        p.parse_args = lambda argv: type(
            "A", (), {"command": "inspect", "run": staticmethod(run)}
        )()
        return p

    monkeypatch.setattr(cli, "build_parser", parser)


@pytest.mark.parametrize("interrupt", ["SIGTERM", "SIGINT"])
def test_a_signal_landing_inside_library_cleanup_still_reports_the_signal(
    monkeypatch, capsys, interrupt
):
    # What CI saw once: SIGTERM arrived inside Condition.wait between its
    # release and re-acquire, so the stdlib's own ``with`` exit raised
    # "RuntimeError: cannot release un-acquired lock" with the signal's
    # exception as context. The status must still be the signal's.
    import pixsmote.cli as cli

    def run(args):
        try:
            if interrupt == "SIGTERM":
                raise cli._Terminated(signal.SIGTERM)
            raise KeyboardInterrupt
        finally:
            raise RuntimeError("cannot release un-acquired lock")

    _inspect_runs(monkeypatch, run)
    status = main(["inspect", "x"])
    err = capsys.readouterr().err
    if interrupt == "SIGTERM":
        assert status == 128 + signal.SIGTERM
        assert err.strip() == "pixsmote inspect: terminated (SIGTERM)"
    else:
        assert status == 130
        assert err.strip() == "pixsmote inspect: interrupted"


def test_an_unrelated_error_still_propagates(monkeypatch):

    def run(args):
        raise RuntimeError("a bug")

    _inspect_runs(monkeypatch, run)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["inspect", "x"])


@pytest.mark.parametrize("jobs", ["1", "3"])
def test_sigterm_while_waiting_on_writer_threads_comes_from_a_checkpoint(
    tmp_path, monkeypatch, capsys, jobs
):
    # What hung CI: SIGTERM raised inside ThreadPoolExecutor.submit or
    # Future.result can leave a condition's lock taken; the worker then blocks
    # on it and the cleanup's shutdown(wait=True) joins that worker forever.
    # The exception must come from pixsmote's checkpoint after a task, never
    # from inside the stdlib's waits.
    import threading

    import pixsmote.data._writer as writer

    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    src = _folder(tmp_path / "src", {"a": 40, "b": 4})
    before = _tree(src)
    out = tmp_path / "out"
    original, calls, raised = writer.encode_png, [], []

    def encode(*args, **kw):
        calls.append(1)
        if len(calls) == 3:  # from a worker, while the main thread waits
            signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)
            time.sleep(0.05)
        return original(*args, **kw)

    real_checkpoint = writer.checkpoint

    def checkpoint():
        try:
            real_checkpoint()
        except BaseException:
            raised.append(1)
            raise

    monkeypatch.setattr(writer, "encode_png", encode)
    monkeypatch.setattr(writer, "checkpoint", checkpoint)
    try:
        status = main(["balance", str(src), "--out", str(out), "--k-neighbors",
                       "2", "--jobs", jobs])  # fmt: skip
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert status == 128 + signal.SIGTERM
    assert raised == [1]
    assert "terminated (SIGTERM)" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]
    assert _tree(src) == before


def test_leftovers_of_a_hard_kill_are_cleaned_by_the_next_run(
    tmp_path, capsys, terminal_signals
):
    src = _folder(tmp_path / "src", {"a": 40, "b": 4})
    out = tmp_path / "out"
    proc = _start_writing(tmp_path, src, out, terminal_signals)
    proc.kill()  # SIGKILL: no handler runs
    proc.communicate(timeout=30)
    left = _leftovers(tmp_path, "out")
    assert left, "a hard kill should have left its temporary folder"
    argv = ["balance", str(src), "--out", str(out), "--k-neighbors", "2"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "removed" in err and left[0] in err  # the cleanup is reported
    assert _leftovers(tmp_path, "out") == ["out"]


def test_a_second_run_into_the_same_destination_says_who_holds_it(
    tmp_path, capsys, terminal_signals
):
    src = _folder(tmp_path / "src", {"a": 40, "b": 4})
    out = tmp_path / "out"
    proc = _start_writing(tmp_path, src, out, terminal_signals)
    try:
        argv = ["balance", str(src), "--out", str(out), "--k-neighbors", "2"]
        line = _one_line_error(capsys, argv, 1, str(out))
        assert str(proc.pid) in line  # names the process holding the lock
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


@pytest.fixture
def tiny_disk(tmp_path):
    """A 256 KiB tmpfs (root only; skipped where mounting is not allowed)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)],
        capture_output=True,
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.mark.parametrize("name", ["out", "out.npz"])
def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, tiny_disk, name):
    src = _folder(tmp_path / "src", {"a": 60, "b": 4}, shape=(40, 40))
    out = tiny_disk / name
    done = subprocess.run(
        [sys.executable, "-m", "pixsmote", "balance", str(src), "--out",
         str(out), "--k-neighbors", "2"],  # fmt: skip
        capture_output=True,
        timeout=300,
    )
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert str(tiny_disk) in err and "space" in err
    assert os.listdir(tiny_disk) == []


def test_read_only_destination_is_one_line(tmp_path, tiny_disk, capsys):
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    src = _folder(tmp_path / "src", {"a": 5, "b": 3})
    for name in ("out", "out.npz"):
        argv = ["balance", str(src), "--out", str(tiny_disk / name)]
        _one_line_error(capsys, argv, 1, str(tiny_disk))
    assert os.listdir(tiny_disk) == []


def test_bad_destination_paths_are_one_line_and_leave_nothing(tmp_path, capsys):
    src = _folder(tmp_path / "src", {"a": 5, "b": 3})
    afile = tmp_path / "afile"
    afile.write_text("x")
    folder_npz = tmp_path / "dir.npz"
    folder_npz.mkdir()
    long_name = tmp_path / ("n" * 250)
    before = sorted(p.name for p in tmp_path.iterdir())
    cases = [
        (afile / "out", 1),
        (afile / "out.npz", 1),
        (long_name, 1),
        (Path(str(long_name) + ".npz"), 1),
    ]
    for out, status in cases:
        argv = ["balance", str(src), "--out", str(out), "--k-neighbors", "2"]
        _one_line_error(capsys, argv, status)
        assert sorted(p.name for p in tmp_path.iterdir()) == before
    argv = ["balance", str(src), "--out", str(folder_npz), "--overwrite"]
    _one_line_error(capsys, argv, 2, str(folder_npz))
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not (tmp_path / "dir.manifest.csv").exists()


# --------------------------------------------------- silently wrong results
def _write_mode_images(root, mode):
    for cls, n in (("a", 6), ("b", 3)):
        (root / cls).mkdir(parents=True)
        for j in range(n):
            if mode == "F":
                arr = np.full((6, 6), 100.0 + 10 * j, np.float32)
                Image.fromarray(arr, mode="F").save(root / cls / f"{j}.tiff")
            else:
                arr = np.full((6, 6), 40000 + 100 * j, np.int32)
                Image.fromarray(arr, mode="I").save(root / cls / f"{j}.tiff")


@pytest.mark.parametrize("mode", ["F", "I"])
def test_32_bit_modes_are_refused_naming_the_file_and_mode(tmp_path, capsys, mode):
    src = tmp_path / "src"
    _write_mode_images(src, mode)
    for argv in (["inspect", str(src)],
                 ["balance", str(src), "--out", str(tmp_path / "out")]):  # fmt: skip
        line = _one_line_error(capsys, argv, 1, ".tiff", repr(mode))
        assert "mode" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_folders_reached_twice_through_links_do_not_inflate(tmp_path, capsys):
    src = _folder(tmp_path / "src", {"a": 6, "b": 3})
    (src / "a" / "again").symlink_to(src / "a", target_is_directory=True)
    (src / "b" / "loop").symlink_to(src / "b", target_is_directory=True)
    (src / "b" / "same.png").symlink_to(src / "b" / "0.png")
    ds = load_dataset(src)
    assert ds.counts.tolist() == [6, 3]


def test_list_file_duplicates_are_reported_not_counted_twice(tmp_path, capsys):
    _folder(tmp_path / "imgs", {"a": 4, "b": 3})
    lines = [f"imgs/a/{j}.png 0" for j in range(4)]
    lines += [f"imgs/b/{j}.png 1" for j in range(3)]
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(lines + lines[:2]) + "\n")
    with pytest.warns(UserWarning, match="2 duplicate"):
        ds = load_dataset(listing)
    assert ds.counts.tolist() == [4, 3]
    listing.write_text("\n".join([*lines, "imgs/a/0.png 1"]) + "\n")
    with pytest.raises(ValueError, match=r"imgs/a/0\.png.*two labels|labels.*imgs/a/0"):
        load_dataset(listing)


def test_class_names_stay_distinct_and_are_recorded(tmp_path, capsys):
    rng = np.random.default_rng(0)
    names = np.array(["a/b", "a_b", "café", "a b"])
    y = np.repeat(np.arange(4), [8, 3, 3, 3])
    src = tmp_path / "d.npz"
    np.savez(src, X=rng.integers(0, 256, (17, 6, 6), np.uint8), y=y,
             class_names=names)  # fmt: skip
    out = tmp_path / "out"
    assert main(["balance", str(src), "--out", str(out), "--k-neighbors", "2"]) == 0
    back = load_dataset(out)
    assert sorted(back.class_names) == sorted(names.tolist())
    assert back.counts.tolist() == [8, 8, 8, 8]
    rows = list(csv.DictReader(open(out / "manifest.csv", newline="")))
    assert {r["label"] for r in rows} == set(names.tolist())
    listed = load_dataset(out / "train_balanced.txt")
    assert sorted(listed.class_names) == sorted(names.tolist())
    assert listed.counts.sum() == 32
    capsys.readouterr()
    assert main(["inspect", str(out)]) == 0
    printed = capsys.readouterr().out
    for name in names:
        assert name in printed


def test_written_list_file_reads_back_whatever_the_file_names(tmp_path, capsys):
    src = tmp_path / "src"
    for cls, n in (("x, #1", 6), ("y z", 3)):
        (src / cls).mkdir(parents=True)
        for j in range(n):
            arr = np.full((6, 6, 3), 30 * j, np.uint8)
            Image.fromarray(arr).save(src / cls / f"im {j}#,.png")
    out = tmp_path / "out"
    assert main(["balance", str(src), "--out", str(out), "--k-neighbors", "2"]) == 0
    listed = load_dataset(out / "train_balanced.txt")
    assert sorted(listed.class_names) == ["x, #1", "y z"]
    assert listed.counts.tolist() == [6, 6]


def test_synthesize_rejects_bad_chunk_sizes_and_negative_indices():
    from pixsmote.sampling import Plan, synthesize

    X = np.arange(4 * 3 * 3, dtype=np.uint8).reshape(4, 3, 3)
    plan = Plan(
        cls=np.zeros(2, np.int64), base=np.array([0, 1]),
        neighbor=np.array([1, 2]), gap=np.array([0.5, 0.25]),
    )  # fmt: skip
    for bad in (0, -1):
        with pytest.raises(ValueError, match="chunk_size"):
            synthesize(X, plan, chunk_size=bad)
    neg = Plan(cls=plan.cls, base=np.array([0, -1]), neighbor=plan.neighbor,
               gap=plan.gap)  # fmt: skip
    with pytest.raises(ValueError, match="index"):
        synthesize(X, neg)
    far = Plan(cls=plan.cls, base=np.array([0, 4]), neighbor=plan.neighbor,
               gap=plan.gap)  # fmt: skip
    with pytest.raises(ValueError, match="index"):
        synthesize(X, far)


def test_resampled_dataset_scales_or_refuses_out_of_range_inputs():
    from pixsmote import SMOTE
    from pixsmote.torch import ResampledDataset

    y = np.array([0] * 6 + [1] * 3)
    rng = np.random.default_rng(0)
    # signed/wide integers: scaled by the dtype's range, items in [0, 1]
    for dtype in (np.int16, np.uint16, np.int32):
        info = np.iinfo(dtype)
        X = rng.integers(info.min, info.max, (9, 4, 4), dtype=np.int64).astype(dtype)
        ds = ResampledDataset(X, y, sampler=SMOTE(k_neighbors=2), seed=0)
        xb, _ = ds[0]
        assert 0.0 <= float(xb.min()) and float(xb.max()) <= 1.0
    # floats outside [0, 1] are refused, naming the range found
    X = rng.normal(0, 50, (9, 4, 4)).astype(np.float32)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ResampledDataset(X, y, sampler=SMOTE(k_neighbors=2), seed=0)


def test_nan_in_any_class_of_an_npz_names_the_row(tmp_path, capsys):
    X = np.random.default_rng(0).random((14, 4, 4))
    X[11, 2, 1] = np.nan  # row 11 is in the class that is NOT oversampled
    y = np.array([1] * 10 + [0] * 4)
    y[11] = 1
    src = tmp_path / "d.npz"
    np.savez(src, X=X, y=y)
    argv = ["balance", str(src), "--out", str(tmp_path / "out")]
    line = _one_line_error(capsys, argv, 1, "row 11")
    assert "NaN" in line or "nan" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.npz"]


# ------------------------------------------ tracebacks and unclear messages
def test_bench_device_errors_are_one_line(tmp_path, capsys):
    base = ["bench", "--train", "digits-seed-3", "--recipes", "none", "--steps",
            "2", "--seeds", "0,", "--out", str(tmp_path / "runs")]  # fmt: skip
    _one_line_error(capsys, [*base, "--device", "banana"], 2, "banana")
    import torch

    if not torch.cuda.is_available():
        _one_line_error(capsys, [*base, "--device", "cuda"], 2, "cuda")
    assert not (tmp_path / "runs").exists()


def test_bench_bad_sampler_option_is_one_line_and_leaves_no_run(tmp_path, capsys):
    argv = ["bench", "--train", "digits-seed-3", "--recipes",
            "none,smote:k_neighbors=abc", "--steps", "2", "--seeds", "0,",
            "--out", str(tmp_path / "runs"), "--threads", "1"]  # fmt: skip
    _one_line_error(capsys, argv, 2, "k_neighbors", "abc")
    assert not (tmp_path / "runs").exists()


def test_inspect_into_a_closed_pipe_is_quiet(tmp_path):
    src = _folder(tmp_path / "src", {f"c{i}": 3 for i in range(40)})
    done = subprocess.run(
        f"{sys.executable} -m pixsmote inspect {src} | head -n 2",
        shell=True,
        capture_output=True,
        timeout=120,
    )
    assert b"Traceback" not in done.stderr and b"BrokenPipe" not in done.stderr
    assert len(done.stdout.splitlines()) == 2


def test_huge_size_is_refused_before_decoding(tmp_path, capsys):
    src = _folder(tmp_path / "src", {"a": 5, "b": 3})
    argv = ["balance", str(src), "--out", str(tmp_path / "out"), "--size",
            "100000x100000"]  # fmt: skip
    line = _one_line_error(capsys, argv, 2, "100000x100000")
    assert "GiB" in line or "memory" in line


def test_five_channel_images_to_a_folder_are_one_line(tmp_path, capsys):
    rng = np.random.default_rng(0)
    src = tmp_path / "d.npz"
    np.savez(src, X=rng.integers(0, 256, (12, 4, 4, 5), np.uint8),
             y=[0] * 8 + [1] * 4)  # fmt: skip
    argv = ["balance", str(src), "--out", str(tmp_path / "out"), "--k-neighbors", "2"]
    _one_line_error(capsys, argv, 2, "5 channels", ".npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.npz"]
    # the same data to an .npz works
    assert main([*argv[:3], str(tmp_path / "o.npz"), "--k-neighbors", "2"]) == 0


def test_k_neighbors_auto_is_accepted(tmp_path, capsys):
    src = _folder(tmp_path / "src", {"a": 8, "b": 3})
    argv = ["balance", str(src), "--out", str(tmp_path / "o"), "--k-neighbors", "auto"]
    assert main(argv) == 0
    assert load_dataset(tmp_path / "o").counts.tolist() == [8, 8]


@pytest.mark.parametrize(
    "strategy", ["a:6,b:5", '{"a": 6, "b": 5}', "0:6,1:5", '{"0": 6, "1": 5}']
)
def test_per_class_strategy_on_the_command_line(tmp_path, capsys, strategy):
    src = _folder(tmp_path / "src", {"a": 4, "b": 3})
    argv = ["balance", str(src), "--out", str(tmp_path / "o"), "--k-neighbors", "2",
            "--strategy", strategy]  # fmt: skip
    assert main(argv) == 0
    assert load_dataset(tmp_path / "o").counts.tolist() == [6, 5]


def test_bad_strategy_explains_the_choices_without_reprs(tmp_path, capsys):
    src = _folder(tmp_path / "src", {"a": 4, "b": 3})
    argv = ["balance", str(src), "--out", str(tmp_path / "o"), "--strategy", "most"]
    line = _one_line_error(capsys, argv, 2, "most")
    assert "<function" not in line and "auto" in line and "CLASS:COUNT" in line


def test_kmeans_smote_advice_names_real_options(tmp_path, capsys):
    src = _folder(tmp_path / "src", {"a": 30, "b": 6})
    argv = ["balance", str(src), "--out", str(tmp_path / "o"), "--method",
            "kmeans-smote"]  # fmt: skip
    status = _status(argv)
    err = capsys.readouterr().err
    if status == 0:
        return
    assert status == 1 and "Traceback" not in err
    for option in ("--cluster-balance-threshold", "--kmeans-clusters"):
        if option.lstrip("-").replace("-", "_") in err or option in err:
            break
    else:
        pytest.fail(f"the advice names no CLI option: {err}")
    helptext = subprocess.run(
        [sys.executable, "-m", "pixsmote", "balance", "--help"],
        capture_output=True,
        text=True,
    ).stdout
    assert "--cluster-balance-threshold" in helptext
    assert "--kmeans-clusters" in helptext


def test_messages_call_a_class_by_its_name(tmp_path, capsys):
    src = _folder(tmp_path / "src", {"cats": 8, "dogs": 1})
    argv = ["balance", str(src), "--out", str(tmp_path / "o")]
    line = _one_line_error(capsys, argv, 2)
    assert "'dogs'" in line or "dogs" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_config_json_survives(tmp_path):
    """The bench's --out marker is what --overwrite recognises (a run folder)."""
    out = tmp_path / "runs"
    argv = ["bench", "--train", "digits-seed-3", "--recipes", "none", "--steps",
            "2", "--seeds", "0,", "--out", str(out), "--threads", "1",
            "--no-progress"]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _status(argv) == 0
    assert json.loads((out / "bench.json").read_text())
    assert _status(argv) == 0  # resumes into its own folder
