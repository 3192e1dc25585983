"""ResampledDataset: fresh plans per epoch, reproducibility, provenance, errors."""

import numpy as np
import pytest
import torch

from pixsmote import SMOTE, SMOTEENN, RandomOverSampler, RandomUnderSampler
from pixsmote.sampling import SAMPLERS, get_sampler, synthesize
from pixsmote.torch import ResampledDataset, epoch_arrays, epoch_random_state


def _stack(ds, indices=None):
    indices = range(len(ds)) if indices is None else indices
    items = [ds[i] for i in indices]
    return torch.stack([x for x, _ in items]), torch.stack([t for _, t in items])


def _as_tensor(images):
    """The expected item of stored uint8 images (N, H, W)."""
    return torch.from_numpy(images.astype(np.float32) / 255)[:, None]


def test_two_epochs_differ_and_an_epoch_replays(images):
    X, y = images
    ds = ResampledDataset(X, y, sampler=SMOTE(k_neighbors=3), seed=0)
    n = ds.n_original
    x0, y0 = _stack(ds)
    ds.set_epoch(1)
    x1, y1 = _stack(ds)
    assert torch.equal(x0[:n], x1[:n])  # originals do not change
    assert not torch.equal(x0[n:], x1[n:])  # synthetic images do
    assert torch.equal(y0, y1)
    ds.set_epoch(0)
    assert torch.equal(_stack(ds)[0], x0)
    again = ResampledDataset(X, y, sampler=SMOTE(k_neighbors=3), seed=0)
    assert torch.equal(_stack(again)[0], x0)
    other_seed = ResampledDataset(X, y, sampler=SMOTE(k_neighbors=3), seed=1)
    assert not torch.equal(_stack(other_seed)[0][n:], x0[n:])


def test_items_are_float_chw_in_unit_range_with_int64_labels(images):
    X, y = images
    rgb = np.repeat(X[..., None], 3, axis=3)
    for data, channels in ((X, 1), (rgb, 3)):
        ds = ResampledDataset(data, y, sampler=SMOTE(k_neighbors=3))
        x, label = ds[len(ds) - 1]
        assert x.shape == (channels, 6, 6) and x.dtype == torch.float32
        assert 0 <= x.min() and x.max() <= 1
        assert label.dtype == torch.int64 and label.ndim == 0
    assert ds[0][0].equal(torch.from_numpy(rgb[0].transpose(2, 0, 1) / 255).float())


def test_every_synthetic_item_is_the_synthesis_of_its_plan_entry(images):
    X, y = images
    ds = ResampledDataset(X, y, sampler=SMOTE(k_neighbors=3), seed=3)
    ds.set_epoch(2)
    plan, n = ds.plan, len(ds.sample_indices)
    x, labels = _stack(ds, range(n, len(ds)))
    for j in range(len(plan)):
        assert torch.equal(x[j], _as_tensor(synthesize(X, plan[j]))[0])
    assert np.array_equal(labels.numpy(), plan.cls)
    assert torch.equal(_stack(ds, range(n))[0], _as_tensor(X))


def test_plan_is_drawn_from_seed_and_epoch(images):
    X, y = images
    ds = ResampledDataset(X, y, sampler=SMOTE(k_neighbors=3), seed=7)
    ds.set_epoch(4)
    # Same neighbour groups as the offline sampler, drawn with the epoch's RNG:
    # the plan is exactly SMOTE's with random_state=epoch_random_state(7, 4).
    expected = SMOTE(k_neighbors=3, random_state=epoch_random_state(7, 4))
    _, plan = expected.fit_plan(X, y)
    for field in ("cls", "base", "neighbor", "gap"):
        assert np.array_equal(getattr(ds.plan, field), getattr(plan, field))


