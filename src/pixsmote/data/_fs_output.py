"""A folder output at an fsspec URL: its layout (names, manifest, list file,
marker, byte for byte the local writer's) and its commit (a temporary prefix,
then the final one; the manifest written last where the store cannot rename)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import posixpath
import shutil
import uuid
from dataclasses import astuple, dataclass
from pathlib import Path, PurePath, PurePosixPath

import numpy as np

from pixsmote._errors import UsageError
from pixsmote.data._atomic import (
    release_lock,
    remove_leftovers,
    swap_into_place,
    take_lock,
)
from pixsmote.data._destination import (
    MANIFEST_NAME,
    check_destination,
    marker_info,
    work_paths,
)
from pixsmote.data._fs import FolderSource, is_local
from pixsmote.data._listfile import format_list_line
from pixsmote.data._manifest import MANIFEST_COLUMNS, ManifestRow
from pixsmote.data._writer import class_folder_names

__all__ = [
    "FolderLayout",
    "Staging",
    "folder_layout",
    "list_file_bytes",
    "manifest_bytes",
    "marker_bytes",
]


@dataclass
class FolderLayout:
    """Where every image of a folder output goes, and its manifest row.

    Attributes
    ----------
    folders : list of str
        The class folders, by label.
    original, duplicate, synthetic : list of str
        Output paths (relative to the destination) of the originals kept, the
        duplicates and the synthetic images, in their row order.
    rows : list of ManifestRow
        The manifest, in output order.
    """

    folders: list
    original: list
    duplicate: list
    synthetic: list
    rows: list


def folder_layout(
    source: FolderSource, kept, duplicates=(), duplicates_method="", *,
    labels=(), parent_a=(), parent_b=(), gap=(), method="",
) -> FolderLayout:  # fmt: skip
    """Name every output image and lay out the manifest, before writing any.

    The names and rows :func:`~pixsmote.data.write_output` gives a folder
    destination of the same dataset: originals keep their file names (and
    their suffix when copied byte for byte, else ``.png``); duplicates and
    synthetic images are ``synthetic_<n>`` numbered in row order; a name taken
    (compared without case) gets ``_1``, ``_2``, ...; parents are the output
    path of their own row, or ``source:<relpath>`` when not in the output.
    Names are decided here, in one place, because a clash is only visible
    across the whole output.

    Parameters
    ----------
    source : FolderSource
    kept, duplicates : array-like of int
        Source indices of the originals written, and of those written again.
    duplicates_method : str
    labels, parent_a, parent_b, gap : array-like
        The synthetic images' labels, parents (source indices) and gaps.
    method : str
        The synthetic images' manifest ``method``.
    """
    kept = np.asarray(kept, dtype=np.int64).reshape(-1)
    duplicates = np.asarray(duplicates, dtype=np.int64).reshape(-1)
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    folders = class_folder_names(source.class_names)
    used: list[set[str]] = [set() for _ in folders]

    def claim(label, stem, suffix):
        name, k = f"{stem}{suffix}", 1
        while name.lower() in used[label]:
            name, k = f"{stem}_{k}{suffix}", k + 1
        used[label].add(name.lower())
        return f"{folders[label]}/{name}"

    def suffix_of(i):
        return PurePosixPath(source.files[i]).suffix if source.copyable[i] else ".png"

    out_ref = [None] * len(source)
    rows, original = [], []
    for i in kept:
        i = int(i)
        label = int(source.y[i])
        rel = claim(label, PurePosixPath(source.files[i]).stem, suffix_of(i))
        out_ref[i] = rel
        original.append(rel)
        rows.append(ManifestRow(rel, source.class_names[label], "original"))

    def ref(i):
        i = int(i)
        return out_ref[i] if out_ref[i] is not None else f"source:{source.relpaths[i]}"

    width = max(6, len(str(len(duplicates) + len(labels))))
    counter = 0

    def synthetic_name(label, suffix=".png"):
        nonlocal counter
        counter += 1
        return claim(label, f"synthetic_{counter:0{width}d}", suffix)

    duplicate = []
    for i in duplicates:
        i = int(i)
        label = int(source.y[i])
        rel = synthetic_name(label, suffix_of(i))
        duplicate.append(rel)
        rows.append(
            ManifestRow(rel, source.class_names[label], "synthetic", ref(i), ref(i),
                        "0", duplicates_method)
        )  # fmt: skip
    synthetic = []
    for r in range(len(labels)):
        label = int(labels[r])
        rel = synthetic_name(label)
        synthetic.append(rel)
        rows.append(
            ManifestRow(
                rel, source.class_names[label], "synthetic", ref(parent_a[r]),
                ref(parent_b[r]),
                repr(float(gap[r])), method,
            )
        )  # fmt: skip
    return FolderLayout(folders, original, duplicate, synthetic, rows)


def manifest_bytes(rows) -> bytes:
    """The ``manifest.csv`` :func:`~pixsmote.data.write_manifest` writes, as bytes.

    Parameters
    ----------
    rows : list of ManifestRow
        The manifest rows, in output order.
    """
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(MANIFEST_COLUMNS)
    writer.writerows(astuple(row) for row in rows)
    return buf.getvalue().encode("utf-8")


def list_file_bytes(rows) -> bytes:
    """The ``train_balanced.txt`` of a folder output: the local writer's lines
    (:func:`~pixsmote.data.format_list_line`, quoted where a name needs it).

    Parameters
    ----------
    rows : list of ManifestRow
        The manifest rows, in output order.
    """
    return "".join(format_list_line(row.path, row.label) for row in rows).encode(
        "utf-8"
    )


def marker_bytes(class_names, made_by: dict | None = None) -> bytes:
    """The ``.pixsmote.json`` of a folder output, byte for byte the local
    writer's: who wrote it, each class folder's original name, and how.

    Parameters
    ----------
    class_names : list of str
        The class names, by label.
    made_by : dict, optional
        As :func:`~pixsmote.data.write_output`'s.
    """
    folders = class_folder_names(list(class_names))
    info = marker_info(
        "dataset", classes=dict(zip(folders, class_names, strict=True)),
        **({} if made_by is None else {"made_by": made_by}),
    )  # fmt: skip
    return (json.dumps(info, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _same_store(fs_a, fs_b) -> bool:
    return type(fs_a) is type(fs_b) and getattr(fs_a, "storage_options", None) == (
        getattr(fs_b, "storage_options", None)
    )


class Staging:
    """A temporary prefix beside a destination folder, committed at the end.

    ``Staging(fs, dst, overwrite=...)`` checks the destination; :attr:`tmp`
    is where to write (``<parent>/.<name>.<token>.tmp``); :meth:`commit` moves
    the result into place; :meth:`abort` removes what was written.

    On a local filesystem the commit is one :func:`os.replace` of the
    temporary folder (an existing destination, with `overwrite`, is replaced
    only then). An object store has no rename: the objects are copied to the
    destination (server-side where the store can), ``manifest.csv`` last, so
    that a destination holding no manifest is known to be incomplete; then the
    temporary prefix is deleted. An existing destination is deleted just
    before the copy.

    Parameters
    ----------
    fs : fsspec.AbstractFileSystem
    dst : str
        The destination folder inside `fs`.
    overwrite : bool, default=False
    source_fs, source_root : optional
        The input's filesystem and folder: a destination that is, or holds,
        the input is refused (even with `overwrite`).
    """

    def __init__(
        self, fs, dst: str, *, overwrite: bool = False, source_fs=None,
        source_root: str | None = None,
    ):  # fmt: skip
        self.fs = fs
        self.dst = dst.rstrip("/")
        self.local = is_local(fs)
        if PurePosixPath(self.dst).suffix.lower() == ".npz":
            raise UsageError(
                f"{self.dst}: a distributed run writes a folder. Expected a folder "
                "destination. Got a .npz file instead."
            )
        same = bool(source_root) and source_fs is not None and _same_store(
            fs, source_fs
        )
        if same:
            assert source_root  # `same` needs one
            src: PurePath
            dst_p: PurePath
            if self.local:
                src, dst_p = Path(source_root).resolve(), Path(self.dst).resolve()
            else:
                src, dst_p = PurePosixPath(source_root), PurePosixPath(self.dst)
            if src == dst_p or src.is_relative_to(dst_p):
                raise UsageError(
                    f"--out {self.dst} would replace the input {source_root}. "
                    "Expected a destination outside the input. Got the input itself "
                    "instead."
                )
        if self.local:  # the local rules, broken symbolic links included
            check_destination(
                self.dst,
                overwrite=overwrite,
                source=source_root if same and is_local(source_fs) else None,
            )
        elif fs.exists(self.dst) and not overwrite:
            raise UsageError(
                f"{self.dst} already exists. Pass --overwrite (overwrite=True) to "
                "replace it, or choose another --out."
            )
        parent = PurePosixPath(self.dst).parent
        name = PurePosixPath(self.dst).name
        if str(parent) in ("", ".") or not name:
            raise UsageError(
                f"--out {self.dst}: expected a folder inside a bucket or folder "
                "(the output is staged beside it). Got a top-level name instead."
            )
        self._overwrite = overwrite
        self._source = source_root if same and is_local(source_fs) else None
        self._lock = None
        if self.local:
            # The single-process writer's names (they hold this PID), so that
            # either writer recognises and cleans the other's leftovers after a
            # kill, and the same lock file, so that two runs of any kind into
            # one destination are refused instead of racing.
            tmp, _, self._lock_path = work_paths(Path(self.dst).absolute())
            self.tmp = str(tmp)
        else:
            self.tmp = posixpath.join(
                str(parent), f".{name}.{uuid.uuid4().hex[:12]}.tmp"
            )
        self._created: list[Path] = []

    def open(self, folders=()) -> None:
        """Create the temporary prefix (and, locally, its class folders).

        Locally, first take the destination's lock (a :class:`DataError`
        naming the holder when another run has it), remove what killed runs
        left there and check the destination again under the lock; the lock is
        held until :meth:`commit` or :meth:`abort`.
        """
        if self.local:
            dst = Path(self.dst).absolute()
            parent = dst.parent
            while not parent.exists():
                self._created.append(parent)
                parent = parent.parent
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._lock = take_lock(dst, self._lock_path)
                remove_leftovers(dst)
                check_destination(dst, overwrite=self._overwrite, source=self._source)
                for folder in folders:
                    Path(self.tmp, folder).mkdir(parents=True, exist_ok=True)
                Path(self.tmp).mkdir(parents=True, exist_ok=True)
            except BaseException:
                self.abort()
                raise

    def _release(self) -> None:
        if self._lock is not None:
            release_lock(self._lock, self._lock_path)
            self._lock = None

    def commit(self) -> None:
        """Move the written output to the destination."""
        if self.local:
            dst = Path(self.dst).absolute()
            swap_into_place(Path(self.tmp), dst, work_paths(dst)[1])
            self._release()
            return
        fs = self.fs
        fs.invalidate_cache()  # the workers wrote; this process's listings are old
        written = sorted(fs.find(self.tmp))
        marker = f"{self.tmp}/{MANIFEST_NAME}"
        if fs.exists(self.dst):
            fs.rm(self.dst, recursive=True)
        try:
            rest = [p for p in written if p != marker]
            if rest:
                fs.copy(rest, [self.dst + p[len(self.tmp) :] for p in rest])
            fs.cp_file(marker, f"{self.dst}/{MANIFEST_NAME}")
        except BaseException:
            with contextlib.suppress(Exception):
                fs.rm(self.dst, recursive=True)
            raise
        fs.rm(self.tmp, recursive=True)

    def abort(self) -> bool:
        """Remove the temporary prefix; False when it could not be removed."""
        try:
            if self.local:
                shutil.rmtree(self.tmp, ignore_errors=True)
                self._release()
                for folder in self._created:  # innermost first
                    with contextlib.suppress(OSError):
                        folder.rmdir()
                return not os.path.exists(self.tmp)
            if self.fs.exists(self.tmp):
                self.fs.rm(self.tmp, recursive=True)
            return not self.fs.exists(self.tmp)
        except Exception:
            return False
