"""``balance``: counts, provenance, what is decoded, every registered sampler."""

from __future__ import annotations

import numpy as np
import pytest

from pixsmote._errors import UsageError
from pixsmote.app import balance
from pixsmote.data import Dataset, load_dataset, read_manifest
from pixsmote.sampling import SAMPLERS, list_samplers, synthesize


def _check_provenance(dst, manifest_path=None, neighbour_same_class=True):
    """Every synthetic row's parents exist (in the output or the source) and
    share its label; every original row is an existing file.

    Borderline-SMOTE-2 also steps towards neighbours of other classes (Han
    2005), so there only the base parent has to share the label.
    """
    rows = read_manifest(manifest_path or dst / "manifest.csv")
    by_path = {r.path: r for r in rows}
    assert len(by_path) == len(rows)
    for row in rows:
        assert row.origin in ("original", "synthetic")
        if manifest_path is None:
            assert (dst / row.path).is_file()
            assert row.path.split("/")[0] == row.label
        if row.origin == "synthetic":
            for parent in (row.parent_a, row.parent_b):
                if parent.startswith("source:"):
                    continue
                assert by_path[parent].origin == "original"
            if not row.parent_a.startswith("source:"):
                assert by_path[row.parent_a].label == row.label
            if neighbour_same_class and not row.parent_b.startswith("source:"):
                assert by_path[row.parent_b].label == row.label
            assert row.method
        else:
            assert row.parent_a == row.parent_b == row.gap == row.method == ""
    return rows


def test_smote_folder_round_trip_and_provenance(make_folder, tmp_path, pixels_of):
    root = make_folder({"cat": 12, "dog": 5, "eel": 3})
    result = balance(load_dataset(root), tmp_path / "out", "smote", k_neighbors=2)
    assert result.counts_before.tolist() == [12, 5, 3]
    assert result.counts_after.tolist() == [12, 12, 12]
    assert result.n_synthetic == 16 and result.n_removed == 0
    assert result.n_decoded == 8  # only dog and eel were decoded
    rows = _check_provenance(tmp_path / "out")
    back = load_dataset(tmp_path / "out")
    assert back.counts.tolist() == [12, 12, 12]
    # originals are copied byte for byte
    assert (tmp_path / "out/cat/000.png").read_bytes() == (
        root / "cat/000.png"
    ).read_bytes()
    # synthetic pixels are the interpolation of the parents named in the manifest
    row = next(r for r in rows if r.origin == "synthetic" and r.label == "eel")
    a = pixels_of(tmp_path / "out" / row.parent_a).astype(np.float64)
    b = pixels_of(tmp_path / "out" / row.parent_b).astype(np.float64)
    expected = np.clip(np.rint(a + float(row.gap) * (b - a)), 0, 255)
    got = pixels_of(tmp_path / "out" / row.path)
    assert np.abs(got - expected).max() <= 1
    listed = (tmp_path / "out/train_balanced.txt").read_text().splitlines()
    assert len(listed) == 36 and listed[0] == "cat/000.png cat"


def test_class_local_sampler_decodes_only_oversampled_classes(make_folder, tmp_path):
    root = make_folder({"big": 10, "small": 3})
    ds = load_dataset(root)
    seen = []
    read = ds.read
    ds.read = lambda idx, **kw: seen.append(np.asarray(idx).copy()) or read(idx, **kw)
    balance(ds, tmp_path / "out", "smote", k_neighbors=2)
    decoded = np.concatenate(seen)
    # the 3 small images, plus one image of another class because a sampler
    # needs two classes in y
    assert np.isin(np.arange(10, 13), decoded).all()
    assert np.count_nonzero(ds.y[decoded] == 0) <= 1


def test_same_seed_same_output(make_folder, tmp_path):
    root = make_folder({"a": 9, "b": 4})
    balance(load_dataset(root), tmp_path / "one", "smote", k_neighbors=3, seed=7)
    balance(load_dataset(root), tmp_path / "two", "smote", k_neighbors=3, seed=7)
    one = (tmp_path / "one/manifest.csv").read_text()
    assert one == (tmp_path / "two/manifest.csv").read_text()


def test_ros_copies_are_gap_zero_synthetic_rows(make_folder, tmp_path):
    root = make_folder({"a": 6, "b": 2}, ext=".jpg")
    result = balance(load_dataset(root), tmp_path / "out", "ros")
    assert result.counts_after.tolist() == [6, 6]
    rows = _check_provenance(tmp_path / "out")
    copies = [r for r in rows if r.origin == "synthetic"]
    assert len(copies) == 4
    for r in copies:
        assert r.parent_a == r.parent_b and r.gap == "0" and r.method == "ros"
        assert r.path.endswith(".jpg")
        assert (tmp_path / "out" / r.path).read_bytes() == (
            tmp_path / "out" / r.parent_a
        ).read_bytes()


def test_rus_copies_only_the_kept_originals(make_folder, tmp_path):
    root = make_folder({"a": 8, "b": 3})
    result = balance(load_dataset(root), tmp_path / "out", "rus", seed=1)
    assert result.counts_after.tolist() == [3, 3]
    assert result.n_removed == 5
    assert len(list((tmp_path / "out" / "a").iterdir())) == 3
    _check_provenance(tmp_path / "out")


def _arrays(counts=(30, 12, 8), shape=(6, 6)):
    rng = np.random.default_rng(0)
    X, y = [], []
    for label, n in enumerate(counts):
        # overlapping classes, so that border and density samplers find work
        centre = 110 + 15 * label
        X.append(np.clip(centre + rng.normal(0, 40, (n, *shape)), 0, 255))
        y += [label] * n
    return Dataset.from_arrays(np.concatenate(X).astype(np.uint8), y, ["p", "q", "r"])


