"""Turn a list of image files and labels into a file-backed :class:`Dataset`.

Every file's header is read (not its pixels, unless ``skip_bad`` asks for a
full check) to find the modes and sizes present and to settle the dataset's
common mode and size.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from pixsmote._errors import DataError, UsageError
from pixsmote._signals import checkpoint, holding_signals
from pixsmote.data._dataset import Dataset, default_jobs
from pixsmote.data._io import (
    FITS,
    MODES,
    check_image_size,
    common_mode,
    parse_size,
    probe_image,
)
from pixsmote.data._progress import progress_bar

__all__ = ["dataset_from_files", "format_sizes"]


def format_sizes(sizes: Counter) -> str:
    """``"28x28 (10 images), 32x32 (2 images)"``, most common first."""
    return ", ".join(
        f"{h}x{w} ({n} image{'s' if n != 1 else ''})"
        for (h, w), n in sizes.most_common()
    )


def dataset_from_files(
    paths: list[Path],
    labels: np.ndarray,
    class_names: list[str],
    *,
    root: Path,
    name: str,
    mode: str | None = None,
    size=None,
    fit: str = "resize",
    skip_bad: bool = False,
    jobs: int | None = None,
    sources=None,
    list_file=None,
    progress: bool | None = None,
) -> Dataset:
    """Probe `paths` and build a file-backed dataset.

    Parameters
    ----------
    paths : list of pathlib.Path
        Absolute image paths.
    labels : numpy.ndarray of int64
        Label of each path, ``0 .. len(class_names) - 1``.
    class_names : list of str
    root : pathlib.Path
        Folder the paths are shown relative to.
    name : str
        The source, for messages.
    mode : {"L", "RGB"} or None
        Convert every image to this mode; None: the most common mode family.
    size : str or (int, int) or None
        ``"HxW"``; required when the images' sizes differ.
    fit : {"resize", "crop", "pad"}
    skip_bad : bool
        Decode every image now and leave out (and list) those that fail,
        instead of failing on the first one.
    jobs : int, optional
        Threads that read headers.
    sources, list_file
        Where the list of files came from (see :class:`Dataset`).
    progress : bool or None
        A bar while headers are read (None: when stderr is a terminal).
    """
    if mode is not None and mode not in MODES:
        raise UsageError(f"mode must be one of {MODES}. Got {mode!r} instead.")
    if fit not in FITS:
        raise UsageError(f"fit must be one of {FITS}. Got {fit!r} instead.")
    size = parse_size(size)
    check_image_size(size, mode)
    if not paths:
        raise DataError(f"{name}: no images found.")

    def probe(path):
        try:
            return probe_image(path, verify=skip_bad)
        except DataError as exc:
            if skip_bad:
                return exc
            raise

    with progress_bar(
        len(paths), f"reading headers of {name}", enabled=progress
    ) as bar:
        # Signals wait for the next header (see pixsmote._signals).
        with holding_signals(), ThreadPoolExecutor(jobs or default_jobs()) as pool:
            probes = []
            for result in pool.map(probe, paths, chunksize=64):
                probes.append(result)
                bar(1)
                checkpoint()

    skipped = []
    keep = []
    for i, result in enumerate(probes):
        if isinstance(result, DataError):
            skipped.append((paths[i], str(result)))
        else:
            keep.append(i)
    if not keep:
        raise DataError(f"{name}: none of the {len(paths)} images could be read.")
    probes = [probes[i] for i in keep]
    paths = [paths[i] for i in keep]
    labels = np.asarray(labels, dtype=np.int64)[keep]

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
        [p[0] == target_mode and (p[1], p[2]) == size for p in probes], dtype=bool
    )
    return Dataset(
        labels,
        class_names,
        paths=paths,
        root=root,
        mode=target_mode,
        size=size,
        fit=fit,
        name=name,
        copyable=copyable,
        modes_found=modes,
        sizes_found=sizes,
        skipped=skipped,
        verified=skip_bad,
        sources=sources,
        list_file=list_file,
    )
