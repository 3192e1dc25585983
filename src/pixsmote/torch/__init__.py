"""The PyTorch bridge: online resampling inside the data loader.

::

    from pixsmote import SMOTE
    from pixsmote.torch import ResampledDataset

    ds = ResampledDataset(X, y, sampler=SMOTE(k_neighbors=5), seed=0)
    for epoch in range(E):
        ds.set_epoch(epoch)          # a new plan, reproducible from (seed, epoch)
        for xb, yb in DataLoader(ds, batch_size=128, shuffle=True, num_workers=2):
            ...

* :class:`ResampledDataset` keeps the originals and draws a fresh SMOTE plan
  every epoch from a neighbour graph computed once; items are synthesised on
  demand, so nothing is stored and memory does not grow with the synthetic set.
* :class:`ClassBalancedSampler` yields class-balanced batches of the original
  data (random over-sampling without copies).
* :func:`epoch_arrays` / :class:`EpochArrays` give one epoch as arrays, the
  ``epoch -> (X, y)`` callable :func:`pixsmote.train.fit` accepts (the
  ``online-<sampler>`` recipes of :mod:`pixsmote.app` are built on it).
"""

from pixsmote.torch._balanced import ClassBalancedSampler
from pixsmote.torch._dataset import (
    EpochArrays,
    ResampledDataset,
    epoch_arrays,
    epoch_random_state,
)

__all__ = [
    "ClassBalancedSampler",
    "EpochArrays",
    "ResampledDataset",
    "epoch_arrays",
    "epoch_random_state",
]