@pytest.mark.parametrize("name", [n for n in SAMPLERS if not SAMPLERS[n].images_only])
def test_class_counts_match_the_sampling_strategy(name, make_images, extra):
    X, y = make_images(noise=0.6)  # overlapping classes, so ADASYN has work
    sampler = get_sampler(name, random_state=0, **extra.get(name, {}))
    offline = np.bincount(sampler.fit_resample(X, y)[1])
    ds = ResampledDataset(X, y, sampler=get_sampler(name, **extra.get(name, {})))
    for epoch in (0, 1):
        ds.set_epoch(epoch)
        counts = np.bincount(ds.labels, minlength=3)
        assert len(ds) == counts.sum()
        if name == "svm-smote":
            # Here every support vector is safe, so imbalanced-learn's Beta split
            # draws fewer than asked, a different number per draw.
            assert (counts <= [30, 30, 30]).all() and (counts >= np.bincount(y)).all()
        else:
            assert counts.tolist() == offline.tolist()
        assert torch.equal(
            torch.stack([ds[i][1] for i in range(len(ds))]), torch.from_numpy(ds.labels)
        )


def test_random_samplers_draw_fresh_indices(images):
    X, y = images
    for sampler in (RandomOverSampler(), RandomUnderSampler()):
        ds = ResampledDataset(X, y, sampler=sampler, seed=0)
        first = ds.sample_indices.copy()
        ds.set_epoch(1)
        assert len(ds.plan) == 0
        assert not np.array_equal(first, ds.sample_indices)
        assert (
            np.bincount(y[ds.sample_indices]).tolist() == np.bincount(y[first]).tolist()
        )


def test_cleaning_is_applied_once_and_smote_redrawn(images):
    X, y = images
    offline = SMOTEENN(random_state=0)
    kept, plan0 = offline.fit_plan(X, y)
    ds = ResampledDataset(X, y, sampler=SMOTEENN(random_state=0), seed=0)
    x0 = _stack(ds)[0]
    ds.set_epoch(1)
    assert np.array_equal(ds.sample_indices, kept)
    assert (
        np.bincount(ds.plan.cls, minlength=3).tolist()
        == np.bincount(plan0.cls, minlength=3).tolist()
    )
    assert not torch.equal(_stack(ds)[0][len(kept) :], x0[len(kept) :])


def test_sampler_none_keeps_the_originals(images):
    X, y = images
    ds = ResampledDataset(X, y)
    assert len(ds) == len(X) and len(ds.plan) == 0
    assert torch.equal(_stack(ds)[0], _as_tensor(X))


def test_transform_and_registry_name(images):
    X, y = images
    ds = ResampledDataset(X, y, sampler="smote", transform=lambda t: 1 - t)
    plain = ResampledDataset(X, y, sampler="smote")
    assert torch.equal(ds[len(ds) - 1][0], 1 - plain[len(ds) - 1][0])


def test_epoch_arrays_match_the_items(images):
    X, y = images
    ds = ResampledDataset(X, y, sampler=SMOTE(k_neighbors=3), seed=0)
    Xe, ye = epoch_arrays(ds, 1, chunk_size=7)
    assert Xe.dtype == np.uint8 and ye.dtype == np.int64
    ds.set_epoch(1)
    x, labels = _stack(ds)
    assert torch.equal(_as_tensor(Xe), x)
    assert np.array_equal(ye, labels.numpy())
    # The offline equivalent with the epoch's RNG, row for row.
    offline = SMOTE(k_neighbors=3, random_state=epoch_random_state(0, 1))
    X_off, y_off = offline.fit_resample(X, y)
    assert np.array_equal(Xe, X_off) and np.array_equal(ye, y_off)


def test_negative_and_out_of_range_indices(images):
    X, y = images
    ds = ResampledDataset(X, y, sampler="smote")
    assert torch.equal(ds[-1][0], ds[len(ds) - 1][0])
    with pytest.raises(IndexError, match="out of range"):
        ds[len(ds)]
    with pytest.raises(TypeError, match="index must be an integer"):
        ds[1.5]


