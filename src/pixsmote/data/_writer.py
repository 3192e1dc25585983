"""Write datasets to folders or ``.npz`` files, atomically, with a manifest.

Everything is written into a temporary folder beside the destination and moved
into place with :func:`os.replace` at the very end; an exception, Ctrl-C or a
termination signal removes the temporary folder, so a destination is either
complete or absent (:func:`atomic_output` also locks the destination, cleans
up after killed runs and turns file-system errors into one-line messages).

The writers know nothing of how images were made: synthetic images arrive as
ready pixel chunks with their labels and parents (:class:`Synthetic`), and the
manifest rows say what the caller tells them.

Images are written by a pool of threads (Pillow and zlib release the GIL while
encoding, and file copies wait on the disk), with a bounded number of images in
flight so that memory stays flat however large the output.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pixsmote._errors import DataError
from pixsmote._signals import checkpoint, holding_signals
from pixsmote.data._atomic import atomic_output
from pixsmote.data._dataset import Dataset, default_jobs
from pixsmote.data._destination import (
    NPZ_MARKER_KEY,
    manifest_path_for,
    marker_info,
)
from pixsmote.data._io import decode_image, encode_png, probe_image
from pixsmote.data._listfile import format_list_line
from pixsmote.data._manifest import ManifestRow, write_manifest
from pixsmote.data._progress import progress_bar

__all__ = [
    "LIST_FILE_NAME",
    "Synthetic",
    "WriteResult",
    "atomic_output",
    "class_folder_names",
    "write_dataset",
    "write_output",
]

#: List file (``path label`` lines) inside an output folder.
LIST_FILE_NAME = "train_balanced.txt"

# Bytes of synthetic pixels produced at a time when no chunk size is given.
_CHUNK_BYTES = 64 * 2**20


def class_folder_names(class_names: list[str]) -> list[str]:
    """A safe, distinct folder name for each class.

    Characters other than letters (any script), digits, ``.``, ``_`` and ``-``
    become ``_`` (``"T-shirt/top"`` -> ``"T-shirt_top"``); names that then
    clash (``"a/b"`` and ``"a_b"``), also when only their case differs, get a
    ``_1``, ``_2``, ... suffix, so every class keeps its own folder. The
    original names are recorded in the output's marker file, manifest and
    list file, and :func:`~pixsmote.data.load_dataset` reads them back.

    Parameters
    ----------
    class_names : list of str
        The class names, in label order.
    """
    names, used = [], set()
    for i, name in enumerate(class_names):
        safe = re.sub(r"[^\w.-]", "_", name).strip(".") or f"class_{i}"
        candidate, k = safe, 1
        while candidate.casefold() in used:
            candidate, k = f"{safe}_{k}", k + 1
        used.add(candidate.casefold())
        names.append(candidate)
    return names


@dataclass
class Synthetic:
    """New images to write after the originals: their provenance, then pixels.

    The labels and parents are known before any pixel is produced (file names
    and the manifest are laid out first); the pixels are produced a chunk at a
    time, in row order, so that memory stays bounded by a chunk.

    Attributes
    ----------
    labels : numpy.ndarray of int64, shape (n,)
    parent_a, parent_b : numpy.ndarray of int64, shape (n,)
        Dataset indices of each image's two parents.
    gap : numpy.ndarray of float, shape (n,)
        Where between its parents each image lies (``parent_a + gap *
        (parent_b - parent_a)``), as the manifest records it.
    method : str
        What made them (the manifest's ``method`` column).
    chunks : callable
        ``chunks(k)`` yields the pixels of rows ``[0, k)``, ``[k, 2k)``, ... in
        order: arrays of at most `k` images of the dataset's image shape and
        dtype.
    """

    labels: np.ndarray
    parent_a: np.ndarray
    parent_b: np.ndarray
    gap: np.ndarray
    method: str
    chunks: Callable[[int], Iterable[np.ndarray]]

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class WriteResult:
    """What :func:`write_output` wrote.

    Attributes
    ----------
    dst : pathlib.Path
    manifest : pathlib.Path
    y : numpy.ndarray of int64
        Labels of the written images, in manifest order.
    rows : int
    """

    dst: Path
    manifest: Path
    y: np.ndarray
    rows: int


def _run_bounded(pool, tasks, limit, update):
    """Run callables on `pool`, at most `limit` at a time, in order.

    Call it inside :func:`holding_signals`: a signal's exception then comes
    from :func:`checkpoint` after a task, never from inside ``submit`` or
    ``result``, where it could leave a lock taken and the shutdown below
    would wait forever.
    """
    pending: collections.deque[Future[None]] = collections.deque()
    try:
        for task in tasks:
            pending.append(pool.submit(task))
            while len(pending) >= limit:
                pending.popleft().result()
                update(1)
                checkpoint()
        while pending:
            pending.popleft().result()
            update(1)
            checkpoint()
    except BaseException:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        raise


def _chunk_rows(dataset: Dataset, chunk_size: int | None) -> int:
    if chunk_size is not None:
        return max(1, int(chunk_size))
    per_image = max(1, int(np.prod(dataset.image_shape)) * dataset.dtype.itemsize)
    return max(1, _CHUNK_BYTES // per_image)


def _check_chunk_rows(produced: int, expected: int) -> None:
    """A chunk producer that yields more or fewer rows than promised is a bug."""
    if produced != expected:
        raise RuntimeError(
            f"synthetic chunks held {produced} images; the rows promised {expected}"
        )


def _copy_or_link(src: Path, dst: Path, link: bool) -> None:
    if link:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass  # another file system, or links not allowed: copy instead
    shutil.copy2(src, dst)


def write_output(
    dataset: Dataset,
    dst,
    kept,
    *,
    duplicates=(),
    duplicates_method: str = "",
    synthetic: Synthetic | None = None,
    overwrite: bool = False,
    jobs: int | None = None,
    link: bool = False,
    chunk_size: int | None = None,
    compress_level: int = 1,
    progress: bool | None = None,
    made_by: dict | None = None,
) -> WriteResult:
    """Write originals, duplicates and synthetic images of `dataset` to `dst`.

    The output is a folder of class sub-folders with ``manifest.csv`` and
    ``train_balanced.txt``, or, when `dst` ends in ``.npz``, arrays ``X``,
    ``y``, ``class_names`` with the manifest beside it
    (:func:`manifest_path_for`). Rows are in this order: the originals `kept`,
    the `duplicates`, the synthetic images.

    Parameters
    ----------
    dataset : Dataset
        The source.
    dst : path-like
    kept : array-like of int
        Dataset indices of the originals to write.
    duplicates : array-like of int
        Dataset indices of originals to write once more, as synthetic rows with
        ``gap`` 0 (random over-sampling's copies).
    duplicates_method : str
        The manifest's ``method`` of the duplicate rows (required with
        `duplicates`).
    synthetic : Synthetic, optional
    overwrite : bool, default=False
    jobs : int, optional
        Writer threads; default :func:`~pixsmote.data.default_jobs`.
    link : bool, default=False
        Hard-link originals that need no conversion instead of copying them.
    chunk_size : int, optional
        Synthetic images produced at a time (default: about 64 MiB of pixels).
    compress_level : int, default=1
        PNG compression (0..9).
    progress : bool or None
        Draw a progress bar (None: when stderr is a terminal).
    made_by : dict, optional
        How the output was made (JSON-safe: the command, sampler and its
        parameters), stored under ``made_by`` in its marker (the folder's
        ``.pixsmote.json``, the ``.npz``'s ``__pixsmote__``), where
        :func:`read_output_marker` finds it.
    """
    dst = Path(dst).absolute()
    kept = np.asarray(kept, dtype=np.int64).reshape(-1)
    duplicates = np.asarray(duplicates, dtype=np.int64).reshape(-1)
    if len(duplicates) and not duplicates_method:
        raise ValueError("duplicates need a duplicates_method for the manifest")
    jobs = jobs or default_jobs()
    to_npz = dst.suffix.lower() == ".npz"
    if not to_npz and dataset.dtype != np.uint8:
        raise DataError(
            f"Images of dtype {dataset.dtype} cannot be written as PNG files "
            f"({dataset.name}). Expected uint8; write to a .npz file instead."
        )
    if synthetic is not None and not len(synthetic):
        synthetic = None
    n_syn = 0 if synthetic is None else len(synthetic)
    per_image = int(np.prod(dataset.image_shape)) * dataset.dtype.itemsize
    if to_npz:  # exact: the arrays are stored uncompressed
        needed = expected = (len(kept) + len(duplicates) + n_syn) * (
            per_image + 8
        ) + 2**16
    else:  # copies are exact; a PNG file is at most about its raw size
        originals = np.concatenate([kept, duplicates])
        needed = 0 if link else _copied_bytes(dataset, originals)
        expected = needed + n_syn * per_image
    folders = class_folder_names(dataset.class_names)
    marker = {
        "kind": "dataset",
        "classes": dict(zip(folders, dataset.class_names, strict=True)),
        **({} if made_by is None else {"made_by": made_by}),
    }
    y_out = np.concatenate(
        [
            dataset.y[kept],
            dataset.y[duplicates],
            np.asarray([] if synthetic is None else synthetic.labels, dtype=np.int64),
        ]
    )
    with atomic_output(
        dst, overwrite=overwrite, source=dataset, needed_bytes=needed,
        expected_bytes=expected, marker=marker,
    ) as tmp:  # fmt: skip
        writer = _npz_writer if to_npz else _folder_writer
        rows = writer(
            dataset, dst, tmp, kept, duplicates, duplicates_method, synthetic,
            jobs=jobs, link=link, chunk_size=chunk_size,
            compress_level=compress_level, progress=progress, made_by=made_by,
        )  # fmt: skip
        manifest = manifest_path_for(dst)
        write_manifest(rows, tmp / manifest.name)
        if not to_npz:
            with open(tmp / LIST_FILE_NAME, "w", encoding="utf-8") as fh:
                fh.writelines(format_list_line(r.path, r.label) for r in rows)
    return WriteResult(dst, manifest, y_out, len(rows))


def _copied_bytes(dataset: Dataset, indices) -> int:
    """Bytes of the original files copied as they are."""
    if not dataset.is_file_backed:
        return 0
    paths = dataset.paths
    assert paths is not None  # file-backed, checked above
    total = 0
    for i in np.unique(indices):
        if dataset.is_copyable(i):
            with contextlib.suppress(OSError):
                total += paths[int(i)].stat().st_size
    return total


def _parent_refs(dataset, out_ref):
    """Manifest reference of each dataset index, for parents."""

    def ref(i):
        i = int(i)
        if out_ref[i] is not None:
            return out_ref[i]
        return f"source:{dataset.relpath(i)}"

    return ref


def _folder_writer(
    dataset, dst, tmp, kept, duplicates, duplicates_method, synthetic, *, jobs,
    link, chunk_size, compress_level, progress, made_by,
):  # fmt: skip
    del made_by  # in the folder's marker, which atomic_output writes last
    folders = class_folder_names(dataset.class_names)
    safe_labels = dataset.class_names  # the manifest records the original names
    for folder in folders:
        (tmp / folder).mkdir()
    used: list[set[str]] = [set() for _ in folders]
    n_width = max(6, len(str(len(dataset))))

    def claim(label, stem, suffix):
        """A free file name in the class folder of `label`."""
        name, k = f"{stem}{suffix}", 1
        while name.lower() in used[label]:
            name, k = f"{stem}_{k}{suffix}", k + 1
        used[label].add(name.lower())
        return f"{folders[label]}/{name}"

    def original_name(i, stem=None):
        label = int(dataset.y[i])
        if dataset.is_file_backed:
            src = dataset.paths[i]
            suffix = src.suffix if dataset.is_copyable(i) else ".png"
            return claim(label, stem or src.stem, suffix)
        return claim(label, stem or f"original_{i:0{n_width}d}", ".png")

    def write_original(i, rel):
        target = tmp / rel
        if dataset.is_file_backed:
            src = dataset.paths[i]
            if dataset.is_copyable(i):
                if not dataset.verified:
                    probe_image(src, verify=True)  # fail on a corrupt file now
                _copy_or_link(src, target, link)
            else:
                pixels = decode_image(src, dataset.mode, dataset.size, dataset.fit)
                encode_png(pixels, target, compress_level)
        else:
            encode_png(dataset.X[i], target, compress_level)

    # Names first (cheap, in the main thread), so that originals keep theirs and
    # synthetic names skip any taken (e.g. when re-balancing a balanced folder).
    out_ref: list[str | None] = [None] * len(dataset)
    rows = []
    original_rel = []
    for i in kept:
        rel = original_name(int(i))
        out_ref[int(i)] = rel
        original_rel.append(rel)
        rows.append(ManifestRow(rel, safe_labels[dataset.y[i]], "original"))
    width = max(6, len(str(len(duplicates) + (len(synthetic) if synthetic else 0))))
    counter = 0

    def synthetic_name(label, suffix=".png"):
        nonlocal counter
        counter += 1
        return claim(label, f"synthetic_{counter:0{width}d}", suffix)

    ref = _parent_refs(dataset, out_ref)
    dup_rel = []
    for i in duplicates:
        i = int(i)
        suffix = (
            dataset.paths[i].suffix
            if dataset.is_file_backed and dataset.is_copyable(i)
            else ".png"
        )
        rel = synthetic_name(int(dataset.y[i]), suffix)
        dup_rel.append(rel)
        rows.append(
            ManifestRow(rel, safe_labels[dataset.y[i]], "synthetic", ref(i), ref(i),
                        "0", duplicates_method)
        )  # fmt: skip
    syn_rel = []
    if synthetic is not None:
        for r in range(len(synthetic)):
            label = int(synthetic.labels[r])
            rel = synthetic_name(label)
            syn_rel.append(rel)
            rows.append(
                ManifestRow(
                    rel, safe_labels[label], "synthetic",
                    ref(synthetic.parent_a[r]), ref(synthetic.parent_b[r]),
                    repr(float(synthetic.gap[r])), synthetic.method,
                )
            )  # fmt: skip

    def tasks():
        for i, rel in zip(kept, original_rel, strict=True):
            yield lambda i=int(i), rel=rel: write_original(i, rel)
        for i, rel in zip(duplicates, dup_rel, strict=True):
            yield lambda i=int(i), rel=rel: write_original(i, rel)
        if syn_rel:
            step = _chunk_rows(dataset, chunk_size)
            a = 0
            for pixels in synthetic.chunks(step):
                for j, rel in enumerate(syn_rel[a : a + len(pixels)]):
                    yield lambda p=pixels[j], rel=rel: encode_png(
                        p, tmp / rel, compress_level
                    )
                a += len(pixels)
            _check_chunk_rows(a, len(syn_rel))

    with progress_bar(len(rows), f"writing {dst.name}", enabled=progress) as bar:
        with holding_signals(), ThreadPoolExecutor(jobs) as pool:
            _run_bounded(pool, tasks(), 4 * jobs, bar)
    return rows


def _npz_writer(
    dataset, dst, tmp, kept, duplicates, duplicates_method, synthetic, *, jobs,
    link, chunk_size, compress_level, progress, made_by,
):  # fmt: skip
    n_syn = 0 if synthetic is None else len(synthetic)
    n_out = len(kept) + len(duplicates) + n_syn
    shape = (n_out, *dataset.image_shape)
    names = [str(c) for c in dataset.class_names]
    out_ref: list[str | None] = [None] * len(dataset)
    rows = []
    for pos, i in enumerate(kept):
        out_ref[int(i)] = str(pos)
        rows.append(ManifestRow(str(pos), names[dataset.y[i]], "original"))
    ref = _parent_refs(dataset, out_ref)
    pos = len(kept)
    for i in duplicates:
        rows.append(
            ManifestRow(str(pos), names[dataset.y[i]], "synthetic", ref(i), ref(i),
                        "0", duplicates_method)
        )  # fmt: skip
        pos += 1
    for r in range(n_syn):
        rows.append(
            ManifestRow(
                str(pos), names[int(synthetic.labels[r])], "synthetic",
                ref(synthetic.parent_a[r]), ref(synthetic.parent_b[r]),
                repr(float(synthetic.gap[r])), synthetic.method,
            )
        )  # fmt: skip
        pos += 1

    step = _chunk_rows(dataset, chunk_size)
    originals = np.concatenate([kept, duplicates])
    y_out = np.concatenate(
        [
            dataset.y[originals],
            np.asarray(synthetic.labels if n_syn else [], dtype=np.int64),
        ]
    ).astype(np.int64)
    extra = {} if made_by is None else {"made_by": made_by}
    info = json.dumps(marker_info("dataset", **extra), ensure_ascii=False)

    # Streamed into the (uncompressed) archive a chunk at a time: no memory
    # map, whose writes die with SIGBUS when the disk fills up, and no second
    # copy of X on disk.
    with zipfile.ZipFile(tmp / dst.name, "w", zipfile.ZIP_STORED) as zf:
        with zf.open("X.npy", "w", force_zip64=True) as fh:
            _write_npy_header(fh, dataset.dtype, shape)
            with progress_bar(n_out, f"writing {dst.name}", enabled=progress) as bar:
                for a in range(0, len(originals), step):
                    part = dataset.read(originals[a : a + step], jobs=jobs)
                    fh.write(np.ascontiguousarray(part, dataset.dtype).tobytes())
                    bar(len(part))
                if n_syn:
                    produced = 0
                    for pixels in synthetic.chunks(step):
                        fh.write(np.ascontiguousarray(pixels, dataset.dtype).tobytes())
                        produced += len(pixels)
                        bar(len(pixels))
                    _check_chunk_rows(produced, n_syn)
        for key, value in (
            ("y", y_out),
            ("class_names", np.array(names, dtype=str)),
            (NPZ_MARKER_KEY, np.array(info)),
        ):
            with zf.open(f"{key}.npy", "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, value, allow_pickle=False)
    return rows


def _write_npy_header(fh, dtype: np.dtype, shape: tuple) -> None:
    header = {
        "descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
        "fortran_order": False,
        "shape": tuple(int(n) for n in shape),
    }
    np.lib.format.write_array_header_1_0(fh, header)


def write_dataset(dataset: Dataset, dst, **kwargs) -> WriteResult:
    """Write every image of `dataset` to a folder or ``.npz``; see write_output.

    Useful to export a built-in dataset or a split's part, e.g.
    ``write_dataset(load_split("digits-seed-3").train, "train/")``.

    Parameters
    ----------
    dataset : Dataset
        What to write, every image as an original.
    dst : path-like
        A folder or a ``.npz`` file.
    **kwargs
        The options of :func:`write_output` (``overwrite``, ``jobs``, ``link``...).
    """
    return write_output(dataset, dst, np.arange(len(dataset)), **kwargs)
