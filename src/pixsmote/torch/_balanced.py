"""Class-balanced batches from the original data: random over-sampling, online."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import torch

from pixsmote._errors import UsageError

__all__ = ["ClassBalancedSampler"]


def _check_int(name: str, value: object, low: int) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < low
    ):
        raise UsageError(f"{name} must be an integer >= {low}. Got {value!r} instead.")
    return int(value)


class ClassBalancedSampler(torch.utils.data.Sampler[list[int]]):
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

    Under distributed training it shards like
    :class:`torch.utils.data.DistributedSampler`: every process draws the same
    epoch of batches from ``(seed, epoch)`` and keeps every ``num_replicas``-th
    one, starting at its ``rank``; so the processes' batches are disjoint parts
    of one epoch, each of them balanced, and ``batch_size`` is per process.

    Parameters
    ----------
    labels : array-like of int of shape (N,)
        Class label of each item of the dataset the loader reads.
    batch_size : int
        Items per batch (per process under distributed training).
    num_batches : int, optional
        Batches per epoch, over all processes. By default
        ``ceil(n_classes * max_count / batch_size)``: as many items as random
        over-sampling to the largest class would give.
    seed : int, default=0
        With the epoch (:meth:`set_epoch`), fixes every batch:
        ``numpy.random.default_rng(SeedSequence([seed, epoch]))``. Every process
        must use the same seed.
    num_replicas : int, optional
        Number of processes sharing the epoch. By default the world size of the
        initialised default process group of :mod:`torch.distributed`, else 1.
    rank : int, optional
        This process's share, in ``[0, num_replicas)``. By default its rank in
        the initialised default process group, else 0.
    drop_last : bool, default=False
        When ``num_batches`` is not a multiple of ``num_replicas``: False draws
        more batches, up to the next multiple (the class streams go on, so
        they are balanced too, as ``DistributedSampler`` pads with repeats);
        True drops the last ones, down to the previous multiple.
    generator : torch.Generator, optional
        When given, every iteration also draws a number from it (advancing it,
        as ``torch.utils.data.RandomSampler`` does) into the seed, so successive
        iterations differ without :meth:`set_epoch`. Processes must hold
        generators in the same state to share an epoch.

    Attributes
    ----------
    classes : ndarray
        The sorted distinct labels.
    num_batches : int
        Batches of one epoch over all processes, after rounding to a multiple
        of ``num_replicas``.

    Examples
    --------
    >>> import numpy as np
    >>> from pixsmote.torch import ClassBalancedSampler
    >>> y = np.array([0] * 90 + [1] * 10)
    >>> sampler = ClassBalancedSampler(y, batch_size=20, seed=0)
    >>> len(sampler), np.bincount(y[next(iter(sampler))]).tolist()
    (9, [10, 10])
    >>> shard = ClassBalancedSampler(y, batch_size=20, num_replicas=2, rank=1)
    >>> len(shard)  # 9 batches, drawn up to 10 and shared by two processes
    5
    """

    def __init__(
        self,
        labels: npt.ArrayLike,
        batch_size: int,
        *,
        num_batches: int | None = None,
        seed: int = 0,
        num_replicas: int | None = None,
        rank: int | None = None,
        drop_last: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.dtype.kind not in "iu" or len(labels) == 0:
            raise UsageError(
                "labels must be a non-empty 1-D array of integer class labels. Got "
                f"shape {labels.shape} and dtype {labels.dtype} instead."
            )
        batch_size = _check_int("batch_size", batch_size, 1)
        seed = _check_int("seed", seed, 0)
        num_replicas, rank = self._resolve_shard(num_replicas, rank)
        if not isinstance(drop_last, bool):
            raise UsageError(
                f"drop_last must be True or False. Got {drop_last!r} instead."
            )
        if generator is not None and not isinstance(generator, torch.Generator):
            raise UsageError(
                f"generator must be a torch.Generator or None. Got {generator!r} "
                "instead."
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
            raise UsageError(
                f"num_batches must be a positive integer or None. Got {num_batches!r}"
                " instead."
            )
        if drop_last:
            per_replica = num_batches // num_replicas
        else:
            per_replica = -(-num_batches // num_replicas)
        if per_replica == 0:
            raise UsageError(
                f"drop_last=True leaves no batch for each of {num_replicas} processes: "
                f"draw at least {num_replicas} batches. Got num_batches={num_batches} "
                "instead."
            )
        self.batch_size = batch_size
        self.num_batches = per_replica * num_replicas
        self.seed = seed
        self.num_replicas = num_replicas
        self.rank = rank
        self.drop_last = drop_last
        self.generator = generator
        self.epoch = 0

    @staticmethod
    def _resolve_shard(num_replicas: int | None, rank: int | None) -> tuple[int, int]:
        dist = torch.distributed
        initialised = dist.is_available() and dist.is_initialized()
        if num_replicas is None:
            num_replicas = dist.get_world_size() if initialised else 1
        num_replicas = _check_int("num_replicas", num_replicas, 1)
        if rank is None:
            rank = dist.get_rank() if initialised else 0
        rank = _check_int("rank", rank, 0)
        if rank >= num_replicas:
            raise UsageError(
                f"rank must be in [0, num_replicas={num_replicas}). Got rank={rank} "
                "instead."
            )
        return num_replicas, rank

    def set_epoch(self, epoch: int) -> None:
        """Use the batches of ``epoch`` on the next iteration (on every process)."""
        if (
            isinstance(epoch, bool)
            or not isinstance(epoch, numbers.Integral)
            or epoch < 0
        ):
            raise UsageError(
                f"epoch must be a non-negative integer. Got {epoch!r} instead."
            )
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.num_batches // self.num_replicas

    def __iter__(self) -> Iterator[list[int]]:
        entropy = [self.seed, self.epoch]
        if self.generator is not None:
            entropy.append(
                int(torch.randint(0, 2**62, (), generator=self.generator).item())
            )
        rng = np.random.default_rng(np.random.SeedSequence(entropy))
        n_cls = len(self.classes)
        # The whole epoch, identical on every process; each keeps its share.
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
            # Every batch's shuffle is drawn on every process, kept or not, so
            # the stream of draws (and batch b) is the same whatever the rank.
            batch = rng.permutation(
                np.concatenate([streams[c][b] for c in range(n_cls)])
            )
            if b % self.num_replicas == self.rank:
                yield batch.tolist()
