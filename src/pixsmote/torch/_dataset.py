"""Online resampling: a fresh SMOTE plan every epoch, synthesised inside the loader.

Offline SMOTE fixes one set of synthetic images for the whole run and stores
them. Here the expensive part (the neighbour graph) is computed once, at
construction; each epoch draws a new plan from it (a few integers and a float per
synthetic row) and every item is synthesised when the loader asks for it, from
its two parents. Nothing is written to disk and memory does not grow with the
number of synthetic images.
"""

from __future__ import annotations

import gc
import numbers
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import clone

from pixsmote._errors import UsageError
from pixsmote.sampling import (
    FixedDrawer,
    ImageSamplerMixin,
    Plan,
    compute_features,
    get_sampler,
)
from pixsmote.torch._source import ArraySource, make_source, to_float_tensor

__all__ = ["ResampledDataset", "epoch_arrays", "epoch_random_state", "EpochArrays"]

# Rows per chunk in epoch_arrays: bounded like pixsmote.sampling.synthesize's
# float64 temporaries (~32 MiB), so materialising an epoch adds little to the
# output array itself.
_CHUNK_BYTES = 32 * 2**20


def epoch_random_state(seed: int, epoch: int) -> np.random.RandomState:
    """The generator that draws epoch ``epoch``'s plan.

    ``RandomState(MT19937(SeedSequence([seed, epoch])))``: a ``RandomState``
    because the samplers reproduce imbalanced-learn's draws (``randint``,
    ``uniform``, ``choice``, ``beta``), seeded through a ``SeedSequence`` so that
    neighbouring seeds and epochs give independent streams. It depends on
    nothing but ``(seed, epoch)``: every worker process and every distributed
    rank derives the same plan without communicating.

    Parameters
    ----------
    seed : int
        The dataset's seed.
    epoch : int
        0-based epoch.
    """
    return np.random.RandomState(
        np.random.MT19937(np.random.SeedSequence([seed, epoch]))
    )


def _check_nonneg_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(
            f"{name} must be a non-negative integer. Got {value!r} instead."
        )
    return int(value)


def _check_float_range(source) -> None:
    """Float images in memory must lie in [0, 1]: items are used as they are."""
    X = getattr(source, "X", None)
    if X is None or X.dtype.kind != "f" or not X.size:
        return
    lo, hi = float(np.nanmin(X)), float(np.nanmax(X))
    if not (0.0 <= lo and hi <= 1.0):
        raise ValueError(
            "float images must lie in [0, 1] (items reach the model unscaled); "
            "scale them first (e.g. X / 255) or pass integers. Got values in "
            f"[{lo:.4g}, {hi:.4g}] instead."
        )


