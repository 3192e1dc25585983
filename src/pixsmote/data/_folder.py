"""Read a folder of class sub-folders, the layout torchvision's ImageFolder reads."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from pixsmote._errors import DataError
from pixsmote.data._dataset import Dataset
from pixsmote.data._files import dataset_from_files
from pixsmote.data._io import IMAGE_EXTENSIONS

__all__ = ["read_folder", "scan_folder"]


def scan_folder(root: Path) -> tuple[list[Path], np.ndarray, list[str]]:
    """List the images of `root`, one sub-folder per class.

    Classes are the sub-folder names in sorted order (as ImageFolder sorts
    them); images are the files with an image suffix (any case) anywhere below
    a class folder, in sorted order. Hidden files and folders are ignored.

    Parameters
    ----------
    root : pathlib.Path
        The folder of class sub-folders.

    Returns
    -------
    paths : list of pathlib.Path
    labels : numpy.ndarray of int64
    class_names : list of str
    """
    root = Path(root)
    class_names = sorted(
        entry.name
        for entry in os.scandir(root)
        if entry.is_dir() and not entry.name.startswith(".")
    )
    if not class_names:
        raise DataError(
            f"{root}: expected one sub-folder per class holding its images "
            "(e.g. cat/001.png, dog/002.png). Got no sub-folders instead."
        )
    paths, labels = [], []
    for label, cls in enumerate(class_names):
        found: list[Path] = []
        for folder, dirs, files in os.walk(root / cls, followlinks=True):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found.extend(
                Path(folder, f)
                for f in sorted(files)
                if not f.startswith(".") and f.lower().endswith(IMAGE_EXTENSIONS)
            )
        if not found:
            raise DataError(
                f"{root / cls}: class folder {cls!r} holds no image "
                f"({', '.join(IMAGE_EXTENSIONS)}). Remove it or add its images."
            )
        paths.extend(found)
        labels.extend([label] * len(found))
    return paths, np.asarray(labels, dtype=np.int64), class_names


def read_folder(root: str | os.PathLike[str], **kwargs: Any) -> Dataset:
    """A file-backed dataset from a folder of class sub-folders.

    `kwargs` go to :func:`~pixsmote.data._files.dataset_from_files` (mode,
    size, fit, skip_bad, jobs).

    Parameters
    ----------
    root : path-like
        The folder of class sub-folders.
    **kwargs
        ``mode``, ``size``, ``fit``, ``skip_bad``, ``jobs``, ``progress``, as in
        :func:`load_dataset`.
    """
    root = Path(root).absolute()
    paths, labels, class_names = scan_folder(root)
    return dataset_from_files(
        paths, labels, class_names, root=root, name=str(root), **kwargs
    )
