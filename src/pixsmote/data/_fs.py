"""Folders of images at fsspec URLs: list, read, lay out and commit outputs.

The readers and writers of :mod:`pixsmote.data` work on local paths; this
module does the same jobs for any filesystem :mod:`fsspec` knows (``file://``,
``s3://`` through s3fs, ``gs://`` through gcsfs, ``memory://``) so that many
processes, possibly on many machines, can share one source and one
destination:

* :class:`FolderSource` — a folder dataset as plain data (filesystem, file
  paths, labels, the common mode and size, which files may be copied byte for
  byte), small enough to describe a dataset and cheap to slice per task.
  :func:`list_folder` and :func:`source_from_probes` build one from a URL;
  :func:`source_from_dataset` from a local file-backed :class:`Dataset`.
* :func:`read_files`, :func:`decode_bytes`, :func:`write_files`,
  :func:`png_bytes` — the per-image work, in bytes.
* :func:`folder_layout` — every output name and manifest row, decided before
  any image is written, exactly as :func:`~pixsmote.data.write_output` names
  them for a folder destination, so that a distributed run writes the same
  files as a single-process one.
* :class:`Staging` — the commit protocol: everything is written under a
  temporary prefix beside the destination; on a local filesystem the prefix
  is renamed into place (atomic), on an object store (no rename) its objects
  are copied to the destination with ``manifest.csv`` copied last, so an
  output folder without its manifest is an incomplete one.

fsspec is imported only when a function here needs it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import posixpath
import shutil
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from pixsmote._errors import DataError, UsageError
from pixsmote.data._dataset import Dataset
from pixsmote.data._destination import MANIFEST_NAME, check_destination, marker_info
from pixsmote.data._files import format_sizes
from pixsmote.data._io import (
    FITS,
    IMAGE_EXTENSIONS,
    MODES,
    common_mode,
    convert_image,
    parse_size,
)
from pixsmote.data._listfile import format_list_line
from pixsmote.data._manifest import MANIFEST_COLUMNS, ManifestRow
from pixsmote.data._writer import class_folder_names

__all__ = [
    "FolderLayout",
    "FolderSource",
    "Staging",
    "decode_bytes",
    "folder_layout",
    "is_local",
    "is_url",
    "list_file_bytes",
    "list_folder",
    "manifest_bytes",
    "marker_bytes",
    "open_url",
    "png_bytes",
    "probe_bytes",
    "read_files",
    "source_from_dataset",
    "source_from_probes",
    "write_files",
]

# Concurrent requests per task: object stores answer one GET or PUT in tens of
# milliseconds, so a task that fetched its parents one at a time would wait on
# the network rather than decode; the threads only wait (the work stays in the
# task's thread).
_IO_THREADS = 8


def is_url(text) -> bool:
    """True for ``protocol://...`` strings (local paths are not URLs).

    Parameters
    ----------
    text : str
        A source or destination as given.
    """
    return isinstance(text, str) and "://" in text


def open_url(url, storage_options: dict | None = None):
    """The fsspec filesystem and the path inside it of `url`.

    Parameters
    ----------
    url : str or path-like
        ``s3://bucket/prefix``, ``memory://name``, ``file:///path`` or a local
        path.
    storage_options : dict, optional
        Keyword arguments of the filesystem (e.g. s3fs's ``anon``,
        ``endpoint_url``, ``key``); the usual environment variables
        (``AWS_ENDPOINT_URL``, credentials) are read by the filesystem itself.

    Returns
    -------
    fs : fsspec.AbstractFileSystem
    path : str
    """
    try:
        import fsspec
    except ImportError:  # pragma: no cover - fsspec comes with torch
        raise UsageError(
            "URLs need fsspec: pip install 'pixsmote[distributed]'. Got no fsspec "
            "module instead."
        ) from None
    text = os.fspath(url)
    if not is_url(text):
        text = str(Path(text).absolute())
    try:
        fs, path = fsspec.url_to_fs(text, **(storage_options or {}))
    except ImportError as exc:  # e.g. s3fs or gcsfs missing
        raise UsageError(
            f"{text}: {exc}. Expected its filesystem package installed (pip install "
            "'pixsmote[distributed]' brings s3fs). Got it missing instead."
        ) from None
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{text}: {exc}. Got bad storage options instead.") from None
    return fs, path.rstrip("/") or path


def is_local(fs) -> bool:
    """True for fsspec's local filesystem (where folders can be renamed).

    Parameters
    ----------
    fs : fsspec.AbstractFileSystem
        A filesystem.
    """
    protocol = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocol or "local" in protocol


def _walk_key(rel: str):
    """Sort key giving :func:`~pixsmote.data.scan_folder`'s order.

    ``os.walk`` with sorted names yields a folder's files (sorted) before
    descending into its sub-folders (sorted), so a file sorts before a folder
    at every level.
    """
    parts = rel.split("/")
    return tuple((1, p) for p in parts[:-1]) + ((0, parts[-1]),)


def list_folder(fs, root: str):
    """List a folder dataset at `root`: one sub-folder per class.

    The same images, classes and order as :func:`~pixsmote.data.scan_folder`
    finds on a local disk: classes are the sorted non-hidden sub-folders,
    images the files with an image suffix below them, nothing hidden.

    Parameters
    ----------
    fs : fsspec.AbstractFileSystem
        The source's filesystem.
    root : str
        The folder of class sub-folders.

    Returns
    -------
    files : list of str
        Paths inside `fs`.
    relpaths : list of str
        Each path relative to `root` (POSIX).
    labels : numpy.ndarray of int64
    class_names : list of str
    """
    root = root.rstrip("/")
    try:
        entries = fs.ls(root, detail=True)
    except FileNotFoundError:
        raise DataError(f"{root}: no such folder.") from None
    class_names = sorted(
        PurePosixPath(e["name"].rstrip("/")).name
        for e in entries
        if e.get("type") == "directory"
        and not PurePosixPath(e["name"].rstrip("/")).name.startswith(".")
    )
    if not class_names:
        raise DataError(
            f"{root}: expected one sub-folder per class holding its images "
            "(e.g. cat/001.png, dog/002.png). Got no sub-folders instead."
        )
    files, relpaths, labels = [], [], []
    for label, cls in enumerate(class_names):
        found = []
        for path in fs.find(f"{root}/{cls}"):
            rel = path[len(root) + 1 :] if path.startswith(root + "/") else path
            inner = rel.split("/")[1:]
            if any(p.startswith(".") for p in inner):
                continue
            if not inner[-1].lower().endswith(IMAGE_EXTENSIONS):
                continue
            found.append(rel)
        if not found:
            raise DataError(
                f"{root}/{cls}: class folder {cls!r} holds no image "
                f"({', '.join(IMAGE_EXTENSIONS)}). Remove it or add its images."
            )
        found.sort(key=lambda r: _walk_key(r.split("/", 1)[1]))
        relpaths.extend(found)
        files.extend(f"{root}/{r}" for r in found)
        labels.extend([label] * len(found))
    return files, relpaths, np.asarray(labels, dtype=np.int64), class_names


def read_files(fs, paths) -> list[bytes]:
    """The bytes of each file of `paths`, fetched a few at a time.

    Parameters
    ----------
    fs : fsspec.AbstractFileSystem
        The filesystem.
    paths : list of str
        The files to read.
    """
    paths = list(paths)
    if len(paths) < 2:
        return [fs.cat_file(p) for p in paths]
    with ThreadPoolExecutor(min(_IO_THREADS, len(paths))) as pool:
        return list(pool.map(fs.cat_file, paths))


def write_files(fs, items) -> int:
    """Write ``(path, bytes)`` pairs to `fs`; return the bytes written.

    Parameters
    ----------
    fs : fsspec.AbstractFileSystem
        The destination's filesystem.
    items : list of (str, bytes)
        Paths and contents.
    """
    items = list(items)
    if len(items) < 2:
        for path, data in items:
            fs.pipe_file(path, data)
    else:
        with ThreadPoolExecutor(min(_IO_THREADS, len(items))) as pool:
            list(pool.map(lambda item: fs.pipe_file(*item), items))
    return sum(len(data) for _, data in items)


def _unreadable(name, exc) -> DataError:
    return DataError(f"Cannot read image {name}: {str(exc) or type(exc).__name__}")


def probe_bytes(name: str, data: bytes, verify: bool = False):
    """An image's Pillow mode and ``(height, width)`` from its bytes.

    `verify` decodes the pixels too (a truncated file fails now). A
    :class:`DataError` names `name` when the bytes are no readable image.

    Parameters
    ----------
    name : str
        The file, for messages.
    data : bytes
        The encoded image.
    verify : bool
        Decode it fully (not only the header).
    """
    try:
        with Image.open(io.BytesIO(data)) as im:
            mode, (w, h) = im.mode, im.size
            if verify:
                im.load()
    except MemoryError:
        raise
    except Exception as exc:  # Pillow raises many types for a bad file
        raise _unreadable(name, exc) from None
    return mode, h, w


def decode_bytes(name: str, data: bytes, mode: str, size, fit: str) -> np.ndarray:
    """Decode an image's bytes to uint8 pixels of `mode` and `size`.

    The same pixels as :func:`~pixsmote.data.decode_image` on the file.

    Parameters
    ----------
    name : str
        The file, for messages.
    data : bytes
        The encoded image.
    mode : str
        Mode to convert to (``"L"`` or ``"RGB"``).
    size : (int, int)
        Height and width to bring the image to.
    fit : str
        How: ``"resize"``, ``"crop"`` or ``"pad"``.
    """
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            return convert_image(im, mode, size, fit)
    except (MemoryError, UsageError):
        raise
    except Exception as exc:  # Pillow raises many types for a bad file
        raise _unreadable(name, exc) from None


def png_bytes(pixels: np.ndarray, compress_level: int = 1) -> bytes:
    """The PNG file :func:`~pixsmote.data.encode_png` writes, as bytes.

    Parameters
    ----------
    pixels : ndarray
        One image, ``(H, W)`` or ``(H, W, C)`` uint8.
    compress_level : int
        zlib level, as for the local writer.
    """
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8:
        raise DataError(
            f"Only uint8 images can be written as PNG. Got dtype {pixels.dtype} "
            "instead; write a .npz file instead."
        )
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()


@dataclass
class FolderSource:
    """A folder dataset on any filesystem, as plain data.

    Attributes
    ----------
    fs : fsspec.AbstractFileSystem
    root : str
        The folder inside `fs`.
    files : list of str
        Each image's path inside `fs`.
    relpaths : list of str
        Each image's path relative to `root` (the manifest's ``source:``
        references and the output names come from it).
    y : numpy.ndarray of int64
    class_names : list of str
    mode : {"L", "RGB"}
    size : (int, int)
    fit : {"resize", "crop", "pad"}
    copyable : numpy.ndarray of bool
        Files already in `mode` and `size` (copied byte for byte).
    verified : bool
        Every file was decoded once already.
    name : str
        Where it came from, for messages.
    skipped : list of (str, str)
        Files left out as unreadable, with the reason.
    """

    fs: object
    root: str
    files: list
    relpaths: list
    y: np.ndarray
    class_names: list
    mode: str
    size: tuple
    fit: str
    copyable: np.ndarray
    verified: bool = False
    name: str = ""
    skipped: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.y)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def counts(self) -> np.ndarray:
        return np.bincount(self.y, minlength=self.n_classes)

    @property
    def image_shape(self) -> tuple:
        return tuple(self.size) if self.mode == "L" else (*self.size, 3)

    @property
    def decode_options(self) -> tuple:
        """``(mode, size, fit)`` as :func:`decode_bytes` takes them."""
        return self.mode, tuple(self.size), self.fit


def source_from_dataset(dataset: Dataset) -> FolderSource:
    """The :class:`FolderSource` of a local file-backed dataset (folder, list file).

    Parameters
    ----------
    dataset : Dataset
        A file-backed dataset on the local disk.
    """
    if not dataset.is_file_backed:
        raise UsageError(
            f"{dataset.name}: a distributed run reads image files. Expected a folder "
            "or a list file. Got an in-memory dataset (.npz or built-in) instead."
        )
    fs, _ = open_url(dataset.root or Path(dataset.paths[0]).parent)
    return FolderSource(
        fs=fs,
        root=str(dataset.root) if dataset.root is not None else "",
        files=[str(p) for p in dataset.paths],
        relpaths=[dataset.relpath(i) for i in range(len(dataset))],
        y=dataset.y,
        class_names=list(dataset.class_names),
        mode=dataset.mode,
        size=tuple(dataset.size),
        fit=dataset.fit,
        copyable=np.array([dataset.is_copyable(i) for i in range(len(dataset))], bool),
        verified=dataset.verified,
        name=dataset.name,
        skipped=[(str(p), reason) for p, reason in dataset.skipped],
    )


def source_from_probes(
    fs, root, files, relpaths, labels, class_names, probes, *, mode=None, size=None,
    fit="resize", verified=False, name="",
) -> FolderSource:  # fmt: skip
    """Settle the common mode and size from each file's probe, as the local
    readers do (:func:`~pixsmote.data.read_folder`).

    `probes` holds ``(mode, height, width)`` per file, or a :class:`DataError`
    for a file to leave out (``skip_bad``).

    Parameters
    ----------
    fs : fsspec.AbstractFileSystem
        The source's filesystem.
    root : str
        The folder of class sub-folders.
    files : list of str
        Every image file, as read from `fs`.
    relpaths : list of str
        The same, relative to `root`.
    labels : array-like of int
        Label of each file.
    class_names : list of str
        Class names, by label.
    probes : list
        Each file's ``(mode, height, width)``.
    mode, size, fit : optional
        As for :func:`~pixsmote.data.load_dataset`.
    verified : bool
        Whether every file was decoded already.
    name : str
        The source, for messages.
    """
    if mode is not None and mode not in MODES:
        raise UsageError(f"mode must be one of {MODES}. Got {mode!r} instead.")
    if fit not in FITS:
        raise UsageError(f"fit must be one of {FITS}. Got {fit!r} instead.")
    size = parse_size(size)
    skipped, keep = [], []
    for i, probe in enumerate(probes):
        if isinstance(probe, DataError):
            skipped.append((files[i], str(probe)))
        else:
            keep.append(i)
    if not keep:
        raise DataError(f"{name}: none of the {len(files)} images could be read.")
    probes = [probes[i] for i in keep]
    modes = Counter(p[0] for p in probes)
    sizes = Counter((p[1], p[2]) for p in probes)
    target_mode = mode or common_mode(modes)
    if size is None:
        if len(sizes) > 1:
            raise DataError(
                f"{name}: images have different sizes: {format_sizes(sizes)}. "
                "Pass --size HxW (with --fit resize|crop|pad) to bring them to one "
                "size."
            )
        size = next(iter(sizes))
    copyable = np.array(
        [p[0] == target_mode and (p[1], p[2]) == tuple(size) for p in probes], bool
    )
    return FolderSource(
        fs=fs,
        root=root,
        files=[files[i] for i in keep],
        relpaths=[relpaths[i] for i in keep],
        y=np.asarray(labels, dtype=np.int64)[keep],
        class_names=list(class_names),
        mode=target_mode,
        size=tuple(size),
        fit=fit,
        copyable=copyable,
        verified=verified,
        name=name,
        skipped=skipped,
    )


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
    used = [set() for _ in folders]

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


def marker_bytes(class_names) -> bytes:
    """The ``.pixsmote.json`` of a folder output, byte for byte the local
    writer's: who wrote it, and each class folder's original name.

    Parameters
    ----------
    class_names : list of str
        The class names, by label.
    """
    folders = class_folder_names(list(class_names))
    info = marker_info(
        "dataset", classes=dict(zip(folders, class_names, strict=True))
    )
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
        self.tmp = posixpath.join(str(parent), f".{name}.{uuid.uuid4().hex[:12]}.tmp")
        self._created = []

    def open(self, folders=()) -> None:
        """Create the temporary prefix (and, locally, its class folders)."""
        if self.local:
            parent = Path(self.dst).parent
            while not parent.exists():
                self._created.append(parent)
                parent = parent.parent
            for folder in folders:
                Path(self.tmp, folder).mkdir(parents=True, exist_ok=True)
            Path(self.tmp).mkdir(parents=True, exist_ok=True)

    def commit(self) -> None:
        """Move the written output to the destination."""
        if self.local:
            dst, tmp = Path(self.dst), Path(self.tmp)
            old = None
            if dst.exists() or dst.is_symlink():
                old = dst.with_name(f".{dst.name}.{os.getpid()}.old")
                os.replace(dst, old)
            os.replace(tmp, dst)
            if old is not None:
                if old.is_dir() and not old.is_symlink():
                    shutil.rmtree(old)
                else:
                    old.unlink()
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
                for folder in self._created:  # innermost first
                    with contextlib.suppress(OSError):
                        folder.rmdir()
                return not os.path.exists(self.tmp)
            if self.fs.exists(self.tmp):
                self.fs.rm(self.tmp, recursive=True)
            return not self.fs.exists(self.tmp)
        except Exception:
            return False