class ResampledDataset(torch.utils.data.Dataset):
    """A map-style dataset that re-synthesises its SMOTE samples every epoch.

    The epoch's items are the originals kept by the sampler (in the order of its
    ``sample_indices_``) followed by the synthetic samples of the epoch's plan.
    Item ``i`` is a pure function of ``(seed, epoch, i)``: the plan is drawn from
    :func:`epoch_random_state` and an item is either an original image or
    ``synthesize(X, plan[j:j+1])`` (Chawla et al. 2002), so the dataset is safe
    with ``num_workers > 0`` and ``DistributedSampler``.

    Parameters
    ----------
    X : ndarray, Tensor, TensorDataset, map-style dataset or lazy dataset
        The training images, one of:

        * an array of shape (N, H, W), (N, H, W, C) or (N, D),
          uint8/uint16/float32/float64, not copied;
        * a ``torch.Tensor`` (uint8, float32 or float64, on any device; moved
          to the CPU). A 4-D tensor whose dimension 1 is 1 or 3 is taken as
          ``(N, C, H, W)`` (torch's layout) and copied once to
          ``(N, H, W, C)``; any other tensor is read like the array;
        * a ``torch.utils.data.TensorDataset`` of ``(images, labels)``;
        * a map-style dataset with a ``targets`` attribute whose items are
          ``(image, label)`` (torchvision's ``ImageFolder``, ``MNIST``...):
          images may be PIL images, arrays or ``(C, H, W)`` tensors. It is read
          lazily, like the next kind; its own ``transform`` runs on every read
          and should be deterministic (put random augmentation in
          ``transform`` here);
        * a lazy dataset: any object with ``__len__``, labels as ``y`` (or
          ``labels``) and ``read(indices) -> ndarray`` (e.g. a folder dataset
          of :mod:`pixsmote.data`). Its neighbour features are computed once
          in chunks, in the sampler's ``neighbor_space``, and synthesis then
          reads only the two parents of each item.
    y : array-like or Tensor of shape (N,), optional
        Class labels, integers or strings; taken from ``X`` when omitted
        (``targets``, the second tensor of a ``TensorDataset``, ``y``).
        Strings are mapped to the indices of their sorted names, as
        torchvision's ``ImageFolder`` maps folder names (:attr:`classes`,
        :attr:`class_to_idx`); items carry the index.
    sampler : sampler, str or None, default=None
        A pixsmote sampler (e.g. ``SMOTE(k_neighbors=5)``) or its registry name
        (:func:`pixsmote.sampling.list_samplers`). ``None`` keeps the originals
        as they are (use it with :class:`ClassBalancedSampler`). The sampler is
        fitted once, by its ``fit_drawer``; each epoch is one draw of the drawer.
        How each kind behaves from epoch to epoch:

        * SMOTE family (SMOTE, Borderline, SVM-, KMeans-SMOTE, ADASYN): the
          neighbour groups are fitted once; every epoch draws a new plan from
          them, with the same per-class counts.
        * ``RandomOverSampler`` / ``RandomUnderSampler``: every epoch draws new
          indices.
        * ``SMOTEENN`` / ``SMOTETomek``: the sampler runs once at construction;
          its cleaning is final (the originals it removed stay out of every
          epoch, and each class keeps as many synthetic samples as survived).
          Every epoch then draws that many fresh SMOTE samples per class from
          the inner SMOTE's neighbour graph (fitted on all originals, as in the
          offline sampler). The fresh samples are not cleaned again: that would
          mean a nearest-neighbour search over the whole resampled set per
          epoch, which is what online resampling avoids.

    transform : callable, optional
        Applied to each item's float tensor (``C x H x W`` in [0, 1]).
    target_transform : callable, optional
        Applied to each item's label (a 0-d int64 tensor), as torchvision's
        ``target_transform``.
    seed : int, default=0
        Seeds every epoch's plan (with the epoch). Also seeds the sampler's own
        construction-time randomness (k-means, SVM, the cleaning run) when its
        ``random_state`` is None.
    fixed_length : bool, default=False
        Give every epoch the length of epoch 0, which ``DistributedSampler``
        needs: the one sampler whose count varies (SVM-SMOTE, see Notes) has
        a random subset of its synthetic rows kept, or rows of its own plan
        drawn again, from ``SeedSequence([seed, epoch, 1])``. Class counts
        then vary slightly instead of the length.

    Attributes
    ----------
    epoch : int
        The current epoch (:meth:`set_epoch`).
    plan : Plan
        The current epoch's synthetic samples: their class, base and neighbour
        index into ``X`` and gap, as ``plan_`` on the samplers.
    sample_indices : ndarray of int64
        The current epoch's original items, as indices into ``X``.
    labels : ndarray of int64
        The current epoch's label of every item.
    targets : ndarray of int64
        The same as ``labels``, under torchvision's name.
    classes : list
        The class names, index ``i`` naming label ``i`` for string labels or an
        ``ImageFolder``; otherwise the sorted distinct integer labels.
    class_to_idx : dict
        Class name to label, as torchvision's.
    image_shape : tuple of int
        Shape of one stored image.
    n_original : int
        Number of images in ``X``.

    See Also
    --------
    epoch_arrays : one epoch as arrays, for the training harness.
    ClassBalancedSampler : class-balanced batches without synthesis.
    pixsmote.sampling.synthesize : the synthesis every item goes through.

    Notes
    -----
    Items are float32 tensors: ``C x H x W`` for images (a channel axis is added
    to ``(N, H, W)``), ``(D,)`` for rows; uint8 is divided by 255 and uint16 by
    65535, other integer dtypes are scaled by their range, float input must lie
    in [0, 1] (checked for arrays). Labels are int64 tensors.
    Batches fetched through a ``DataLoader`` are synthesised together
    (``__getitems__``), not item by item.

    The epoch lives in a shared-memory tensor, so :meth:`set_epoch` reaches
    ``DataLoader`` workers even with ``persistent_workers=True``, as long as it
    is called before the epoch's iterator is created (as with
    ``DistributedSampler.set_epoch``). Each process draws the plan itself, once
    per epoch, from ``(seed, epoch)``.

    With persistent workers, ``iter(loader)`` requests its first batches at
    once, with the epoch of that moment: calling :meth:`set_epoch` after the
    iterator was created serves those batches from the old epoch. The dataset
    detects it (the ``DataLoader`` holding it has batches in flight) and warns.

    The length is the same every epoch, except for SVM-SMOTE on a class whose
    support vectors are all in danger or all safe, where imbalanced-learn's
    Beta draw changes the count; ``DistributedSampler`` needs a fixed length:
    pass ``fixed_length=True``.

    References
    ----------
    .. [1] N. V. Chawla, K. W. Bowyer, L. O. Hall, W. P. Kegelmeyer, "SMOTE:
       synthetic minority over-sampling technique", Journal of Artificial
       Intelligence Research, 16, 321-357, 2002.

    Examples
    --------
    >>> import numpy as np
    >>> from pixsmote import SMOTE
    >>> from pixsmote.torch import ResampledDataset
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 256, size=(40, 8, 8), dtype=np.uint8)
    >>> y = np.array([0] * 30 + [1] * 10)
    >>> ds = ResampledDataset(X, y, sampler=SMOTE(k_neighbors=5), seed=0)
    >>> len(ds), np.bincount(ds.labels).tolist()
    (60, [30, 30])
    >>> x, label = ds[59]
    >>> tuple(x.shape), x.dtype, label.dtype
    ((1, 8, 8), torch.float32, torch.int64)
    >>> ds.set_epoch(1)  # a new plan for epoch 1
    """

    def __init__(
        self,
        X: Any,
        y: ArrayLike | torch.Tensor | None = None,
        *,
        sampler: ImageSamplerMixin | str | None = None,
        transform: Callable[[torch.Tensor], Any] | None = None,
        target_transform: Callable[[torch.Tensor], Any] | None = None,
        seed: int = 0,
        fixed_length: bool = False,
    ) -> None:
        self.seed = _check_nonneg_int("seed", seed)
        transforms = (("transform", transform), ("target_transform", target_transform))
        for name, fn in transforms:
            if fn is not None and not callable(fn):
                raise TypeError(
                    f"{name} must be callable or None. Got {type(fn).__name__} "
                    "instead."
                )
        if not isinstance(fixed_length, bool):
            raise TypeError(
                f"fixed_length must be True or False. Got {fixed_length!r} instead."
            )
        self.transform = transform
        self.target_transform = target_transform
        self.fixed_length = fixed_length
        self._source, source_labels = make_source(X)
        _check_float_range(self._source)
        if y is None:
            y = source_labels
        if y is None:
            raise ValueError(
                "y is required when X has no labels (no y or labels attribute). "
                "Got y=None instead."
            )
        y = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
        n = len(self._source)
        if y.ndim != 1 or len(y) != n:
            raise ValueError(
                f"y must have shape ({n},), one label per image of X. Got shape "
                f"{y.shape} instead."
            )
        self._y, self.classes, self.class_to_idx = _encode_labels(y, X)
        self.n_original = n
        self.image_shape = self._source.image_shape
        self.dtype = self._source.dtype
        self.sampler = sampler
        self._setup(sampler)
        self._epoch = torch.zeros((), dtype=torch.int64).share_memory_()
        self._cache: tuple[int, np.ndarray, Plan] | None = None
        self._length: int | None = None
        if fixed_length:
            idx, plan = self._draw_epoch(0)
            self._length = len(idx) + len(plan)

    # ----------------------------------------------------------- construction
    def _setup(self, sampler):
        if isinstance(sampler, str):
            sampler = get_sampler(sampler)
        if sampler is None:
            self._drawer = FixedDrawer(np.arange(self.n_original), Plan.empty(np.int64))
            return
        if getattr(sampler, "_network_synthesis", False):
            # Its synthetic images are made by trained networks (DeepSMOTE
            # decodes codes, M2m translates images), not interpolated per
            # item from two rows, which is what this dataset serves;
            # DeepSMOTEEpochs is the online form of both.
            raise UsageError(
                "ResampledDataset synthesises items by pixel interpolation; "
                f"{type(sampler).__name__} makes its images with a network: use "
                "pixsmote.torch.DeepSMOTEEpochs (the online-deepsmote and "
                f"online-m2m recipes). Got {type(sampler).__name__} instead."
            )
        if not isinstance(sampler, ImageSamplerMixin):
            raise TypeError(
                "sampler must be a pixsmote sampler (e.g. pixsmote.SMOTE()), a "
                f"registry name or None. Got {type(sampler).__name__} instead."
            )
        fitted = clone(sampler)
        if fitted.random_state is None:
            fitted.set_params(random_state=self.seed)
        # The drawer holds index arrays only (no estimator, no pixels), so it
        # pickles to DataLoader workers in a few kilobytes.
        self._drawer = fitted.fit_drawer(self._fit_input(fitted), self._y)

    def _fit_input(self, fitted: Any) -> np.ndarray:
        """What the sampler is fitted on: X itself, or a lazy source's features."""
        if isinstance(self._source, ArraySource):
            return self._source.X
        if fitted._labels_only:
            # Its plan depends on y alone: a one-byte-per-image stand-in spares
            # reading every image.
            return np.zeros((self.n_original, 1), dtype=np.uint8)
        space = getattr(fitted, "neighbor_space", "pixel")
        F = compute_features(
            space, self._source, self._source.obj, getattr(fitted, "n_components", None)
        )
        # The features are now the space neighbours are found in; plans index
        # rows of F, which are the rows of the lazy source.
        if "neighbor_space" in fitted.get_params():
            fitted.set_params(neighbor_space="pixel")
        inner = getattr(fitted, "smote", None)
        if inner is not None and "neighbor_space" in inner.get_params():
            fitted.set_params(smote=clone(inner).set_params(neighbor_space="pixel"))
        return F

    # ------------------------------------------------------------ the epochs
    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose plan the items come from.

        Call it before creating the epoch's ``DataLoader`` iterator, and with
        the same value on every rank (as ``DistributedSampler.set_epoch``).

        Parameters
        ----------
        epoch : int
            0-based epoch.

        Warns
        -----
        UserWarning
            When a ``DataLoader`` over this dataset with
            ``persistent_workers=True`` has an iterator with batches already
            requested from its workers: they were prefetched for the old epoch
            and are served as they are (see Notes of the class).
        """
        epoch = _check_nonneg_int("epoch", epoch)
        if epoch != self.epoch and _prefetching_loaders(self):
            warnings.warn(
                f"set_epoch({epoch}) was called while a DataLoader with "
                "persistent_workers=True has batches of epoch "
                f"{self.epoch} prefetched; they are served as they are. Call "
                "set_epoch before iterating over the loader.",
                UserWarning,
                stacklevel=2,
            )
        self._epoch.fill_(epoch)

    @property
    def epoch(self) -> int:
        return int(self._epoch.item())

    def _draw_epoch(self, epoch: int) -> tuple[np.ndarray, Plan]:
        idx, plan = self._drawer.draw(epoch_random_state(self.seed, epoch))
        plan = replace(plan, cls=plan.cls.astype(np.int64, copy=False))
        if self._length is not None:
            idx, plan = _fit_length(idx, plan, self._length, self.seed, epoch)
        return idx, plan

    def epoch_plan(self, epoch: int):
        """The originals and the plan of ``epoch`` (drawn once per process).

        Returns
        -------
        sample_indices : ndarray of int64
        plan : Plan
        """
        epoch = _check_nonneg_int("epoch", epoch)
        cache = self._cache
        if cache is None or cache[0] != epoch:
            cache = (epoch, *self._draw_epoch(epoch))
            self._cache = cache
        return cache[1], cache[2]

    @property
    def plan(self) -> Plan:
        return self.epoch_plan(self.epoch)[1]

    @property
    def sample_indices(self) -> np.ndarray:
        return self.epoch_plan(self.epoch)[0]

    @property
    def labels(self) -> np.ndarray:
        idx, plan = self.epoch_plan(self.epoch)
        return np.concatenate([self._y[idx], plan.cls])

    @property
    def targets(self) -> np.ndarray:
        """The current epoch's label of every item, as torchvision's ``targets``.

        The same array as :attr:`labels`: class indices (int64), before any
        ``target_transform``.
        """
        return self.labels

    # ------------------------------------------------------------- the items
    def __len__(self) -> int:
        idx, plan = self.epoch_plan(self.epoch)
        return len(idx) + len(plan)

    def _stored_items(self, indices, epoch, out=None):
        """Items ``indices`` of ``epoch`` in the stored dtype, and their labels."""
        idx, plan = self.epoch_plan(epoch)
        n_keep, n = len(idx), len(idx) + len(plan)
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        if len(indices) and (indices.min() < -n or indices.max() >= n):
            bad = indices[(indices < -n) | (indices >= n)][0]
            raise IndexError(
                f"index {int(bad)} is out of range for an epoch of {n} items."
            )
        indices = np.where(indices < 0, indices + n, indices)
        if out is None:
            out = np.empty((len(indices), *self.image_shape), dtype=self.dtype)
        labels = np.empty(len(indices), dtype=np.int64)
        is_orig = indices < n_keep
        if is_orig.all():
            self._source.take(idx[indices], out=out)
            labels[:] = self._y[idx[indices]]
            return out, labels
        orig = np.flatnonzero(is_orig)
        if len(orig):
            out[orig] = self._source.take(idx[indices[orig]])
            labels[orig] = self._y[idx[indices[orig]]]
        syn = np.flatnonzero(~is_orig)
        sub = plan[indices[syn] - n_keep]
        if len(syn) == len(indices):
            self._source.synthesize(sub, out=out)
        else:
            out[syn] = self._source.synthesize(sub)
        labels[syn] = sub.cls
        return out, labels

    def __getitems__(self, indices):
        # DataLoader hands a whole batch of indices here: one gather of originals
        # and one vectorised synthesis per batch instead of per item.
        images, labels = self._stored_items(indices, self.epoch)
        x = to_float_tensor(images)
        y = torch.from_numpy(labels)
        # unbind makes all the per-item views in one call (a Python loop of
        # x[k] cost as much as the synthesis, measured on 28x28 batches of 256).
        xs: Sequence[Any] = x.unbind(0)
        ys: Sequence[Any] = y.unbind(0)
        if self.transform is not None:
            xs = [self.transform(item) for item in xs]
        if self.target_transform is not None:
            ys = [self.target_transform(item) for item in ys]
        return list(zip(xs, ys, strict=True))

    def __getitem__(self, index):
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(
                f"index must be an integer. Got {type(index).__name__} instead."
            )
        return self.__getitems__([index])[0]

    def __repr__(self) -> str:
        sampler = type(self.sampler).__name__ if self.sampler is not None else None
        if isinstance(self.sampler, str):
            sampler = repr(self.sampler)
        return (
            f"ResampledDataset(n_original={self.n_original}, sampler={sampler}, "
            f"seed={self.seed}, epoch={self.epoch}, len={len(self)})"
        )


def _encode_labels(
    y: np.ndarray, X: Any
) -> tuple[np.ndarray, list[Any], dict[Any, int]]:
    """Labels as int64 class indices, the class names and ``class_to_idx``.

    String labels are mapped to the indices of their sorted names, as
    torchvision's ``ImageFolder`` maps folder names. Integer labels are kept;
    their names are those of ``X.classes`` when ``X`` has one (an
    ``ImageFolder``), else the labels themselves.
    """
    if y.dtype.kind in "USO" and len(y) and all(isinstance(v, str) for v in y):
        classes = sorted({str(v) for v in y})
        class_to_idx = {c: i for i, c in enumerate(classes)}
        encoded = np.array([class_to_idx[str(v)] for v in y], np.int64)
        return encoded, classes, class_to_idx
    if y.dtype.kind not in "iu":
        raise ValueError(
            "y must hold integer class labels (items come out with int64 "
            f"labels) or strings. Got dtype {y.dtype} instead."
        )
    y = y.astype(np.int64)
    names = getattr(X, "classes", None)
    if isinstance(names, (list, tuple)) and len(y):
        if 0 <= y.min() and y.max() < len(names):
            return y, list(names), {c: i for i, c in enumerate(names)}
    labels: list[Any] = [int(c) for c in np.unique(y)]
    return y, labels, {c: c for c in labels}


def _fit_length(
    idx: np.ndarray, plan: Plan, length: int, seed: int, epoch: int
) -> tuple[np.ndarray, Plan]:
    """An epoch's items cut or padded to ``length`` (``fixed_length=True``).

    Too many synthetic rows: a random subset of them is kept, in plan order.
    Too few: rows of the epoch's own plan are drawn again (originals when the
    plan is empty). The choice comes from ``SeedSequence([seed, epoch, 1])``,
    a stream apart from the plan's, so it is the same in every process.
    """
    n = len(idx) + len(plan)
    if n == length:
        return idx, plan
    rng = np.random.default_rng(np.random.SeedSequence([seed, epoch, 1]))
    if n > length:
        n_syn = max(0, length - len(idx))
        keep = np.sort(rng.choice(len(plan), size=n_syn, replace=False))
        return idx[: length - n_syn], plan[keep]
    extra = length - n
    if len(plan):
        again = rng.integers(0, len(plan), extra)
        return idx, plan[np.concatenate([np.arange(len(plan)), again])]
    return np.concatenate([idx, idx[rng.integers(0, len(idx), extra)]]), plan


def _prefetching_loaders(dataset: ResampledDataset) -> bool:
    """Whether a persistent-worker ``DataLoader`` over ``dataset`` prefetched.

    A dataset cannot see the loaders built over it, so this asks the garbage
    collector for the objects that refer to it (a ``DataLoader`` keeps it as
    ``dataset``) and reads the state torch keeps for persistent workers: the
    live iterator (``_iterator``) and how many batches it has requested
    (``_send_idx``) and handed out (``_rcvd_idx``). Those are private
    attributes of ``torch.utils.data``; if they change, this returns False
    (no warning) rather than failing. It runs once per ``set_epoch`` call
    (about 10 ms on a heap of a million objects).
    """
    loader_type = torch.utils.data.DataLoader
    candidates = []
    for ref in gc.get_referrers(dataset):
        if isinstance(ref, loader_type):
            candidates.append(ref)
        elif isinstance(ref, dict) and ref.get("dataset") is dataset:
            # Instance dictionaries that are real dicts (Python < 3.11 layout).
            owners = gc.get_referrers(ref)
            candidates += [r for r in owners if isinstance(r, loader_type)]
    for loader in candidates:
        if not getattr(loader, "persistent_workers", False):
            continue
        it = getattr(loader, "_iterator", None)
        sent, received = getattr(it, "_send_idx", 0), getattr(it, "_rcvd_idx", 0)
        if isinstance(sent, int) and isinstance(received, int) and sent > received:
            return True
    return False


def epoch_arrays(ds: ResampledDataset, epoch: int, chunk_size: int | None = None):
    """One epoch of ``ds`` as arrays, built chunk by chunk.

    For training loops that take arrays rather than a ``DataLoader``: the
    harness's :func:`pixsmote.train.fit` accepts a callable ``epoch -> (X, y)``
    as training data, which ``functools.partial(epoch_arrays, ds)`` (or
    :class:`EpochArrays`) is.

    Parameters
    ----------
    ds : ResampledDataset
    epoch : int
        0-based epoch; the same ``(seed, epoch)`` gives the same arrays as the
        items of ``ds`` at that epoch (before any transform).
    chunk_size : int, optional
        Rows produced per chunk (default: about 32 MiB of float64 temporaries).

    Returns
    -------
    X : ndarray of shape (len(epoch), *ds.image_shape)
        Stored dtype (uint8 stays uint8): originals first, then synthetic
        samples, in item order.
    y : ndarray of int64
    """
    if not isinstance(ds, ResampledDataset):
        raise TypeError(
            f"ds must be a ResampledDataset. Got {type(ds).__name__} instead."
        )
    idx, plan = ds.epoch_plan(epoch)
    n = len(idx) + len(plan)
    if chunk_size is None:
        chunk_size = max(1, _CHUNK_BYTES // (8 * max(1, int(np.prod(ds.image_shape)))))
    X = np.empty((n, *ds.image_shape), dtype=ds.dtype)
    y = np.empty(n, dtype=np.int64)
    for s in range(0, n, chunk_size):
        e = min(n, s + chunk_size)
        y[s:e] = ds._stored_items(np.arange(s, e), epoch, out=X[s:e])[1]
    return X, y


class EpochArrays:
    """A callable ``epoch -> (X, y)`` over a :class:`ResampledDataset`.

    The form :func:`pixsmote.train.fit` takes as online training data. It keeps
    the dataset as :attr:`dataset` (for its class counts and plan).

    Parameters
    ----------
    dataset : ResampledDataset
        The dataset whose epochs are materialised.
    chunk_size : int, optional
        Rows per chunk (see :func:`epoch_arrays`).
    """

    def __init__(self, dataset: ResampledDataset, chunk_size: int | None = None):
        if not isinstance(dataset, ResampledDataset):
            raise TypeError(
                f"dataset must be a ResampledDataset. Got {type(dataset).__name__} "
                "instead."
            )
        self.dataset = dataset
        self.chunk_size = chunk_size

    def __call__(self, epoch: int):
        return epoch_arrays(self.dataset, epoch, self.chunk_size)
