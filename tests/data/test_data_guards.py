"""The pieces behind the destination guards: markers, list-file quoting, leftovers."""

from __future__ import annotations

import os

import numpy as np
import pytest

from pixsmote._errors import DataError, UsageError
from pixsmote.data import (
    MARKER_NAME,
    Dataset,
    atomic_output,
    check_run_folder,
    format_list_line,
    is_pixsmote_output,
    load_dataset,
    parse_list_file,
    write_dataset,
)


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("a/1.png", "0"),
        ("a b/im 1.png", "a b"),
        ("x, #1/im 0#,.png", "x, #1"),
        ('"quoted".png', "q"),
        ("new\nline.png", "n"),
        ("café/ü.png", "café"),
        ("a/1.png", 'say "hi"'),
    ],
)
def test_list_lines_read_back_whatever_they_hold(tmp_path, path, label):
    listing = tmp_path / "l.txt"
    listing.write_text(format_list_line(path, label), encoding="utf-8")
    paths, labels, names = parse_list_file(listing)
    assert paths == [tmp_path / path] and names == [label]


def test_plain_list_lines_stay_plain():
    assert format_list_line("cat/001.png", "3") == "cat/001.png 3\n"


def test_markers_recognise_only_pixsmote_outputs(tmp_path):
    ds = Dataset.from_arrays(np.zeros((2, 3, 3), np.uint8), [0, 1], ["a", "b"])
    write_dataset(ds, tmp_path / "out")
    write_dataset(ds, tmp_path / "out.npz")
    np.savez(tmp_path / "user.npz", X=np.zeros((1, 2, 2)), y=[0])
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    (tmp_path / "empty").mkdir()
    assert (tmp_path / "out" / MARKER_NAME).is_file()
    for name, expected in [
        ("out", True), ("out.npz", True), ("out.manifest.csv", True),
        ("user.npz", False), ("mine", False), ("empty", True), ("missing", True),
    ]:  # fmt: skip
        assert is_pixsmote_output(tmp_path / name) is expected, name


def test_run_folders_accept_only_their_own(tmp_path):
    (tmp_path / "runs").mkdir()
    assert check_run_folder(tmp_path / "runs") == tmp_path / "runs"  # empty
    (tmp_path / "runs" / "notes.txt").write_text("x")
    with pytest.raises(UsageError, match="not written by pixsmote"):
        check_run_folder(tmp_path / "runs")
    (tmp_path / "f").write_text("x")
    with pytest.raises(UsageError, match="existing file"):
        check_run_folder(tmp_path / "f")


def test_leftovers_of_dead_runs_are_removed_and_an_aside_output_restored(
    tmp_path, capsys
):
    dst = tmp_path / "out"
    with atomic_output(dst) as tmp:
        (tmp / "v1.txt").write_text("1")
    dead = 2**22 + 12345  # above pid_max's default: never a running process
    # killed between setting the old output aside and renaming the new one in
    os.replace(dst, tmp_path / f".out.pixsmote-{dead}.old")
    (tmp_path / f".out.pixsmote-{dead}.tmp").mkdir()
    with pytest.raises(UsageError, match="already exists"):
        with atomic_output(dst):  # the restored output is there again
            pass
    err = capsys.readouterr().err
    assert "restored" in err and "removed" in err
    assert (dst / "v1.txt").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("interrupted_call", [1, 2])
def test_an_interrupted_swap_puts_the_previous_output_back(
    tmp_path, monkeypatch, interrupted_call
):
    """A signal landing in either rename of the final swap (old output aside,
    new output in) leaves the previous output where it was, and nothing else."""
    import pixsmote.data._atomic as atomic

    dst = tmp_path / "out"
    with atomic_output(dst) as tmp:
        (tmp / "v1.txt").write_text("1")
    real, calls = os.replace, []

    def replace(src, target):
        calls.append((src, target))
        if len(calls) == interrupted_call:  # 2: after the old one went aside
            raise KeyboardInterrupt
        return real(src, target)

    with pytest.raises(KeyboardInterrupt):
        with atomic_output(dst, overwrite=True) as tmp:
            (tmp / "v2.txt").write_text("2")
            monkeypatch.setattr(atomic.os, "replace", replace)
    monkeypatch.undo()
    assert sorted(p.name for p in dst.iterdir()) == [MARKER_NAME, "v1.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_parent_that_is_a_file_is_one_data_error(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(DataError, match="is a file, not a folder"):
        with atomic_output(tmp_path / "f" / "out"):
            pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_an_output_never_replaces_a_file_its_input_reads(tmp_path, make_folder):
    root = make_folder({"x": 2, "y": 2})
    ds = load_dataset(root)
    elsewhere = tmp_path / "elsewhere"
    with atomic_output(elsewhere) as tmp:
        (tmp / "x").mkdir()
    # a link into the output folder makes one of its files an input file
    os.symlink(elsewhere / "x", root / "x" / "linked", target_is_directory=True)
    (elsewhere / "x" / "img.png").write_bytes((root / "x").joinpath(
        sorted(os.listdir(root / "x"))[0]).read_bytes())  # fmt: skip
    with pytest.raises(UsageError, match="would replace a file of the input"):
        write_dataset(load_dataset(root), elsewhere, overwrite=True)
    assert len(ds) == 4