def test_bad_arguments_are_rejected(images):
    X, y = images
    with pytest.raises(ValueError, match=r"seed must be a non-neg.*Got -1 instead"):
        ResampledDataset(X, y, seed=-1)
    with pytest.raises(TypeError, match="transform must be callable"):
        ResampledDataset(X, y, transform=3)
    with pytest.raises(ValueError, match=r"y must have shape \(54,\)"):
        ResampledDataset(X, y[:-1])
    with pytest.raises(ValueError, match="y must hold integer class labels"):
        ResampledDataset(X, y.astype(float))
    with pytest.raises(ValueError, match="y is required"):
        ResampledDataset(X)
    with pytest.raises(TypeError, match="X must be a numpy array of images"):
        ResampledDataset([[1, 2]], [0])
    with pytest.raises(ValueError, match=r"X must be an array of shape.*Got shape"):
        ResampledDataset(np.zeros(3, np.uint8), [0, 1, 2])
    with pytest.raises(TypeError, match="sampler must be a pixsmote sampler"):
        ResampledDataset(X, y, sampler=object())
    with pytest.raises(ValueError, match="shrinkage"):
        ResampledDataset(X, y, sampler=RandomOverSampler(shrinkage=0.5))
    ds = ResampledDataset(X, y)
    with pytest.raises(ValueError, match=r"epoch must be a non-negative.*Got -2"):
        ds.set_epoch(-2)
    with pytest.raises(TypeError, match="ds must be a ResampledDataset"):
        epoch_arrays(X, 0)


def test_fit_groups_needs_a_group_sampler(images):
    X, y = images
    with pytest.raises(TypeError, match="fit_groups needs a sampler"):
        RandomOverSampler().fit_groups(X, y)


def test_lazy_source_reads_only_the_parents(images, lazy_images):
    X, y = images
    lazy = lazy_images(X, y)
    ds = ResampledDataset(lazy, sampler=SMOTE(k_neighbors=3), seed=0)
    eager = ResampledDataset(X, y, sampler=SMOTE(k_neighbors=3), seed=0)
    # Pixel-space neighbours from chunked reads equal the in-memory ones.
    for field in ("base", "neighbor", "gap"):
        assert np.array_equal(getattr(ds.plan, field), getattr(eager.plan, field))
    lazy.n_read = 0
    assert torch.equal(ds[len(ds) - 1][0], eager[len(ds) - 1][0])
    assert lazy.n_read == 2
    assert torch.equal(_stack(ds)[0], _stack(eager)[0])


def test_lazy_source_with_pca_features(images, lazy_images):
    X, y = images
    sampler = SMOTE(k_neighbors=3, neighbor_space="pca", n_components=4)
    ds = ResampledDataset(lazy_images(X, y), sampler=sampler, seed=0)
    assert np.bincount(ds.labels).tolist() == [30, 30, 30]
    plan = ds.plan
    assert torch.equal(ds[len(ds) - 1][0], _as_tensor(synthesize(X, plan[-1]))[0])
    combined = ResampledDataset(
        lazy_images(X, y), sampler=SMOTEENN(neighbor_space="pca", n_components=4)
    )
    assert len(combined) > 0


def test_file_backed_pixsmote_dataset(images, tmp_path):
    Image = pytest.importorskip("PIL.Image")
    data = pytest.importorskip("pixsmote.data._dataset")
    X, y = images
    paths = []
    for i, img in enumerate(X):
        paths.append(tmp_path / f"{i}.png")
        Image.fromarray(img).save(paths[-1])
    source = data.Dataset(y, ["a", "b", "c"], paths=paths, mode="L", size=(6, 6))
    ds = ResampledDataset(source, sampler=SMOTE(k_neighbors=3), seed=0)
    eager = ResampledDataset(X, y, sampler=SMOTE(k_neighbors=3), seed=0)
    assert torch.equal(_stack(ds)[0], _stack(eager)[0])


def test_synthetic_share_is_served_afresh_every_epoch(make_images):
    # SMOTE(synthetic_share=...) redraws its copies and its plan per epoch,
    # and every class, the largest too, keeps the same share of synthetic items.
    X, y = make_images((30, 10, 14))
    ds = ResampledDataset(X, y, sampler=SMOTE(synthetic_share=0.5), seed=3)
    first = ds.sample_indices.copy(), ds.plan.gap.copy()
    assert len(ds) == 180
    assert np.bincount(ds.labels).tolist() == [60, 60, 60]
    assert np.bincount(ds.plan.cls).tolist() == [30, 30, 30]
    ds.set_epoch(1)
    assert len(ds) == 180
    assert not np.array_equal(ds.plan.gap, first[1])
    assert not np.array_equal(ds.sample_indices, first[0])
    ds.set_epoch(0)
    np.testing.assert_array_equal(ds.sample_indices, first[0])
    np.testing.assert_array_equal(ds.plan.gap, first[1])
