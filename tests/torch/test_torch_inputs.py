"""ResampledDataset over torch-native inputs; epochs of a fixed length; the
warning for set_epoch after a persistent-worker iterator was created."""

import warnings

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from pixsmote import SMOTE, SVMSMOTE
from pixsmote.torch import ResampledDataset


def _items(ds):
    return torch.stack([ds[i][0] for i in range(len(ds))])


def _smote():
    return SMOTE(k_neighbors=3)


def test_tensors_give_the_items_of_the_array(images):
    X, y = images
    expected = _items(ResampledDataset(X, y, sampler=_smote()))
    for data in (torch.from_numpy(X), torch.from_numpy(X)[:, None]):  # NHW, NCHW
        ds = ResampledDataset(data, torch.from_numpy(y), sampler=_smote())
        assert torch.equal(_items(ds), expected)
    rgb = np.repeat(X[..., None], 3, axis=3)
    nchw = torch.from_numpy(rgb).permute(0, 3, 1, 2)
    ds = ResampledDataset(nchw, y, sampler=_smote())
    assert ds.image_shape == (6, 6, 3)
    assert torch.equal(
        _items(ds), _items(ResampledDataset(rgb, y, sampler=_smote()))
    )
    ds = ResampledDataset(TensorDataset(torch.from_numpy(X), torch.from_numpy(y)))
    assert np.array_equal(ds.targets, y) and len(ds) == len(X)
    with pytest.raises(TypeError, match="Got tensor dtype torch.int32 instead"):
        ResampledDataset(torch.zeros((3, 4, 4), dtype=torch.int32), [0, 1, 1])


class _Folder(torch.utils.data.Dataset):
    """An ImageFolder-like dataset: (PIL image, label) items and ``targets``."""

    def __init__(self, X, y, as_tensor=False):
        self.X, self.targets, self.as_tensor = X, list(map(int, y)), as_tensor
        self.classes = ["cat", "dog", "emu"]

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        img = Image.fromarray(self.X[i])
        if self.as_tensor:  # torchvision's ToTensor: (C, H, W) in [0, 1]
            img = torch.from_numpy(np.asarray(img, np.float32) / 255)[None]
        return img, self.targets[i]


def test_a_dataset_with_targets_is_read_lazily(images):
    X, y = images
    expected = _items(ResampledDataset(X, y, sampler=_smote()))
    ds = ResampledDataset(_Folder(X, y), sampler=_smote())
    assert torch.equal(_items(ds), expected)
    assert ds.classes == ["cat", "dog", "emu"]
    assert ds.class_to_idx == {"cat": 0, "dog": 1, "emu": 2}
    as_tensor = ResampledDataset(_Folder(X, y, as_tensor=True), sampler=_smote())
    assert as_tensor.image_shape == (6, 6, 1)
    # float images are synthesised without uint8's rounding: within half a level
    assert torch.allclose(_items(as_tensor), expected, atol=0.5 / 255 + 1e-6)


def test_string_labels_and_target_transform(images):
    X, y = images
    names = np.array(["zebra", "ant", "bee"])[y]
    ds = ResampledDataset(
        X, list(names), sampler=_smote(), target_transform=lambda t: t + 100
    )
    assert ds.classes == ["ant", "bee", "zebra"]
    assert ds.class_to_idx == {"ant": 0, "bee": 1, "zebra": 2}
    n = ds.n_original
    assert [ds.classes[i] for i in ds.targets[:n]] == list(names)
    assert int(ds[0][1]) == ds.class_to_idx[names[0]] + 100
    assert np.bincount(ds.targets).tolist() == [30, 30, 30]
    plain = ResampledDataset(X, y)
    assert plain.classes == [0, 1, 2] and plain.class_to_idx == {0: 0, 1: 1, 2: 2}
    with pytest.raises(TypeError, match="target_transform must be callable"):
        ResampledDataset(X, y, target_transform=1)


def _svm(make_images, fixed_length):
    X, y = make_images(noise=1.0, seed=1)  # SVM-SMOTE counts: 77, 79, 81 items
    return ResampledDataset(
        X, y, sampler=SVMSMOTE(k_neighbors=3, m_neighbors=5), fixed_length=fixed_length
    )


def _lengths(ds, epochs=3):
    out = []
    for e in range(epochs):
        ds.set_epoch(e)
        out.append(len(ds))
    return out


def test_fixed_length_keeps_distributed_sampler_working(make_images):
    ds = _svm(make_images, False)
    assert len(set(_lengths(ds))) > 1
    ds.set_epoch(0)
    sampler = DistributedSampler(ds, num_replicas=2, rank=0, shuffle=False)
    ds.set_epoch(2)
    with pytest.raises(AssertionError):  # what torch does on a changed length
        list(sampler)
    ds = _svm(make_images, True)
    assert _lengths(ds) == [77, 77, 77]
    sampler = DistributedSampler(ds, num_replicas=2, rank=1)
    for e in range(3):
        ds.set_epoch(e)
        sampler.set_epoch(e)
        batch = [ds[i] for i in sampler]
        assert len(batch) == len(sampler)
    ds.set_epoch(0)
    # epoch 0 is unchanged
    assert np.array_equal(ds.labels, _svm(make_images, False).labels)
    ds.set_epoch(2)  # 81 drawn, 77 kept: a subset of the free epoch's plan
    free = _svm(make_images, False)
    free.set_epoch(2)
    rows = {tuple(r) for r in np.c_[free.plan.base, free.plan.neighbor]}
    assert {tuple(r) for r in np.c_[ds.plan.base, ds.plan.neighbor]} <= rows


def test_set_epoch_warns_when_persistent_workers_have_prefetched(images):
    X, y = images
    ds = ResampledDataset(X, y, sampler=_smote())
    loader = DataLoader(ds, batch_size=8, num_workers=1, persistent_workers=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for e in range(2):  # the documented order: no warning
            ds.set_epoch(e)
            assert len([b for b in loader]) == 12
        it = iter(loader)  # its first batches are requested now, at epoch 1
    with pytest.warns(UserWarning, match="persistent_workers=True has batches"):
        ds.set_epoch(2)
    assert len(next(it)[1]) == 8
    del it
