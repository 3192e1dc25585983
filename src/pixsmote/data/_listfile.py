"""Read and write list files: one ``relative/path label`` per line.

Fields are separated by spaces, a tab or a comma; ``#`` starts a comment and
blank lines are skipped. The last field is the label, everything before it the
path (which may thus hold spaces). Paths are relative to the list file's folder,
or to ``root`` when given; an entry that resolves outside that root (``..``, an
absolute path elsewhere, a symbolic link out) is refused.

A line whose first character is ``"`` holds quoted fields: the path and the
label are each a JSON string literal (``"x, #1/im 0.png" "x, #1"``), so they
may hold spaces, commas, ``#``, quotes or newlines (``\n``). pixsmote writes
that form (:func:`format_list_line`) for every line whose path or label needs
it, and the plain form otherwise, so plain files stay as they were.

An image listed twice with the same label is counted once (with a warning
giving the count); one listed under two labels is an error.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from pixsmote._errors import DataError
from pixsmote.data._dataset import Dataset
from pixsmote.data._files import dataset_from_files

__all__ = ["format_list_line", "parse_list_file", "read_list_file"]

_COMMENT = re.compile(r"(^|\s)#.*$")
_LINE = re.compile(r"^(?P<path>.*?)\s*[,\s]\s*(?P<label>[^,\s]+)$")
_SEPARATOR = re.compile(r"\s*[,\s]\s*")


def _parse_plain(line: str) -> tuple[str, str] | None:
    """The (path, label) of a plain line, None for a blank or comment line."""
    line = _COMMENT.sub("", line).strip()
    if not line:
        return None
    match = _LINE.match(line)
    if match is None or not match["path"]:
        raise ValueError(line)
    return match["path"].strip().strip("\"'"), match["label"]


def format_list_line(path: str, label: str) -> str:
    """One list-file line (with its newline) that reads back as `path`, `label`.

    The plain ``path label`` form when it reads back unchanged, otherwise both
    fields as JSON string literals.

    Parameters
    ----------
    path : str
        The image path, relative to the list file's folder.
    label : str
        The class name.
    """
    line = f"{path} {label}"
    if not line.startswith('"') and "\n" not in line and "\r" not in line:
        try:
            if _parse_plain(line) == (path, label):
                return line + "\n"
        except ValueError:
            pass
    quoted = json.dumps(path, ensure_ascii=False)
    return f"{quoted} {json.dumps(label, ensure_ascii=False)}\n"


def _parse_quoted(line: str) -> tuple[str, str] | None:
    """The (path, label) of a quoted line, or None when it is not one."""
    decoder = json.JSONDecoder()
    try:
        rel, end = decoder.raw_decode(line)
        rest = line[end:]
        sep = _SEPARATOR.match(rest)
        if not isinstance(rel, str) or sep is None or not sep.group():
            return None
        rest = rest[sep.end() :]
        if rest.startswith('"'):
            label, end = decoder.raw_decode(rest)
            tail = rest[end:].strip()
        else:
            label, _, tail = rest.partition(" ")
            tail = tail.strip()
    except ValueError:
        return None
    if not isinstance(label, str) or not label or (tail and not tail.startswith("#")):
        return None
    return rel, label


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
    seen: dict[Path, tuple[str, int]] = {}
    duplicates = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        quoted = _parse_quoted(line.strip()) if line.lstrip().startswith('"') else None
        if quoted is not None:
            rel, label = quoted
        else:
            try:
                plain = _parse_plain(line)
            except ValueError:
                raise DataError(
                    f"{path}, line {lineno}: expected 'relative/path label'. "
                    f"Got {line.strip()!r} instead."
                ) from None
            if plain is None:
                continue
            rel, label = plain
        if not entries and (rel.lower(), label.lower()) in {("path", "label")}:
            continue  # a header row
        full = root / rel
        real = full.resolve()
        if not real.is_relative_to(real_root):
            raise DataError(
                f"{path}, line {lineno}: entry {rel!r} resolves outside the dataset "
                f"root {root}; entries must stay inside it."
            )
        if real in seen:
            first_label, first_line = seen[real]
            if first_label != label:
                raise DataError(
                    f"{path}, line {lineno}: {rel} is listed under two labels, "
                    f"{first_label!r} (line {first_line}) and {label!r}. Expected "
                    "one label per image. Got two labels instead."
                )
            duplicates += 1
            continue
        seen[real] = (label, lineno)
        entries.append((full, label))
    if not entries:
        raise DataError(f"{path}: the list file holds no entries.")
    if duplicates:
        warnings.warn(
            f"{path}: {duplicates} duplicate entr{'y' if duplicates == 1 else 'ies'} "
            f"(an image listed again with the same label) counted once; "
            f"{len(entries)} images remain.",
            UserWarning,
            stacklevel=2,
        )
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
        paths, labels, class_names, root=base, name=str(path), sources=[path],
        list_file=path, **kwargs,
    )
