"""ResampledDataset inside DataLoader workers and under DistributedSampler."""

import pickle

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from pixsmote import SMOTE
from pixsmote.torch import ResampledDataset


@pytest.fixture
def ds(images):
    X, y = images
    return ResampledDataset(X, y, sampler=SMOTE(k_neighbors=3), seed=0)


def _in_process(ds, epoch):
    ds.set_epoch(epoch)
    return torch.stack([ds[i][0] for i in range(len(ds))])


def _loaded(loader):
    xs, ys = zip(*loader, strict=True)
    return torch.cat(xs), torch.cat(ys)


def test_two_workers_give_the_in_process_items(ds):
    expected = [_in_process(ds, e) for e in (0, 1)]
    loader = DataLoader(ds, batch_size=16, num_workers=2)
    for epoch in (0, 1):
        ds.set_epoch(epoch)
        x, y = _loaded(loader)
        assert torch.equal(x, expected[epoch])
        assert y.dtype == torch.int64 and torch.equal(y, torch.from_numpy(ds.labels))


def test_set_epoch_reaches_persistent_workers(ds):
    expected = [_in_process(ds, e) for e in (0, 1)]
    loader = DataLoader(ds, batch_size=16, num_workers=2, persistent_workers=True)
    for epoch in (0, 1, 0):
        ds.set_epoch(epoch)
        assert torch.equal(_loaded(loader)[0], expected[epoch])


def test_distributed_ranks_share_the_plan_and_split_the_epoch(ds):
    assert len(ds) % 2 == 0  # no padding: each index exactly once
    expected = _in_process(ds, 3)
    seen = []
    for rank in (0, 1):
        # Each rank holds its own copy of the dataset, as after a spawn.
        replica = pickle.loads(pickle.dumps(ds))
        sampler = DistributedSampler(replica, num_replicas=2, rank=rank, seed=5)
        sampler.set_epoch(3)
        replica.set_epoch(3)
        indices = list(sampler)
        x, _ = _loaded(DataLoader(replica, batch_size=8, sampler=indices))
        assert torch.equal(x, expected[indices])
        seen += indices
    assert sorted(seen) == list(range(len(ds)))


def test_shuffled_loader_covers_the_epoch_once(ds):
    ds.set_epoch(2)
    x, y = _loaded(DataLoader(ds, batch_size=7, shuffle=True))
    assert len(x) == len(ds)
    assert np.array_equal(np.bincount(y.numpy()), np.bincount(ds.labels))
