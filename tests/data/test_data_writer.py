"""Atomic output, folder and .npz writers, the manifest."""

from __future__ import annotations

import numpy as np
import pytest

from pixsmote._errors import DataError, UsageError
from pixsmote.data import (
    MANIFEST_COLUMNS,
    MARKER_NAME,
    Dataset,
    ManifestRow,
    Synthetic,
    atomic_output,
    check_destination,
    class_folder_names,
    load_dataset,
    manifest_path_for,
    read_manifest,
    write_dataset,
    write_manifest,
    write_output,
)


def _leftovers(folder, name):
    return [p.name for p in folder.iterdir() if name in p.name]


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_atomic_output_leaves_nothing_after_an_error(tmp_path, exc):
    dst = tmp_path / "new" / "deeper" / "out"
    with pytest.raises(type(exc)):
        with atomic_output(dst) as tmp:
            (tmp / "half.png").write_bytes(b"x")
            raise exc
    assert not (tmp_path / "new").exists()  # created parents are removed too
    assert list(tmp_path.iterdir()) == []


def test_atomic_output_refuses_an_existing_destination(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(UsageError, match=r"out already exists. Pass --overwrite"):
        with atomic_output(tmp_path / "out"):
            pass


def test_atomic_output_overwrite_replaces_only_at_the_end(tmp_path):
    dst = tmp_path / "out"
    # --overwrite replaces only what pixsmote wrote (its marker), so the old
    # output is written by atomic_output too
    with atomic_output(dst) as tmp:
        (tmp / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_output(dst, overwrite=True) as tmp:
            (tmp / "new.txt").write_text("new")
            raise RuntimeError
    assert (dst / "old.txt").exists()  # a failed run keeps the old output
    with atomic_output(dst, overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in dst.iterdir()) == [MARKER_NAME, "new.txt"]
    assert _leftovers(tmp_path, ".out.") == []
    assert _leftovers(tmp_path, ".out_") == []  # the lock file is gone too


def test_class_folder_names_are_safe_and_distinct():
    names = ["T-shirt/top", "Ankle boot", "a b", "a_b", "..", "ok"]
    assert class_folder_names(names) == [
        "T-shirt_top", "Ankle_boot", "a_b", "a_b_1", "class_4", "ok",
    ]  # fmt: skip


def test_manifest_round_trip_and_header_check(tmp_path):
    rows = [
        ManifestRow("a/1.png", "a", "original"),
        ManifestRow("a/s.png", "a", "synthetic", "a/1.png", "a/1.png", "0.5", "smote"),
    ]
    write_manifest(rows, tmp_path / "m.csv")
    assert (tmp_path / "m.csv").read_text().splitlines()[0] == ",".join(
        MANIFEST_COLUMNS
    )
    assert read_manifest(tmp_path / "m.csv") == rows
    (tmp_path / "bad.csv").write_text("a,b\n")
    with pytest.raises(DataError, match="expected manifest columns"):
        read_manifest(tmp_path / "bad.csv")


@pytest.mark.parametrize("shape", [(7, 6), (7, 6, 3)])
def test_write_dataset_folder_round_trip(tmp_path, shape):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (5, *shape), dtype=np.uint8)
    ds = Dataset.from_arrays(X, [0, 1, 1, 0, 1], ["T-shirt/top", "bag"])
    result = write_dataset(ds, tmp_path / "out")
    back = load_dataset(tmp_path / "out")
    # the folder is T-shirt_top; its marker file records the original name
    assert back.class_names == ["T-shirt/top", "bag"]
    order = np.argsort(ds.y, kind="stable")
    np.testing.assert_array_equal(back.X, X[order])  # PNG is lossless
    listed = load_dataset(tmp_path / "out" / "train_balanced.txt")
    np.testing.assert_array_equal(np.sort(listed.y), np.sort(back.y))
    assert result.rows == 5
    assert [r.origin for r in read_manifest(result.manifest)] == ["original"] * 5


def test_write_dataset_npz_round_trip(tmp_path):
    X = np.arange(4 * 3 * 2, dtype=np.float32).reshape(4, 3, 2)
    ds = Dataset.from_arrays(X, ["x", "y", "x", "y"])
    write_dataset(ds, tmp_path / "d.npz")
    back = load_dataset(tmp_path / "d.npz")
    np.testing.assert_array_equal(back.X, X)
    assert back.X.dtype == np.float32
    assert back.class_names == ["x", "y"]
    assert manifest_path_for(tmp_path / "d.npz").name == "d.manifest.csv"
    assert len(read_manifest(tmp_path / "d.manifest.csv")) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.manifest.csv", "d.npz"]


def test_non_uint8_arrays_cannot_become_png(tmp_path):
    ds = Dataset.from_arrays(np.zeros((2, 3, 3), np.float32), [0, 1])
    with pytest.raises(DataError, match=r"dtype float32 cannot be written as PNG"):
        write_dataset(ds, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_folder_copy_keeps_files_byte_for_byte(make_folder, tmp_path):
    root = make_folder({"a": 2, "b": 1}, ext=".jpg")
    write_dataset(load_dataset(root), tmp_path / "out", link=True)
    for name in ("a/000.jpg", "a/001.jpg", "b/000.jpg"):
        assert (tmp_path / "out" / name).read_bytes() == (root / name).read_bytes()


def test_converted_originals_become_png(make_folder, make_image, tmp_path):
    root = make_folder({"a": 2, "b": 1}, ext=".jpg")
    make_image(root / "b" / "grey.bmp", mode="L")
    write_dataset(load_dataset(root), tmp_path / "out")
    assert (tmp_path / "out" / "b" / "grey.png").exists()
    assert (tmp_path / "out" / "a" / "000.jpg").exists()
    assert load_dataset(tmp_path / "out").modes_found == {"RGB": 4}


def test_same_names_in_one_class_are_disambiguated(make_image, tmp_path):
    make_image(tmp_path / "x" / "img.png", label=0)
    make_image(tmp_path / "y" / "img.png", label=1)
    make_image(tmp_path / "z.png", label=2)
    (tmp_path / "list.txt").write_text("x/img.png 0\ny/img.png 0\nz.png 1\n")
    write_dataset(load_dataset(tmp_path / "list.txt"), tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out" / "0").iterdir()) == [
        "img.png",
        "img_1.png",
    ]


def _mean_images(X, pairs, method="mean"):
    """A Synthetic of the rounded means of image pairs, made without any sampler."""
    a, b = np.array(pairs).T

    def chunks(k):
        for i in range(0, len(a), k):
            mean = (X[a[i : i + k]].astype(np.int64) + X[b[i : i + k]]) // 2
            yield mean.astype(np.uint8)

    return Synthetic(
        labels=np.zeros(len(a), np.int64), parent_a=a, parent_b=b,
        gap=np.full(len(a), 0.5), method=method, chunks=chunks,
    )  # fmt: skip


@pytest.mark.parametrize("dst", ["out", "out.npz"])
def test_write_output_takes_ready_pixel_chunks(tmp_path, dst, pixels_of):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(6, 4, 4), dtype=np.uint8)
    ds = Dataset.from_arrays(X, [0, 0, 0, 1, 1, 1])
    synthetic = _mean_images(X, [(0, 1), (1, 2), (2, 0)])
    result = write_output(
        ds, tmp_path / dst, [0, 1, 2, 3], duplicates=[3], duplicates_method="copy",
        synthetic=synthetic, chunk_size=2,
    )  # fmt: skip
    rows = read_manifest(result.manifest)
    assert [r.method for r in rows] == [""] * 4 + ["copy"] + ["mean"] * 3
    assert [r.gap for r in rows[4:]] == ["0", "0.5", "0.5", "0.5"]
    expected = np.concatenate([X[[0, 1, 2, 3, 3]], *synthetic.chunks(3)])
    if dst.endswith(".npz"):
        np.testing.assert_array_equal(load_dataset(tmp_path / dst).X, expected)
    else:
        for row, pixels in zip(rows, expected, strict=True):
            np.testing.assert_array_equal(pixels_of(tmp_path / dst / row.path), pixels)


def test_write_output_refuses_chunks_that_break_their_promise(tmp_path):
    X = np.zeros((4, 3, 3), np.uint8)
    ds = Dataset.from_arrays(X, [0, 0, 1, 1])
    short = _mean_images(X, [(0, 1), (2, 3)])
    short.chunks = lambda k: iter([X[:1]])
    with pytest.raises(RuntimeError, match="held 1 images; the rows promised 2"):
        write_output(ds, tmp_path / "out.npz", [0, 1, 2, 3], synthetic=short)
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_check_destination_rules(tmp_path, make_folder):
    assert check_destination(tmp_path / "a.npz") == [
        tmp_path / "a.npz",
        tmp_path / "a.manifest.csv",
    ]
    (tmp_path / "a.manifest.csv").write_text("")
    with pytest.raises(UsageError, match=r"a\.manifest\.csv already exists"):
        check_destination(tmp_path / "a.npz")
    assert check_destination(tmp_path / "a.npz", overwrite=True)
    root = make_folder({"x": 2, "y": 2})
    source = load_dataset(root)
    for dst in (root, root.parent):
        with pytest.raises(UsageError, match="would replace the input"):
            check_destination(dst, overwrite=True, source=source)
    assert check_destination(tmp_path / "elsewhere", source=source)


def test_read_output_marker_finds_what_pixsmote_wrote_and_nothing_else(tmp_path):
    from pixsmote.data import read_output_marker, write_output

    ds = Dataset(X=np.zeros((4, 3, 3), np.uint8), y=np.array([0, 0, 1, 1]),
                 class_names=["a", "b"])  # fmt: skip
    made = {"command": "balance", "method": "smote", "params": {"k_neighbors": 1}}
    for dst in (tmp_path / "out", tmp_path / "out.npz"):
        write_output(ds, dst, np.arange(4), made_by=made)
        marker = read_output_marker(dst)
        assert marker["kind"] == "dataset" and marker["made_by"] == made
    write_output(ds, tmp_path / "plain.npz", np.arange(4))
    assert "made_by" not in read_output_marker(tmp_path / "plain.npz")
    # Not pixsmote's: an .npz of the user's, a broken file, a bare folder.
    np.savez(tmp_path / "mine.npz", X=np.zeros((2, 2)), y=[0, 1])
    (tmp_path / "broken.npz").write_bytes(b"PK not a zip")
    (tmp_path / "folder").mkdir()
    for path in ("mine.npz", "broken.npz", "folder", "missing.npz", "out/a"):
        assert read_output_marker(tmp_path / path) is None
