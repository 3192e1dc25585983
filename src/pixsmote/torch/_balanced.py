"""Class-balanced batches from the original data: random over-sampling, online."""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch

__all__ = ["ClassBalancedSampler"]


class ClassBalancedSampler(torch.utils.data.Sampler):
    """A batch sampler whose batches hold every class equally often.

    The random-oversampling equivalent of :class:`ResampledDataset`, for
    comparison: no image is copied or synthesised, minority images are simply
    drawn more often. Pass it as ``batch_sampler=`` to a ``DataLoader`` over the
    original data (e.g. ``ResampledDataset(X, y, sampler=None)``).

    Each batch gives ``batch_size // n_classes`` slots to every class and the
    remainder to classes drawn at random for that batch. Within a class, images
    come from successive random permutations of the class, so every image of a
    class is used before any is repeated, as with the copies of
    :class:`pixsmote.RandomOverSampler`.

    Parameters
    ----------
    labels : array-like of int of shape (N,)
        Class label of each item of the dataset the loader reads.
    batch_size : int
        Items per batch.
    num_batches : int, optional
        Batches per epoch. By default ``ceil(n_classes * max_count / batch_size)``:
        as many items as random over-sampling to the largest class would give.
    seed : int, default=0
        With the epoch (:meth:`set_epoch`), fixes every batch:
        ``numpy.random.default_rng(SeedSequence([seed, epoch]))``.

    Notes
    -----
    Not distributed-aware: every process iterating it gets the same batches.

    Examples
    --------
    >>> import numpy as np
    >>> from pixsmote.torch import ClassBalancedSampler
    >>> y = np.array([0] * 90 + [1] * 10)
    >>> sampler = ClassBalancedSampler(y, batch_size=20, seed=0)
    >>> len(sampler), np.bincount(y[next(iter(sampler))]).tolist()
    (9, [10, 10])
    """

    def __init__(self, labels, batch_size, *, num_batches=None, seed=0):
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.dtype.kind not in "iu" or len(labels) == 0:
            raise ValueError(
                "labels must be a non-empty 1-D array of integer class labels. Got "
                f"shape {labels.shape} and dtype {labels.dtype} instead."
            )
        for name, value, low in (("batch_size", batch_size, 1), ("seed", seed, 0)):
            if (
                isinstance(value, bool)
                or not isinstance(value, numbers.Integral)
                or value < low
            ):
                raise ValueError(
                    f"{name} must be an integer >= {low}. Got {value!r} instead."
                )
        self.classes, inverse = np.unique(labels, return_inverse=True)
        self._members = [np.flatnonzero(inverse == c) for c in range(len(self.classes))]
        if num_batches is None:
            n_max = max(len(m) for m in self._members)
            num_batches = math.ceil(len(self.classes) * n_max / batch_size)
        elif (
            isinstance(num_batches, bool)
            or not isinstance(num_batches, numbers.Integral)
            or num_batches < 1
        ):
            raise ValueError(
                f"num_batches must be a positive integer or None. Got {num_batches!r}"
                " instead."
            )
        self.batch_size = int(batch_size)
        self.num_batches = int(num_batches)
        self.seed = int(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Use the batches of ``epoch`` on the next iteration."""
        if (
            isinstance(epoch, bool)
            or not isinstance(epoch, numbers.Integral)
            or epoch < 0
        ):
            raise ValueError(
                f"epoch must be a non-negative integer. Got {epoch!r} instead."
            )
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.num_batches

    def __iter__(self):
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, self.epoch]))
        n_cls = len(self.classes)
        per_batch = np.full((self.num_batches, n_cls), self.batch_size // n_cls)
        extra = self.batch_size % n_cls
        if extra:
            for row in per_batch:
                row[rng.choice(n_cls, size=extra, replace=False)] += 1
        # One stream per class, long enough for the whole epoch, cut per batch.
        streams = []
        for c, members in enumerate(self._members):
            need = int(per_batch[:, c].sum())
            passes = -(-need // len(members))
            stream = np.concatenate([rng.permutation(members) for _ in range(passes)])
            streams.append(np.split(stream[:need], np.cumsum(per_batch[:-1, c])))
        for b in range(self.num_batches):
            batch = np.concatenate([streams[c][b] for c in range(n_cls)])
            yield rng.permutation(batch).tolist()
