"""Read a list file: one ``relative/path label`` per line.

Fields are separated by spaces, a tab or a comma; ``#`` starts a comment and
blank lines are skipped. The last field is the label, everything before it the
path (which may thus hold spaces). Paths are relative to the list file's folder,
or to ``root`` when given; an entry that resolves outside that root (``..``, an
absolute path elsewhere, a symbolic link out) is refused.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from pixsmote._errors import DataError
from pixsmote.data._dataset import Dataset
from pixsmote.data._files import dataset_from_files

__all__ = ["parse_list_file", "read_list_file"]

_COMMENT = re.compile(r"(^|\s)#.*$")
_LINE = re.compile(r"^(?P<path>.*?)\s*[,\s]\s*(?P<label>[^,\s]+)$")


def _sort_labels(labels: set[str]) -> list[str]:
    """Integer labels in numeric order, anything else in string order."""
    try:
        return sorted(labels, key=int)
    except ValueError:
        return sorted(labels)


def parse_list_file(path, root=None) -> tuple[list[Path], np.ndarray, list[str]]:
    """Parse a list file into absolute paths, labels and class names.

    Parameters
    ----------
    path : path-like
        The list file.
    root : path-like, optional
        Folder the entries are relative to; default: the list file's folder.

    Returns
    -------
    paths : list of pathlib.Path
    labels : numpy.ndarray of int64
        Indices into `class_names`.
    class_names : list of str
        The distinct labels, integers in numeric order, otherwise sorted.
    """
    path = Path(path)
    root = (Path(root) if root is not None else path.parent).absolute()
    real_root = root.resolve()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(
            f"{path}: expected a UTF-8 text list file of 'path label' lines. "
            "Got binary content instead."
        ) from None
    entries: list[tuple[Path, str]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = _COMMENT.sub("", line).strip()
        if not line:
            continue
        match = _LINE.match(line)
        if match is None or not match["path"]:
            raise DataError(
                f"{path}, line {lineno}: expected 'relative/path label'. "
                f"Got {line!r} instead."
            )
        rel, label = match["path"].strip().strip("\"'"), match["label"]
        if not entries and (rel.lower(), label.lower()) in {("path", "label")}:
            continue  # a header row
        full = root / rel
        if not full.resolve().is_relative_to(real_root):
            raise DataError(
                f"{path}, line {lineno}: entry {rel!r} resolves outside the dataset "
                f"root {root}; entries must stay inside it."
            )
        entries.append((full, label))
    if not entries:
        raise DataError(f"{path}: the list file holds no entries.")
    class_names = _sort_labels({label for _, label in entries})
    index = {name: i for i, name in enumerate(class_names)}
    labels = np.array([index[label] for _, label in entries], dtype=np.int64)
    return [p for p, _ in entries], labels, class_names


def read_list_file(
    path: str | os.PathLike[str],
    root: str | os.PathLike[str] | None = None,
    **kwargs: Any,
) -> Dataset:
    """A file-backed dataset from a list file (see :func:`parse_list_file`).

    `kwargs` go to :func:`~pixsmote.data._files.dataset_from_files`.

    Parameters
    ----------
    path : path-like
        The list file of ``relative/path label`` lines.
    root : path-like, optional
        Folder the entries are relative to (default: the list file's folder).
    **kwargs
        ``mode``, ``size``, ``fit``, ``skip_bad``, ``jobs``, ``progress``, as in
        :func:`load_dataset`.
    """
    path = Path(path)
    paths, labels, class_names = parse_list_file(path, root)
    base = (Path(root) if root is not None else path.parent).absolute()
    return dataset_from_files(
        paths, labels, class_names, root=base, name=str(path), **kwargs
    )
