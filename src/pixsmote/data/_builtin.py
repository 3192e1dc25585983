"""Built-in datasets: scikit-learn's digits and Fashion-MNIST's IDX files.

``digits`` ships inside scikit-learn (no download). Fashion-MNIST is read from
Debian's ``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist``)
or any folder holding the four IDX files (gzipped or not).
"""

from __future__ import annotations

import functools
import gzip
import os
from pathlib import Path
from typing import Any

import numpy as np

from pixsmote._errors import DataError, UsageError
from pixsmote.data._dataset import Dataset

__all__ = [
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_DIR",
    "read_idx",
    "load_digits",
    "load_fashion_mnist",
]

#: Where Debian's ``dataset-fashion-mnist`` package puts the IDX files.
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

#: Fashion-MNIST's class names, label 0 to 9.
FASHION_MNIST_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

# IDX type codes (http://yann.lecun.com/exdb/mnist/), all big-endian.
_IDX_TYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path) -> np.ndarray:
    """Read an IDX file (as MNIST and Fashion-MNIST ship), gzipped or not.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    numpy.ndarray
        With the file's shape and dtype (native byte order).
    """
    path = Path(path)
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    try:
        with (gzip.open if gzipped else open)(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"Cannot read IDX file {path}: {exc}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise DataError(
            f"{path}: expected an IDX file (magic 0x0000, a type code in "
            f"{sorted(_IDX_TYPES)}). Got header {data[:4].hex()!r} instead."
        )
    dtype, ndim = _IDX_TYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: IDX header is truncated.")
    shape = tuple(
        int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise DataError(
            f"{path}: IDX shape {shape} needs {expected} bytes of data. Got "
            f"{len(data) - header} instead."
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)


def load_digits() -> Dataset:
    """scikit-learn's 8x8 digits (1797 images, 10 classes) as uint8 grey.

    The 0..16 values become 0..255 by ``round(value * 255 / 16)``.
    """
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    X = np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)
    return Dataset(bunch.target, [str(c) for c in range(10)], X=X, name="digits")


def _idx_file(directory: Path, stem: str) -> Path | None:
    for name in (f"{stem}.gz", stem):
        if (directory / name).is_file():
            return directory / name
    return None


@functools.lru_cache(maxsize=4)
def _fashion_arrays(directory: str, part: str, _mtime: float):
    prefix = {"train": "train", "test": "t10k"}[part]
    folder = Path(directory)
    files = {}
    for kind in ("images-idx3", "labels-idx1"):
        stem = f"{prefix}-{kind}-ubyte"
        found = _idx_file(folder, stem)
        if found is None:
            raise DataError(
                f"Fashion-MNIST not found: {folder / (stem + '.gz')} is missing. "
                "Install it with `apt-get install -y dataset-fashion-mnist`, or "
                "pass --fashion-mnist-dir DIR (fashion_mnist_dir=) naming a "
                "folder holding the four IDX files."
            )
        files[kind] = found
    X = read_idx(files["images-idx3"])
    y = read_idx(files["labels-idx1"]).astype(np.int64)
    if X.ndim != 3 or X.dtype != np.uint8 or y.shape != (len(X),):
        raise DataError(
            f"{folder}: expected uint8 images (N, 28, 28) and N labels. Got images "
            f"{X.shape} {X.dtype} and labels {y.shape} instead."
        )
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def load_fashion_mnist(part: str = "train", directory=None) -> Dataset:
    """Fashion-MNIST's official train (60 000) or test (10 000) images.

    Parameters
    ----------
    part : {"train", "test"}
    directory : path-like, optional
        Folder holding ``{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``;
        default :data:`FASHION_MNIST_DIR`.

    Raises
    ------
    DataError
        When the files are missing, with the command that installs them.
    """
    if part not in ("train", "test"):
        raise UsageError(f"part must be 'train' or 'test'. Got {part!r} instead.")
    folder = Path(directory) if directory is not None else FASHION_MNIST_DIR
    try:
        mtime = os.stat(folder).st_mtime
    except OSError:
        mtime = -1.0
    X, y = _fashion_arrays(str(folder), part, mtime)
    return Dataset(
        y, FASHION_MNIST_CLASSES, X=X, name=f"fashion-mnist:{part}", sources=[folder]
    )
