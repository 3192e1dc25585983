"""Reading folders, list files and .npz files; modes, sizes and refusals."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pixsmote._errors import DataError, UsageError
from pixsmote.data import (
    Dataset,
    load_dataset,
    parse_list_file,
    parse_size,
    read_npz,
    scan_folder,
)

# -- folders ------------------------------------------------------------------


@pytest.mark.parametrize("ext", [".png", ".jpg", ".bmp", ".tif", ".webp"])
@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_folder_reads_every_format_in_colour_and_grey(
    make_folder, pixels_of, ext, mode
):
    root = make_folder({"a": 3, "b": 2}, mode=mode, ext=ext)
    ds = load_dataset(root)
    assert ds.is_file_backed
    assert ds.class_names == ["a", "b"]
    assert ds.y.tolist() == [0, 0, 0, 1, 1]
    mode = "RGB" if ext == ".webp" else mode  # WebP stores grey as RGB
    assert ds.mode == mode
    assert ds.X.shape == ((5, 12, 10) if mode == "L" else (5, 12, 10, 3))
    assert ds.X.dtype == np.uint8
    # decoded pixels are exactly what Pillow reads from the file
    np.testing.assert_array_equal(ds.X[3], pixels_of(root / "b" / f"000{ext}"))


def test_folder_read_decodes_only_the_asked_images(make_folder, monkeypatch):
    import pixsmote.data._dataset as dataset_module

    root = make_folder({"a": 4, "b": 3})
    ds = load_dataset(root)
    calls = []
    original = dataset_module.decode_image
    monkeypatch.setattr(
        dataset_module,
        "decode_image",
        lambda path, *a: calls.append(path) or original(path, *a),
    )
    out = ds.read([5, 1], jobs=1)
    assert out.shape == (2, 12, 10, 3)
    assert [p.name for p in calls] == ["001.png", "001.png"]
    assert [p.parent.name for p in calls] == ["b", "a"]


def test_folder_ignores_other_files_and_sorts_classes(make_folder, make_image):
    root = make_folder({"zebra": 1, "ant": 2})
    (root / "notes.txt").write_text("not a class")
    (root / "ant" / "readme.md").write_text("ignored")
    make_image(root / "ant" / "nested" / "deep.PNG")
    paths, labels, names = scan_folder(root)
    assert names == ["ant", "zebra"]
    assert labels.tolist() == [0, 0, 0, 1]
    assert paths[0].name == "000.png" and paths[2].name == "deep.PNG"


def test_folder_without_class_folders_is_refused(tmp_path):
    with pytest.raises(DataError, match="one sub-folder per class"):
        load_dataset(tmp_path)


def test_empty_class_folder_is_refused(make_folder):
    root = make_folder({"a": 2})
    (root / "empty").mkdir()
    with pytest.raises(DataError, match="'empty' holds no image"):
        load_dataset(root)


# -- modes and sizes ---------------------------------------------------------


def test_mixed_modes_convert_to_the_most_common(make_folder, make_image):
    root = make_folder({"a": 3, "b": 2}, mode="RGB")
    make_image(root / "b" / "grey.png", mode="L")
    ds = load_dataset(root)
    assert ds.mode == "RGB"
    assert ds.modes_found == {"RGB": 5, "L": 1}
    assert ds.X.shape == (6, 12, 10, 3)
    grey = load_dataset(root, mode="L")
    assert grey.X.shape == (6, 12, 10)


def test_mixed_sizes_need_size_and_the_error_lists_them(make_folder, make_image):
    root = make_folder({"a": 2, "b": 2}, shape=(12, 10))
    make_image(root / "b" / "big.png", shape=(20, 16))
    with pytest.raises(DataError, match=r"12x10 \(4 images\), 20x16 \(1 image\)"):
        load_dataset(root)


@pytest.mark.parametrize("fit", ["resize", "crop", "pad"])
def test_size_brings_every_image_to_one_size(make_folder, make_image, fit):
    root = make_folder({"a": 2, "b": 2}, shape=(12, 10))
    make_image(root / "b" / "wide.png", shape=(8, 30))
    ds = load_dataset(root, size="16x16", fit=fit)
    assert ds.X.shape == (5, 16, 16, 3)
    assert not ds.is_copyable(4)


def test_pad_fills_with_black(tmp_path):
    Image.new("L", (20, 10), 255).save((tmp_path / "a").mkdir() or tmp_path / "a/x.png")
    Image.new("L", (20, 10), 255).save((tmp_path / "b").mkdir() or tmp_path / "b/x.png")
    X = load_dataset(tmp_path, size="20x20", fit="pad").X
    assert X[0, 0].max() == 0 and X[0, 10].min() == 255


@pytest.mark.parametrize("bad", ["28", "0x28", "axb", "28x-1"])
def test_bad_size_is_a_usage_error(bad):
    with pytest.raises(UsageError, match=f"HxW.*Got '{bad}' instead"):
        parse_size(bad)


def test_bad_mode_and_fit_are_usage_errors(make_folder):
    root = make_folder({"a": 1, "b": 1})
    with pytest.raises(UsageError, match="mode must be one of"):
        load_dataset(root, mode="CMYK")
    with pytest.raises(UsageError, match="fit must be one of"):
        load_dataset(root, fit="squash")


def test_sixteen_bit_grey_is_scaled_not_clipped(tmp_path):
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        ramp = np.full((4, 4), 65535, dtype=np.uint16)
        ramp[0] = 0
        Image.fromarray(ramp).save(tmp_path / cls / "x.png")
    X = load_dataset(tmp_path).X
    assert X.dtype == np.uint8
    assert X[0, 0].tolist() == [0] * 4 and X[0, 1].tolist() == [255] * 4


# -- corrupt files ------------------------------------------------------------


def test_corrupt_image_error_names_the_file(make_folder):
    root = make_folder({"a": 2, "b": 2})
    bad = root / "b" / "broken.png"
    bad.write_bytes(b"this is not a png")
    with pytest.raises(DataError, match=r"Cannot read image .*b/broken\.png"):
        load_dataset(root)


def test_truncated_image_error_names_the_file_when_decoded(make_folder):
    root = make_folder({"a": 2, "b": 2}, shape=(64, 64))
    bad = root / "b" / "001.png"
    bad.write_bytes(bad.read_bytes()[:200])
    ds = load_dataset(root)  # the header is fine...
    with pytest.raises(DataError, match=r"Cannot read image .*b/001\.png"):
        ds.read([3])  # ...the pixels are not


def test_skip_bad_leaves_out_and_lists_bad_files(make_folder):
    root = make_folder({"a": 2, "b": 3}, shape=(64, 64))
    (root / "a" / "junk.png").write_bytes(b"junk")
    truncated = root / "b" / "002.png"
    truncated.write_bytes(truncated.read_bytes()[:200])
    ds = load_dataset(root, skip_bad=True)
    assert len(ds) == 4
    assert sorted(p.name for p, _ in ds.skipped) == ["002.png", "junk.png"]
    assert all("Cannot read image" in reason for _, reason in ds.skipped)
    assert ds.X.shape[0] == 4


def test_decompression_bomb_guard_stays_on(make_folder, monkeypatch):
    root = make_folder({"a": 1, "b": 1}, shape=(12, 10))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20)  # 120 px > 2 * 20
    with pytest.raises(DataError, match=r"Cannot read image .*000\.png.*decompression"):
        load_dataset(root)


# -- list files -----------------------------------------------------------------


@pytest.mark.parametrize("sep", [" ", "\t", ",", " , "])
def test_list_file_round_trip(make_folder, sep):
    root = make_folder({"x": 2, "y": 2}, name="imgs")
    listing = root.parent / "Train_imba.txt"
    listing.write_text(
        "# a comment\n\n"
        f"imgs/x/000.png{sep}0\n"
        f"imgs/x/001.png{sep}0   # trailing comment\n"
        f"imgs/y/000.png{sep}1\n"
    )
    ds = load_dataset(listing)
    assert ds.class_names == ["0", "1"]
    assert ds.y.tolist() == [0, 0, 1]
    assert ds.relpath(2) == "imgs/y/000.png"
    np.testing.assert_array_equal(ds.X[2], load_dataset(root).X[2])


def test_list_file_labels_sort_numerically_and_paths_may_hold_spaces(
    make_image, tmp_path
):
    make_image(tmp_path / "my imgs" / "a.png")
    make_image(tmp_path / "my imgs" / "b.png")
    make_image(tmp_path / "my imgs" / "c.png")
    listing = tmp_path / "list.csv"
    listing.write_text(
        "path,label\nmy imgs/a.png,10\nmy imgs/b.png,9\nmy imgs/c.png,10\n"
    )
    paths, labels, names = parse_list_file(listing)
    assert names == ["9", "10"]
    assert labels.tolist() == [1, 0, 1]
    assert paths[0].name == "a.png"


def test_list_file_root_option(make_folder, tmp_path):
    root = make_folder({"x": 1, "y": 1}, name="data")
    listing = tmp_path / "lists" / "train.txt"
    listing.parent.mkdir()
    listing.write_text("x/000.png cat\ny/000.png dog\n")
    ds = load_dataset(listing, root=root)
    assert ds.class_names == ["cat", "dog"]
    assert ds.relpath(1) == "y/000.png"


@pytest.mark.parametrize("entry", ["../outside.png", "/etc/passwd", "sub/../../x.png"])
def test_list_file_entry_outside_the_root_is_refused(tmp_path, make_image, entry):
    (tmp_path / "ds").mkdir()
    make_image(tmp_path / "outside.png")
    listing = tmp_path / "ds" / "list.txt"
    listing.write_text(f"{entry} 0\nok.png 1\n")
    with pytest.raises(DataError, match=r"line 1: entry .* resolves outside"):
        load_dataset(listing)


def test_list_file_symlink_out_of_the_root_is_refused(tmp_path, make_image):
    (tmp_path / "ds").mkdir()
    make_image(tmp_path / "secret.png")
    (tmp_path / "ds" / "link.png").symlink_to(tmp_path / "secret.png")
    listing = tmp_path / "ds" / "list.txt"
    listing.write_text("link.png 0\n")
    with pytest.raises(DataError, match="resolves outside"):
        load_dataset(listing)


def test_list_file_bad_line_and_missing_image(tmp_path, make_image):
    listing = tmp_path / "list.txt"
    listing.write_text("onlyonefield\n")
    with pytest.raises(DataError, match=r"line 1: expected 'relative/path label'"):
        load_dataset(listing)
    make_image(tmp_path / "a.png")
    listing.write_text("a.png 0\nmissing.png 1\n")
    with pytest.raises(DataError, match=r"Cannot read image .*missing\.png"):
        load_dataset(listing)


# -- npz ------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(6, 5, 4), (6, 5, 4, 3)])
def test_npz_round_trip(tmp_path, shape):
    X = np.arange(np.prod(shape), dtype=np.uint8).reshape(shape)
    y = np.array(["b", "a", "b", "a", "a", "b"])
    np.savez(tmp_path / "d.npz", X=X, y=y)
    ds = load_dataset(tmp_path / "d.npz")
    assert not ds.is_file_backed
    assert ds.class_names == ["a", "b"]
    assert ds.y.tolist() == [1, 0, 1, 0, 0, 1]
    np.testing.assert_array_equal(ds.X, X)
    assert ds.relpath(3) == "3"


def test_npz_with_class_names(tmp_path):
    np.savez(
        tmp_path / "d.npz",
        X=np.zeros((3, 2, 2), np.uint8),
        y=np.array([0, 2, 1]),
        class_names=np.array(["x", "y", "z"]),
    )
    assert read_npz(tmp_path / "d.npz").class_names == ["x", "y", "z"]


def test_npz_refusals(tmp_path):
    np.savez(tmp_path / "noy.npz", X=np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(DataError, match=r"expected arrays 'X' and 'y'"):
        load_dataset(tmp_path / "noy.npz")
    np.savez(tmp_path / "obj.npz", X=np.array([None, 1], dtype=object), y=[0, 1])
    with pytest.raises(DataError, match=r"Cannot read .*obj\.npz"):
        load_dataset(tmp_path / "obj.npz")  # allow_pickle=False
    np.savez(tmp_path / "flat.npz", X=np.zeros((2, 4), np.uint8), y=[0, 1])
    with pytest.raises(DataError, match=r"\(N, H, W\).*Got uint8 of shape \(2, 4\)"):
        load_dataset(tmp_path / "flat.npz")
    (tmp_path / "fake.npz").write_bytes(b"nope")
    with pytest.raises(DataError, match="Cannot read"):
        load_dataset(tmp_path / "fake.npz")


def test_npz_size_and_mode_options_convert_arrays(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.full((2, 4, 4), 100, np.uint8), y=[0, 1])
    ds = load_dataset(tmp_path / "d.npz", size="8x6", mode="RGB")
    assert ds.X.shape == (2, 8, 6, 3)
    assert (ds.X == 100).all()


# -- names ----------------------------------------------------------------------


def test_unknown_source_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="neither an existing folder"):
        load_dataset(tmp_path / "nope")


def test_existing_path_wins_over_builtin_name(make_folder, monkeypatch):
    root = make_folder({"a": 1, "b": 1}, name="digits")
    monkeypatch.chdir(root.parent)
    assert load_dataset("digits").is_file_backed


def test_dataset_from_arrays_checks_its_input():
    with pytest.raises(DataError, match=r"expected y of shape \(3,\)"):
        Dataset.from_arrays(np.zeros((3, 2, 2)), [0, 1])
    with pytest.raises(DataError, match=r"labels must lie in 0..1"):
        Dataset.from_arrays(np.zeros((2, 2, 2)), [0, 5], class_names=["a", "b"])
