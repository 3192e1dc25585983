"""benchmarks/real_data_value.py: the smoke run, and the real top-ups it trains on."""

import json

import numpy as np
import pytest


def test_quick_run_reads_every_factor_against_the_anchor(tmp_path, run_benchmark):
    out = tmp_path / "r.json"
    proc = run_benchmark("real_data_value.py", "--quick", "--factors", "1,2",
                         "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(out.read_text())
    assert [r["factor"] for r in doc["runs"]] == [1, 2]
    assert doc["runs"][0]["added"] == [0, 0, 0]
    assert all(0 < r["test_acsa"]["test"] <= 1 for r in doc["runs"])
    assert "| x1 | 18/115/48 | 0 |" in proc.stdout and "+0.00 (+0.00)" in proc.stdout


def _digests(X):
    from real_data_value import _digest

    return {_digest(img) for img in X}


def test_top_ups_are_unused_real_images_of_the_class_and_nested():
    from pixsmote.data import load_digits, load_split
    from real_data_value import top_up

    split = load_split("digits-seed-3", seed=1)
    pool = load_digits()
    n = np.bincount(split.train.y)
    assert n.tolist() == [18, 115, 48]
    X2, y2, c2, a2 = top_up(split, pool, 2, seed=1)
    X4, y4, c4, a4 = top_up(split, pool, 4, seed=1)
    # below the mean count (60) a class doubles, capped at the mean
    assert c2.tolist() == [36, 115, 60] and a2.tolist() == [18, 0, 12]
    assert c4.tolist() == [60, 115, 60] and a4.tolist() == [42, 0, 12]
    # the split's own images come first, unchanged
    np.testing.assert_array_equal(X2[: len(split.train.y)], split.train.X)
    added = X2[len(split.train.y):]
    used = _digests(split.train.X) | _digests(split.val.X)
    used |= _digests(split.tests["test"].X)
    assert not (_digests(added) & used)
    # each added image is a pool image of its class (digit 3 is label 0)
    pool_of = {name: _digests(pool.X[pool.y == int(name)]) for name in ("3", "5", "8")}
    for img, label in zip(added, y2[len(split.train.y):], strict=True):
        assert _digests(img[None]) <= pool_of[split.train.class_names[label]]
    # nested: factor 4's additions hold factor 2's
    assert _digests(added) <= _digests(X4[len(split.train.y):])


def test_a_class_without_enough_unused_images_is_named():
    from pixsmote.data import Dataset, load_digits, load_split
    from real_data_value import top_up

    split = load_split("digits-seed-3", seed=0)
    pool = load_digits()
    keep = pool.y != 3  # no spare 3s at all
    few = Dataset(pool.y[keep], pool.class_names, X=pool.X[keep])
    with pytest.raises(SystemExit, match=r"Class '3' needs 18 unused real images "
                       r"for factor 2\. Got 0 instead\."):  # fmt: skip
        top_up(split, few, 2, seed=0)


def test_a_work_folder_it_did_not_make_is_refused(tmp_path):
    from real_data_value import WORK_MARKER, claim_work_folder

    mine = tmp_path / "new"
    claim_work_folder(mine)  # new: made and marked
    assert (mine / WORK_MARKER).is_file()
    (mine / "seed-0").mkdir()
    claim_work_folder(mine)  # its own: a rerun resumes there
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "val.npz").write_bytes(b"the user's")
    refused = r"theirs holds files this script did not write .*non-empty folder"
    with pytest.raises(SystemExit, match=refused):
        claim_work_folder(theirs)
    assert (theirs / "val.npz").read_bytes() == b"the user's"
    (tmp_path / "f").write_text("x")
    with pytest.raises(SystemExit, match="must be a folder. Got a file instead."):
        claim_work_folder(tmp_path / "f")