@pytest.mark.parametrize("method", list_samplers())
def test_every_registered_sampler_writes_a_consistent_folder(tmp_path, method):
    ds = _arrays()
    params = {"k_neighbors": 3}
    if method == "kmeans-smote":
        params["sampling_strategy"] = "auto"
    result = balance(ds, tmp_path / "out", method, seed=0, **params)
    # Borderline-2 interpolates towards other classes too; ShapeTransfer's
    # donor (parent b) may be of a nearby class (only its shape is taken).
    rows = _check_provenance(
        tmp_path / "out",
        neighbour_same_class=method not in ("borderline2", "shape-transfer"),
    )
    assert len(rows) == int(result.counts_after.sum())
    back = load_dataset(tmp_path / "out")
    assert back.counts.tolist() == result.counts_after.tolist()
    if SAMPLERS[method].kind == "over":
        assert result.counts_after.min() == result.counts_after.max() or (
            method in ("adasyn", "svm-smote")  # their counts are approximate
        )


def test_npz_output_matches_synthesize(tmp_path):
    from pixsmote import SMOTE

    ds = _arrays()
    balance(ds, tmp_path / "out.npz", "smote", k_neighbors=3, seed=2)
    with np.load(tmp_path / "out.npz") as z:
        X, y, names = z["X"], z["y"], z["class_names"].tolist()
    assert names == ["p", "q", "r"]
    assert np.bincount(y).tolist() == [30, 30, 30]
    rows = _check_provenance(tmp_path / "out", tmp_path / "out.manifest.csv")
    assert [r.path for r in rows] == [str(i) for i in range(90)]
    np.testing.assert_array_equal(X[:50], ds.X)
    # the synthetic rows are SMOTE's own output for the same data and seed
    sampler = SMOTE(k_neighbors=3, random_state=2)
    X_res, y_res = sampler.fit_resample(ds.X, ds.y)
    np.testing.assert_array_equal(X[50:], synthesize(ds.X, sampler.plan_))
    np.testing.assert_array_equal(X, X_res)


def test_rebalancing_a_balanced_folder_keeps_every_name(make_folder, tmp_path):
    root = make_folder({"a": 16, "b": 3})
    balance(load_dataset(root), tmp_path / "once", "smote", k_neighbors=2)
    once = load_dataset(tmp_path / "once")  # b: 3 originals, 13 synthetic_*.png
    b = np.flatnonzero(once.y == 1)
    sub = once.subset(np.concatenate([np.flatnonzero(once.y == 0), b[:8]]))
    assert sum(p.name.startswith("synthetic_") for p in sub.paths) == 5
    balance(sub, tmp_path / "twice", "smote", k_neighbors=2)
    names = [p.name for p in (tmp_path / "twice" / "b").iterdir()]
    assert len(names) == len(set(names)) == 16
    _check_provenance(tmp_path / "twice")


def test_refusals(make_folder, tmp_path):
    root = make_folder({"a": 4, "b": 2})
    ds = load_dataset(root)
    (tmp_path / "exists").mkdir()
    with pytest.raises(UsageError, match="already exists. Pass --overwrite"):
        balance(ds, tmp_path / "exists", "smote", k_neighbors=1)
    with pytest.raises(UsageError, match=r"method must be one of .*Got 'smoot'"):
        balance(ds, tmp_path / "o", "smoot")
    with pytest.raises(UsageError, match="would replace the input"):
        balance(ds, root, "smote", k_neighbors=1, overwrite=True)
    with pytest.raises(UsageError, match=r"smote: .*k_neighbors"):
        balance(ds, tmp_path / "o", "smote", k_neighbors=5)
    with pytest.raises(UsageError, match=r"smote: .*sampling_strategy"):
        balance(ds, tmp_path / "o", "smote", sampling_strategy="most")
    one = Dataset.from_arrays(np.zeros((3, 2, 2), np.uint8), [0, 0, 0])
    with pytest.raises(UsageError, match="at least 2 classes"):
        balance(one, tmp_path / "o", "smote")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exists", "src"]
    assert (root / "a" / "000.png").exists()


def test_deepsmote_balance_writes_decoded_images(tmp_path):
    from pixsmote.sampling import get_sampler

    ds = _arrays()
    balance(ds, tmp_path / "out.npz", "deepsmote", k_neighbors=3, seed=2)
    with np.load(tmp_path / "out.npz") as z:
        X = z["X"]
    sampler = get_sampler("deepsmote", k_neighbors=3, random_state=2)
    X_res, _ = sampler.fit_resample(ds.X, ds.y)
    np.testing.assert_array_equal(X, X_res)
    # decoded by the networks, not interpolated from the parents' pixels
    assert not np.array_equal(X[50:], synthesize(ds.X, sampler.plan_))


def test_deepsmote_balance_with_a_share_writes_copies_and_decoded_images(tmp_path):
    from pixsmote.sampling import get_sampler

    ds = _arrays()
    balance(
        ds, tmp_path / "out.npz", "deepsmote", k_neighbors=3, seed=2,
        sampler_params={"synthetic_share": 0.5},
    )  # fmt: skip
    with np.load(tmp_path / "out.npz") as z:
        X, y = z["X"], z["y"]
    sampler = get_sampler(
        "deepsmote", k_neighbors=3, random_state=2, synthetic_share=0.5
    )
    X_res, y_res = sampler.fit_resample(ds.X, ds.y)
    np.testing.assert_array_equal(X, X_res)
    np.testing.assert_array_equal(y, y_res)
    n = np.bincount(y)
    assert len(set(n.tolist())) == 1  # every class: its target, then as many decoded
    assert set(sampler.n_synthetic_) == set(np.unique(ds.y).tolist())
