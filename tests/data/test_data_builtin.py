"""Built-in datasets, the IDX reader and the protocol splits."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from sklearn.datasets import load_digits as sk_load_digits

from pixsmote._errors import DataError, UsageError
from pixsmote.data import (
    FASHION_MNIST_DIR,
    list_splits,
    load_dataset,
    load_fashion_mnist,
    load_split,
    read_idx,
)
from pixsmote.data._builtin import _fashion_arrays

HAVE_FMNIST = (FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").is_file()
needs_fmnist = pytest.mark.skipif(
    not HAVE_FMNIST,
    reason=f"Fashion-MNIST is not installed in {FASHION_MNIST_DIR} "
    "(apt-get install -y dataset-fashion-mnist)",
)


def _write_idx(path, array, code=0x08, gz=True):
    header = bytes([0, 0, code, array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    with (gzip.open if gz else open)(path, "wb") as fh:
        fh.write(data)
    return path


# -- digits ---------------------------------------------------------------------


def test_digits_are_uint8_scaled_from_0_16():
    ds = load_dataset("digits")
    raw = sk_load_digits().images
    assert ds.X.shape == (1797, 8, 8) and ds.X.dtype == np.uint8
    assert ds.class_names == [str(i) for i in range(10)]
    np.testing.assert_array_equal(ds.X, np.rint(raw * 255 / 16).astype(np.uint8))
    assert ds.X.max() == 255 and ds.X.min() == 0


# -- IDX --------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize(
    ("code", "dtype"), [(0x08, np.uint8), (0x0B, np.int16), (0x0D, np.float32)]
)
def test_idx_reader_round_trip(tmp_path, gz, code, dtype):
    array = np.arange(2 * 3 * 4).reshape(2, 3, 4).astype(dtype)
    out = read_idx(_write_idx(tmp_path / "a.idx", array, code, gz))
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def test_idx_reader_refuses_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01")
    with pytest.raises(DataError, match=r"expected an IDX file.*Got header '01020801'"):
        read_idx(tmp_path / "bad")
    full = _write_idx(tmp_path / "ok", np.zeros((4, 2), np.uint8), gz=False)
    (tmp_path / "short").write_bytes(full.read_bytes()[:-3])
    with pytest.raises(DataError, match=r"needs 8 bytes of data. Got 5 instead"):
        read_idx(tmp_path / "short")


@pytest.fixture
def tiny_fashion(tmp_path):
    """A fake Fashion-MNIST folder: 10 classes, 30 train and 12 test images each."""
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 30), ("t10k", 12)):
        y = np.repeat(np.arange(10, dtype=np.uint8), n)
        X = rng.integers(0, 256, (len(y), 28, 28), dtype=np.uint8)
        _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", X)
        _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", y)
    _fashion_arrays.cache_clear()
    return tmp_path


def test_fashion_mnist_from_a_folder(tiny_fashion):
    train = load_fashion_mnist("train", tiny_fashion)
    assert train.X.shape == (300, 28, 28)
    assert (
        train.class_names[0] == "T-shirt/top" and train.class_names[9] == "Ankle boot"
    )
    test = load_dataset("fashion-mnist:test", fashion_mnist_dir=tiny_fashion)
    assert test.counts.tolist() == [12] * 10


def test_fashion_mnist_missing_names_the_apt_package(tmp_path):
    with pytest.raises(DataError, match=r"apt-get install -y dataset-fashion-mnist"):
        load_fashion_mnist("train", tmp_path)
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte\.gz is missing"):
        load_dataset("fashion-mnist:test", fashion_mnist_dir=tmp_path)
    with pytest.raises(DataError, match=r"dataset-fashion-mnist"):
        load_split("fmnist-lt100", fashion_mnist_dir=tmp_path)


def test_unknown_parts_are_usage_errors():
    with pytest.raises(UsageError, match=r"has parts \['train', 'test'\]"):
        load_dataset("fashion-mnist:val")
    with pytest.raises(UsageError, match=r"split must be one of"):
        load_split("seed-4")
    with pytest.raises(UsageError, match=r"has parts .*Got 'nope' instead"):
        load_dataset("digits-seed-3:nope")


# -- splits ---------------------------------------------------------------------


def _assert_disjoint(*datasets):
    rows = [{x.tobytes() for x in ds.X} for ds in datasets]
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            assert not rows[i] & rows[j]


def test_digits_seed_3_is_reproducible_disjoint_and_balanced_outside_train():
    split = load_split("digits-seed-3", seed=3)
    assert split.train.class_names == ["3", "5", "8"]
    assert split.train.counts.tolist() == [18, 115, 48]
    assert split.val.counts.tolist() == [25, 25, 25]
    assert split.tests["test"].counts.tolist() == [40, 40, 40]
    _assert_disjoint(split.train, split.val, split.tests["test"])
    again = load_split("digits-seed-3", seed=3)
    np.testing.assert_array_equal(again.train.X, split.train.X)
    other = load_split("digits-seed-3", seed=4)
    assert not np.array_equal(other.train.X, split.train.X)
    assert load_dataset("digits-seed-3:val", seed=3).counts.tolist() == [25, 25, 25]


def test_splits_on_a_tiny_fashion_folder(tiny_fashion, monkeypatch):
    import pixsmote.data._splits as splits

    monkeypatch.setattr(splits, "DEEPSMOTE_TRAIN", [20, 10, 5, 4, 3, 3, 2, 2, 2, 2])
    monkeypatch.setattr(splits, "DEEPSMOTE_TEST", [12, 6, 3, 3, 2, 2, 1, 1, 1, 1])
    split = load_split("fmnist-deepsmote", seed=0, fashion_mnist_dir=tiny_fashion)
    # 10 % held out, at least 2
    assert split.val.counts.tolist() == [2] * 10
    assert split.train.counts.tolist() == [18, 8, 3, 2, 1, 1, 0, 0, 0, 0]
    assert split.tests["test-imbalanced"].counts.tolist() == splits.DEEPSMOTE_TEST
    assert split.tests["test"].counts.tolist() == [12] * 10
    _assert_disjoint(split.train, split.val)


@needs_fmnist
def test_fmnist_deepsmote_counts():
    split = load_split("fmnist-deepsmote", seed=0)
    drawn = split.train.counts + split.val.counts
    assert drawn.tolist() == [4000, 2000, 1000, 750, 500, 350, 200, 100, 60, 40]
    assert split.val.counts.tolist() == [400, 200, 100, 75, 50, 35, 20, 10, 6, 4]
    assert len(split.tests["test"]) == 10_000
    assert split.tests["test-imbalanced"].counts.tolist() == [
        1000, 500, 250, 187, 125, 87, 50, 25, 15, 10,
    ]  # fmt: skip
    _assert_disjoint(split.train, split.val)


@needs_fmnist
def test_fmnist_balanced_is_deepsmotes_total_with_its_tests():
    deep = load_split("fmnist-deepsmote", seed=2)
    ref = load_split("fmnist-balanced", seed=2)
    drawn = ref.train.counts + ref.val.counts
    assert drawn.tolist() == [900] * 10
    assert drawn.sum() == (deep.train.counts + deep.val.counts).sum() == 9000
    assert ref.val.counts.tolist() == [90] * 10
    for name in ("test", "test-imbalanced"):
        np.testing.assert_array_equal(ref.tests[name].X, deep.tests[name].X)
        np.testing.assert_array_equal(ref.tests[name].y, deep.tests[name].y)
    _assert_disjoint(ref.train, ref.val)


@needs_fmnist
def test_fmnist_lt100_and_seed_3_counts():
    lt = load_split("fmnist-lt100", seed=1)
    drawn = lt.train.counts + lt.val.counts
    assert drawn.tolist() == [6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60]
    seed3 = load_split("seed-3", seed=1)
    assert seed3.train.class_names == ["T-shirt/top", "Pullover", "Shirt"]
    assert seed3.train.counts.tolist() == [30, 192, 80]
    assert seed3.val.counts.tolist() == [100, 100, 100]
    assert seed3.tests["test"].counts.tolist() == [1000, 1000, 1000]
    again = load_split("seed-3", seed=1)
    np.testing.assert_array_equal(again.train.X, seed3.train.X)


def test_every_split_is_listed():
    assert list_splits() == [
        "seed-3",
        "digits-seed-3",
        "fmnist-deepsmote",
        "fmnist-balanced",
        "fmnist-lt100",
    ]
