"""Resolving train/val/test sources, the hold-out, and applying recipes."""

import numpy as np
import pytest

from pixsmote._errors import DataError
from pixsmote.app import (
    balance_training,
    holdout_split,
    parse_recipe,
    resolve_data,
)


def test_split_gives_val_and_tests():
    data = resolve_data("digits-seed-3")
    assert data.counts().tolist() == [18, 115, 48]
    assert data.counts(data.y_val).tolist() == [25, 25, 25]
    assert list(data.tests) == ["test"]
    assert data.X.dtype == np.uint8 and data.X.shape[1:] == (8, 8)


def test_holdout_is_stratified():
    y = np.repeat([0, 1, 2], [1, 20, 101])
    tr, va = holdout_split(y, 0.1, seed=0)
    assert np.bincount(y[va], minlength=3).tolist() == [0, 2, 10]
    assert len(np.intersect1d(tr, va)) == 0 and len(tr) + len(va) == len(y)
    assert np.array_equal(holdout_split(y, 0.1, seed=0)[1], va)


def test_without_val_holds_out(digits_npz):
    data = resolve_data(digits_npz["train"], test=[digits_npz["test"]])
    assert (data.counts() + data.counts(data.y_val)).tolist() == [12, 60, 25]
    assert data.counts(data.y_val).tolist() == [1, 6, 2]
    assert list(data.tests) == ["test"]
    assert "held out" in data.descriptions["val"]


def test_one_class_is_refused(digits_npz):
    with pytest.raises(DataError, match=r"at least 2 classes.*Got 1 class\(es\)"):
        resolve_data(digits_npz["one_class"])


def test_unknown_test_classes_are_refused(digits_npz):
    with pytest.raises(DataError, match=r"classes \['7'\] that the training set"):
        resolve_data(digits_npz["train"], test=[digits_npz["unknown_test"]])


@pytest.fixture(scope="module")
def small():
    data = resolve_data("digits-seed-3")
    return data.X, data.y


def test_none_keeps_data(small):
    X, y = small
    b = balance_training(parse_recipe("none"), X, y, seed=0)
    assert b.X is X and not b.synthetic.any() and b.plan is None


@pytest.mark.parametrize("name", ["smote", "ros", "undersample", "imblearn-smote"])
def test_resampled_once(small, name):
    X, y = small
    b = balance_training(parse_recipe(name), X, y, seed=1)
    counts = np.bincount(b.y)
    assert len(set(counts.tolist())) == 1
    assert b.X.dtype == np.uint8 and b.X.shape[1:] == X.shape[1:]
    if name in ("smote", "imblearn-smote"):
        assert b.synthetic.sum() == len(b.y) - len(y)
    else:
        assert not b.synthetic.any()
    if name == "smote":
        assert len(b.plan) == b.synthetic.sum()
    again = balance_training(parse_recipe(name), X, y, seed=1)
    assert np.array_equal(again.X, b.X)


def test_online_draws_a_fresh_plan_per_epoch(small):
    X, y = small
    b = balance_training(parse_recipe("online-smote"), X, y, seed=0)
    X0, _ = b.epoch_data(0)
    X1, y1 = b.epoch_data(1)
    assert X0 is b.X and len(b.plan) == b.synthetic.sum()
    assert not np.array_equal(X0, X1)
    assert np.array_equal(b.epoch_data(1)[0], X1)  # deterministic per epoch
    assert len(set(np.bincount(y1).tolist())) == 1
    other = balance_training(parse_recipe("online-smote"), X, y, seed=1)
    assert not np.array_equal(other.X, b.X)  # the seed changes the plans
