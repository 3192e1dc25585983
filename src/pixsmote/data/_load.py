"""``load_dataset``: one entry point for every kind of input."""

from __future__ import annotations

import os
from pathlib import Path

from pixsmote._errors import UsageError
from pixsmote._registry import Registry
from pixsmote.data._builtin import load_digits, load_fashion_mnist
from pixsmote.data._dataset import Dataset
from pixsmote.data._folder import read_folder
from pixsmote.data._io import (
    FITS,
    MODES,
    check_image_size,
    convert_image,
    parse_size,
)
from pixsmote.data._listfile import read_list_file
from pixsmote.data._npz import read_npz
from pixsmote.data._progress import status_line
from pixsmote.data._splits import SPLITS, load_split

__all__ = ["BUILTIN_DATASETS", "list_builtin", "load_dataset"]

#: Built-in dataset name -> its parts (the first is the default), a
#: :class:`~pixsmote._registry.Registry`.
BUILTIN_DATASETS = Registry("built-in dataset")
BUILTIN_DATASETS.add("digits", ("all",))
BUILTIN_DATASETS.add("fashion-mnist", ("train", "test"))


def list_builtin(pattern: str | None = None) -> list[str]:
    """Names ``load_dataset`` accepts besides paths: datasets, then splits
    (optionally only those matching the shell-style `pattern`).

    Parameters
    ----------
    pattern : str, optional
        Shell-style pattern (``fnmatch``); all names when omitted.
    """
    return [*BUILTIN_DATASETS.names(pattern), *SPLITS.names(pattern)]


def _convert_arrays(dataset: Dataset, mode, size, fit) -> Dataset:
    """Apply ``mode``/``size`` to an in-memory uint8 dataset, when asked."""
    import numpy as np
    from PIL import Image

    if (mode is None or mode == dataset.mode) and (
        size is None or tuple(size) == tuple(dataset.size)
    ):
        return dataset
    check_image_size(size, mode or dataset.mode)
    if dataset.dtype != np.uint8:
        raise UsageError(
            f"{dataset.name}: --mode/--size need uint8 images. Got dtype "
            f"{dataset.dtype} instead."
        )
    target = mode or dataset.mode
    images = [
        convert_image(Image.fromarray(x[..., 0] if x.ndim == 3 and x.shape[2] == 1
                                      else x), target, size, fit)
        for x in dataset.X
    ]  # fmt: skip
    return Dataset(
        dataset.y, dataset.class_names, X=np.stack(images), name=dataset.name,
        sources=dataset.sources,
    )  # fmt: skip


def load_dataset(
    src: str | os.PathLike[str] | Dataset,
    *,
    seed: int = 0,
    size: str | tuple[int, int] | None = None,
    mode: str | None = None,
    fit: str = "resize",
    root: str | os.PathLike[str] | None = None,
    fashion_mnist_dir: str | os.PathLike[str] | None = None,
    skip_bad: bool = False,
    jobs: int | None = None,
    progress: bool | None = None,
) -> Dataset:
    """Load an image dataset from a folder, a list file, a ``.npz`` or by name.

    Parameters
    ----------
    src : path-like, str or Dataset
        - a folder with one sub-folder per class (ImageFolder layout);
        - a list file of ``relative/path label`` lines;
        - a ``.npz`` file with arrays ``X`` and ``y`` (``class_names`` optional);
        - a built-in name: ``digits``, ``fashion-mnist`` (``fashion-mnist:test``
          for the official test set), or a protocol split (``seed-3``,
          ``digits-seed-3``, ``fmnist-deepsmote``, ``fmnist-balanced``,
          ``fmnist-lt100``), optionally
          with a part: ``fmnist-deepsmote:val``, ``fmnist-deepsmote:test-imbalanced``
          (default: ``train``).

        An existing path takes precedence over a built-in name.
    seed : int, default=0
        Draws the protocol splits.
    size : str or (int, int), optional
        ``"HxW"``: resize every image to this size (required when sizes differ).
    mode : {"L", "RGB"}, optional
        Convert every image to this mode; default: the most common one.
    fit : {"resize", "crop", "pad"}, default="resize"
        How images of another size are brought to `size`.
    root : path-like, optional
        Folder a list file's entries are relative to (default: its folder).
    fashion_mnist_dir : path-like, optional
        Folder of Fashion-MNIST's IDX files.
    skip_bad : bool, default=False
        Decode every image once now and leave out unreadable ones (listed in
        ``Dataset.skipped``) instead of failing on the first.
    jobs : int, optional
        Threads for reading image headers.
    progress : bool or None
        A status line while a folder or list file is scanned and a bar while
        its headers are read (None: when stderr is a terminal).

    Returns
    -------
    Dataset
        File-backed (decoded lazily) for folders and list files, in memory
        otherwise.

    Examples
    --------
    >>> from pixsmote.data import load_dataset
    >>> digits = load_dataset("digits")  # scikit-learn's, no download
    >>> len(digits), digits.image_shape, digits.class_names[:3]
    (1797, (8, 8), ['0', '1', '2'])
    """
    if isinstance(src, Dataset):
        return src
    if mode is not None and mode not in MODES:
        raise UsageError(f"mode must be one of {MODES}. Got {mode!r} instead.")
    if fit not in FITS:
        raise UsageError(f"fit must be one of {FITS}. Got {fit!r} instead.")
    size = parse_size(size)
    text = os.fspath(src)
    path = Path(text)
    files = dict(
        mode=mode, size=size, fit=fit, skip_bad=skip_bad, jobs=jobs, progress=progress
    )
    if path.is_dir():
        with status_line(f"scanning {path}", enabled=progress):
            return read_folder(path, **files)
    if path.is_file():
        if path.suffix.lower() == ".npz":
            return _convert_arrays(read_npz(path), mode, size, fit)
        with status_line(f"scanning {path}", enabled=progress):
            return read_list_file(path, root=root, **files)
    name, _, part = text.partition(":")
    if name in BUILTIN_DATASETS:
        parts = BUILTIN_DATASETS[name]
        part = part or parts[0]
        if part not in parts:
            raise UsageError(f"{name} has parts {list(parts)}. Got {part!r} instead.")
        if name == "digits":
            dataset = load_digits()
        else:
            dataset = load_fashion_mnist(part, fashion_mnist_dir)
        return _convert_arrays(dataset, mode, size, fit)
    if name in SPLITS:
        split = load_split(name, seed=seed, fashion_mnist_dir=fashion_mnist_dir)
        return _convert_arrays(split.part(part or "train"), mode, size, fit)
    raise UsageError(
        f"{text!r} is neither an existing folder, list file or .npz file, nor a "
        f"built-in dataset ({', '.join(list_builtin())}). Got a path that does not "
        "exist instead."
    )
