"""Read a folder of class sub-folders, the layout torchvision's ImageFolder reads."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from pixsmote._errors import DataError
from pixsmote.data._dataset import Dataset
from pixsmote.data._destination import read_marker
from pixsmote.data._files import dataset_from_files
from pixsmote.data._io import IMAGE_EXTENSIONS

__all__ = ["read_folder", "scan_folder"]


def scan_folder(root: Path) -> tuple[list[Path], np.ndarray, list[str]]:
    """List the images of `root`, one sub-folder per class.

    Classes are the sub-folder names in sorted order (as ImageFolder sorts
    them); images are the files with an image suffix (any case) anywhere below
    a class folder, in sorted order. Hidden files and folders are ignored;
    links are followed, but no folder or file is counted twice. A folder
    pixsmote wrote names its classes by their original names (its marker
    file records them).

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
        found = _walk_images(root / cls)
        if not found:
            raise DataError(
                f"{root / cls}: class folder {cls!r} holds no image "
                f"({', '.join(IMAGE_EXTENSIONS)}). Remove it or add its images."
            )
        paths.extend(found)
        labels.extend([label] * len(found))
    # An output pixsmote wrote records each class folder's original name
    # ("a/b" is written to a folder "a_b").
    names = (read_marker(root) or {}).get("classes")
    if isinstance(names, dict):
        class_names = [str(names.get(cls, cls)) for cls in class_names]
    return paths, np.asarray(labels, dtype=np.int64), class_names


def _walk_images(top: Path) -> list[Path]:
    """The images below `top` in sorted order, each file and folder once.

    Symbolic links are followed, but a folder reached a second time (a link
    back up, or two links to one folder) is not entered again, and a file
    reached twice (its real path already seen) is listed once: links never
    inflate a class.
    """
    found, seen_dirs, seen_files = [], set(), set()

    def visit(folder: Path) -> None:
        try:
            st = folder.stat()
        except OSError:
            return
        if (st.st_dev, st.st_ino) in seen_dirs:
            return
        seen_dirs.add((st.st_dev, st.st_ino))
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        subdirs = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if is_dir:
                subdirs.append(Path(entry.path))
            elif entry.name.lower().endswith(IMAGE_EXTENSIONS):
                real = os.path.realpath(entry.path)
                if real not in seen_files:
                    seen_files.add(real)
                    found.append(Path(entry.path))
        for sub in subdirs:
            visit(sub)

    visit(top)
    return found


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
        paths, labels, class_names, root=root, name=str(root), sources=[root],
        **kwargs,
    )
