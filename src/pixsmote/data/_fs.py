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

import io
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from pixsmote._errors import DataError, UsageError
from pixsmote._signals import checkpoint, holding_signals
from pixsmote.data._dataset import Dataset
from pixsmote.data._files import format_sizes
from pixsmote.data._io import (
    FITS,
    IMAGE_EXTENSIONS,
    MODES,
    common_mode,
    convert_image,
    parse_size,
)

__all__ = [
    "FolderSource",
    "decode_bytes",
    "is_local",
    "is_url",
    "list_folder",
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
    files: list[str] = []
    relpaths: list[str] = []
    labels: list[int] = []
    for label, cls in enumerate(class_names):
        found: list[str] = []
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
    return _threaded(fs.cat_file, paths)


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
        _threaded(lambda item: fs.pipe_file(*item), items)
    return sum(len(data) for _, data in items)


def _threaded(fn, items: list) -> list:
    """``[fn(x) for x in items]`` on I/O threads, in order.

    A signal waits for the next finished item (see pixsmote._signals).
    """
    results = []
    with holding_signals(), ThreadPoolExecutor(min(_IO_THREADS, len(items))) as pool:
        for result in pool.map(fn, items):
            results.append(result)
            checkpoint()
    return results


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
    paths = dataset.paths
    assert paths is not None  # file-backed, checked above
    fs, _ = open_url(dataset.root or Path(paths[0]).parent)
    return FolderSource(
        fs=fs,
        root=str(dataset.root) if dataset.root is not None else "",
        files=[str(p) for p in paths],
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
