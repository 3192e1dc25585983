"""Where the pixels of a :class:`ResampledDataset` come from.

Two kinds of source hide behind one small interface (``take``, ``synthesize``,
``image_shape``, ``dtype``): an in-memory array, and any object that reads
images lazily (``__len__``, ``y`` or ``labels``, ``read(indices)``), such as a
folder dataset of :mod:`pixsmote.data`. Both keep the stored dtype (``uint8``)
until an item is produced; the conversion to a float tensor happens last, in
:func:`to_float_tensor`.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from pixsmote.sampling import Plan, synthesize

__all__ = [
    "ArraySource",
    "ItemReader",
    "LazySource",
    "make_source",
    "tensor_images",
    "to_float_tensor",
]

# Divisors that map stored integers to [0, 1]. Float images are taken as
# already scaled.
_SCALE = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}


class ArraySource:
    """Images held in memory as one ``(N, H, W[, C])`` (or ``(N, D)``) array."""

    lazy = False

    def __init__(self, X: np.ndarray):
        self.X = X
        self.image_shape = tuple(X.shape[1:])
        self.dtype = X.dtype

    def __len__(self) -> int:
        return len(self.X)

    def take(self, indices, out=None):
        return np.take(self.X, indices, axis=0, out=out)

    def synthesize(self, plan: Plan, out=None):
        return synthesize(self.X, plan, out=out)


class LazySource:
    """Images read on demand through ``obj.read(indices)``.

    Synthesis reads only the two parents of each synthetic item (deduplicated
    within a batch), so an item costs two image reads whatever the dataset's size.
    It is also a row reader (``__len__``, ``take``, ``image_shape``) for
    :func:`pixsmote.sampling.compute_features`, which reads it in chunks to
    compute neighbour features exactly as from the same images in memory.
    """

    lazy = True

    def __init__(self, obj):
        self.obj = obj
        # pixsmote.data's Dataset.read decodes with a thread pool by default;
        # starting one for two images per item costs more than the decoding,
        # and DataLoader workers are the parallelism here.
        try:
            params: Mapping[str, inspect.Parameter] = inspect.signature(
                obj.read
            ).parameters
        except (TypeError, ValueError):
            params = {}
        self._kw = {"jobs": 1} if "jobs" in params else {}
        n = len(obj)
        if n == 0:
            raise ValueError(
                "X must hold at least one image. Got an empty dataset instead."
            )
        first = np.asarray(obj.read(np.array([0], dtype=np.int64), **self._kw))
        if first.ndim not in (2, 3, 4) or len(first) != 1:
            raise ValueError(
                "X.read(indices) must return an array of shape (len(indices), H, W"
                f"[, C]). Got shape {first.shape} for one index instead."
            )
        self.image_shape = tuple(first.shape[1:])
        self.dtype = first.dtype
        self._n = n

    def __len__(self) -> int:
        return self._n

    def take(self, indices, out=None):
        indices = np.asarray(indices, dtype=np.int64)
        images = np.asarray(self.obj.read(indices, **self._kw))
        if images.shape != (len(indices), *self.image_shape):
            raise ValueError(
                f"X.read(indices) must return shape {(len(indices), *self.image_shape)}"
                f" like its first image. Got shape {images.shape} instead."
            )
        if out is None:
            return images
        out[...] = images
        return out

    def synthesize(self, plan: Plan, out=None):
        n = len(plan)
        parents, local = np.unique(
            np.concatenate([plan.base, plan.neighbor]), return_inverse=True
        )
        images = (
            self.take(parents) if n else np.empty((0, *self.image_shape), self.dtype)
        )
        local_plan = Plan(
            cls=plan.cls,
            base=local[:n].astype(np.int64),
            neighbor=local[n:].astype(np.int64),
            gap=plan.gap,
            scale=plan.scale,
        )
        return synthesize(images, local_plan, out=out)


class ItemReader:
    """A map-style dataset of ``(image, label)`` items read as a lazy source.

    What torchvision's ``ImageFolder`` (and any dataset with a ``targets``
    attribute) is: ``dataset[i]`` gives an image (a PIL image, an array
    ``(H, W[, C])`` or a tensor ``(C, H, W)``, the last put back to
    ``(H, W, C)``) and its label; labels come from ``targets`` without reading
    any image. The dataset's own ``transform`` runs on every read, so it should
    be deterministic (neighbour features are computed from it once).
    """

    def __init__(self, dataset: Any):
        self.dataset = dataset
        self.y = _to_numpy(dataset.targets)

    def __len__(self) -> int:
        return len(self.dataset)

    def read(self, indices: np.ndarray) -> np.ndarray:
        return np.stack([_item_image(self.dataset[int(i)][0]) for i in indices])


def _item_image(image: Any) -> np.ndarray:
    if isinstance(image, torch.Tensor):
        arr = image.detach().cpu().numpy()
        # torchvision's ToTensor layout (C, H, W) back to the stored (H, W, C).
        return arr.transpose(1, 2, 0) if arr.ndim == 3 else arr
    return np.asarray(image)


def _to_numpy(values: Any) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


# Tensor dtypes that have a numpy counterpart the samplers accept.
_TENSOR_DTYPES = (torch.uint8, torch.float32, torch.float64)


def tensor_images(X: torch.Tensor) -> np.ndarray:
    """A tensor of images as the array a source holds (CPU, ``(N, H, W[, C])``).

    A 4-D tensor whose dimension 1 is 1 or 3 is taken as ``(N, C, H, W)``, the
    layout of ``torchvision.transforms.ToTensor`` and of models' inputs, and
    copied once to ``(N, H, W, C)``; any other tensor keeps its layout and is
    shared with numpy without a copy (on the CPU).
    """
    if X.dtype not in _TENSOR_DTYPES:
        raise TypeError(
            "X must hold uint8, float32 or float64 images. Got tensor dtype "
            f"{X.dtype} instead."
        )
    arr = X.detach().cpu().numpy()
    if arr.ndim == 4 and arr.shape[1] in (1, 3):
        arr = np.ascontiguousarray(arr.transpose(0, 2, 3, 1))
    return arr


def make_source(X: Any) -> tuple[ArraySource | LazySource, Any]:
    """Wrap ``X`` (array or lazy reader) as a source; also return its labels.

    ``X`` may be an array, a tensor, a ``TensorDataset`` (images, labels), a
    lazy reader (``read(indices)``) or a map-style dataset of
    ``(image, label)`` items with a ``targets`` attribute.
    """
    if isinstance(X, torch.Tensor):
        return make_source(tensor_images(X))[0], None
    if isinstance(X, torch.utils.data.TensorDataset):
        tensors = X.tensors
        labels = _to_numpy(tensors[1]) if len(tensors) > 1 else None
        return make_source(tensors[0])[0], labels
    if not hasattr(X, "read") and hasattr(X, "targets") and hasattr(X, "__getitem__"):
        reader = ItemReader(X)
        return LazySource(reader), reader.y
    if isinstance(X, np.ndarray):
        if X.ndim not in (2, 3, 4):
            raise ValueError(
                "X must be an array of shape (N, H, W), (N, H, W, C) or (N, D). "
                f"Got shape {X.shape} instead."
            )
        if X.dtype.kind not in "uif" or X.dtype == np.float16:
            raise TypeError(
                "X must hold uint8, uint16, float32 or float64 images. "
                f"Got dtype {X.dtype} instead."
            )
        return ArraySource(X), None
    if not (hasattr(X, "read") and hasattr(X, "__len__")):
        raise TypeError(
            "X must be a numpy array of images (or a tensor, a TensorDataset, a "
            "dataset with targets and (image, label) items) or a dataset with "
            f"__len__, labels (y) and read(indices). Got {type(X).__name__} instead."
        )
    labels = getattr(X, "y", None)
    if labels is None:
        labels = getattr(X, "labels", None)
    if getattr(X, "is_file_backed", True) is False:
        # An in-memory pixsmote.data Dataset: use its array directly.
        return make_source(np.asarray(X.X))[0], labels
    return LazySource(X), labels


def to_float_tensor(images: np.ndarray) -> torch.Tensor:
    """A batch of stored images as a float32 tensor ``(B, C, H, W)`` in [0, 1].

    ``(B, H, W)`` gains a channel axis; ``(B, D)`` rows stay ``(B, D)``. uint8 is
    divided by 255, uint16 by 65535; any other integer dtype is scaled by its
    range, ``(v - min) / (max - min)`` (int16: -32768 -> 0, 32767 -> 1); float
    images are assumed already in [0, 1] (:class:`ResampledDataset` checks).
    """
    scale = _SCALE.get(images.dtype)
    if images.dtype == np.uint8:
        t = torch.from_numpy(np.ascontiguousarray(images)).to(torch.float32)
    elif images.dtype.kind in "iu" and scale is None:
        info = np.iinfo(images.dtype)  # in float64: int32's range needs it
        unit = (images.astype(np.float64) - info.min) / (float(info.max) - info.min)
        t = torch.from_numpy(np.ascontiguousarray(unit, dtype=np.float32))
    else:
        t = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    if scale is not None:
        t = t.div_(scale)
    if t.ndim == 4:
        t = t.permute(0, 3, 1, 2)
    elif t.ndim == 3:
        t = t.unsqueeze(1)
    return t.contiguous()
