"""ClassBalancedSampler: balanced batches of the original data, reproducible."""

import numpy as np
import pytest
from torch.utils.data import DataLoader

from pixsmote.torch import ClassBalancedSampler, ResampledDataset


@pytest.fixture
def labels():
    return np.array([0] * 40 + [1] * 7 + [2] * 3)


def test_batches_are_class_balanced(labels):
    sampler = ClassBalancedSampler(labels, batch_size=12, seed=0)
    assert len(sampler) == 10  # ceil(3 * 40 / 12): random over-sampling's size
    batches = list(sampler)
    assert len(batches) == 10
    for batch in batches:
        assert np.bincount(labels[batch], minlength=3).tolist() == [4, 4, 4]


def test_remainder_goes_to_random_classes(labels):
    batches = list(ClassBalancedSampler(labels, batch_size=10, num_batches=30))
    counts = np.array([np.bincount(labels[b], minlength=3) for b in batches])
    assert set(counts.sum(axis=1)) == {10}
    assert counts.min() == 3 and counts.max() == 4
    assert np.abs(counts.sum(axis=0) - 100).max() <= 15


def test_a_class_is_used_up_before_repeats(labels):
    batches = list(ClassBalancedSampler(labels, batch_size=12, seed=1))
    uses = np.bincount(np.concatenate(batches), minlength=len(labels))
    for c in range(3):
        # Successive permutations: the uses of a class's images differ by <= 1.
        assert np.ptp(uses[labels == c]) <= 1
    assert uses[labels == 0].tolist() == [1] * 40  # the largest class: once each


def test_reproducible_per_seed_and_epoch(labels):
    a = ClassBalancedSampler(labels, batch_size=12, seed=0)
    b = ClassBalancedSampler(labels, batch_size=12, seed=0)
    assert list(a) == list(b)
    b.set_epoch(1)
    assert list(a) != list(b)


def test_drives_a_dataloader_without_copies(images):
    X, y = images
    ds = ResampledDataset(X, y)
    sampler = ClassBalancedSampler(y, batch_size=9, seed=0)
    for xb, yb in DataLoader(ds, batch_sampler=sampler):
        assert xb.shape == (9, 1, 6, 6)
        assert np.bincount(yb.numpy(), minlength=3).tolist() == [3, 3, 3]


def test_bad_arguments_are_rejected(labels):
    with pytest.raises(ValueError, match=r"batch_size must be an integer >= 1.*Got 0"):
        ClassBalancedSampler(labels, 0)
    with pytest.raises(ValueError, match="labels must be a non-empty 1-D array"):
        ClassBalancedSampler(labels.astype(float), 4)
    with pytest.raises(ValueError, match=r"num_batches must be a positive.*Got 0"):
        ClassBalancedSampler(labels, 4, num_batches=0)
    with pytest.raises(ValueError, match=r"epoch must be a non-negative.*Got -1"):
        ClassBalancedSampler(labels, 4).set_epoch(-1)
