"""The rules for where an output may be written, in one place.

pixsmote behaves like ``rsync`` or ``git`` here: it never destroys what it did
not create. A destination is refused

* when it is empty (``--out ''``) or the current folder (or above it);
* when it is the input, inside an input folder, above the input, or holds any
  file the input reads: for a folder of class sub-folders, that folder; for a
  list file, the list file and the folder its paths are under; for a ``.npz``
  or a built-in dataset, its files;
* when it exists, unless ``overwrite`` is given, and even then unless
  pixsmote wrote it: an output folder holds a marker file
  (:data:`MARKER_NAME`, written last, when the output is complete), an output
  ``.npz`` holds an array ``__pixsmote__``, and the manifest beside it starts
  with the manifest header. An empty folder or file holds nothing to lose and
  may be replaced.

The writers check it again when they open the destination; callers that read a
large source first (the ``balance`` pipeline, the CLI) check it before reading,
so a mistake costs no decoding. :func:`check_run_folder` holds the rule for a
folder that is added to rather than replaced (``pixsmote bench``, ``demo``).
"""

from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path

import numpy as np

from pixsmote._errors import DataError, UsageError
from pixsmote.data._dataset import Dataset

__all__ = [
    "MANIFEST_NAME",
    "MARKER_NAME",
    "NPZ_MARKER_KEY",
    "check_destination",
    "check_run_folder",
    "is_pixsmote_output",
    "manifest_path_for",
    "read_marker",
    "read_output_marker",
    "work_paths",
    "write_marker",
]

#: Manifest file name inside an output folder.
MANIFEST_NAME = "manifest.csv"

#: Marker file of a folder pixsmote wrote (JSON: what wrote it, and the
#: original class name of each class folder). A balance output gets it last,
#: when the output is complete; a run folder when it is created.
MARKER_NAME = ".pixsmote.json"

#: Array of a ``.npz`` pixsmote wrote (a JSON string like the marker file's).
NPZ_MARKER_KEY = "__pixsmote__"

# Markers of earlier versions, still recognised.
_LEGACY_MARKERS = (".pixsmote-demo",)

_MANIFEST_HEADER = "path,label,origin,parent_a,parent_b,gap,method"


def manifest_path_for(dst) -> Path:
    """Where the manifest of an output goes: inside a folder, beside a ``.npz``.

    ``out/`` -> ``out/manifest.csv``; ``out.npz`` -> ``out.manifest.csv``.

    Parameters
    ----------
    dst : path-like
        The output: a folder or a ``.npz`` file.
    """
    dst = Path(dst)
    if dst.suffix.lower() == ".npz":
        return dst.with_name(dst.stem + ".manifest.csv")
    return dst / MANIFEST_NAME


def marker_info(kind: str, **info) -> dict:
    """The content of a marker: who wrote the output, and `info`."""
    # The package is imported already (it holds this module); looked up rather
    # than imported, as data may not import the package root (the samplers).
    version = getattr(sys.modules.get("pixsmote"), "__version__", "")
    return {"written_by": "pixsmote", "version": version, "kind": kind, **info}


def write_marker(folder, kind: str, **info) -> Path:
    """Mark `folder` as written by pixsmote (`kind`: balance, bench, demo).

    Parameters
    ----------
    folder : path-like
        The folder to mark.
    kind : str
        What wrote it (``"balance"``, ``"bench"``, ``"demo"``).
    info : dict
        More keys for the marker (keyword arguments).
    """
    path = Path(folder) / MARKER_NAME
    path.write_text(json.dumps(marker_info(kind, **info), indent=1) + "\n")
    return path


def read_marker(folder) -> dict | None:
    """The marker of a folder pixsmote wrote, or None.

    Parameters
    ----------
    folder : path-like
        The folder to look in.
    """
    try:
        info = json.loads((Path(folder) / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(info, dict) and info.get("written_by") == "pixsmote":
        return info
    return None


def read_output_marker(path) -> dict | None:
    """The marker of an output pixsmote wrote, folder or ``.npz``, or None.

    A folder's ``.pixsmote.json`` (:func:`read_marker`), or the
    ``__pixsmote__`` array of an ``.npz`` that ``pixsmote balance`` wrote.

    Parameters
    ----------
    path : path-like
        A folder or an ``.npz`` file.
    """
    path = Path(path)
    if path.is_dir():
        return read_marker(path)
    if path.suffix.lower() != ".npz" or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            if NPZ_MARKER_KEY not in npz.files:
                return None
            info = json.loads(str(npz[NPZ_MARKER_KEY][()]))
    except (OSError, ValueError, zipfile.BadZipFile):
        return None
    if isinstance(info, dict) and info.get("written_by") == "pixsmote":
        return info
    return None


def is_pixsmote_output(path) -> bool:
    """Whether replacing `path` loses nothing pixsmote did not write.

    True for a folder with a marker, an ``.npz`` with a ``__pixsmote__`` array,
    a manifest (its header), an empty folder or file, and a missing path.

    Parameters
    ----------
    path : path-like
        A folder or file that an output would replace.
    """
    path = Path(path)
    if not path.exists():
        return True  # missing, or a dangling link: nothing to lose
    if path.is_dir():
        if read_marker(path) is not None:
            return True
        if any((path / name).is_file() for name in _LEGACY_MARKERS):
            return True
        return not any(path.iterdir())
    try:
        if path.stat().st_size == 0:
            return True
        if path.name.endswith(".manifest.csv") or path.name == MANIFEST_NAME:
            with open(path, encoding="utf-8", errors="replace") as fh:
                return fh.readline().strip() == _MANIFEST_HEADER
        if path.suffix.lower() == ".npz":
            with zipfile.ZipFile(path) as zf:
                return f"{NPZ_MARKER_KEY}.npy" in zf.namelist()
    except (OSError, zipfile.BadZipFile):
        return False
    return False


def work_paths(dst: Path) -> tuple[Path, Path, Path]:
    """The temporary folder, the aside name of a replaced output, the lock file.

    The first two hold the writer's PID, so that a later run into the same
    destination recognises the leftovers of one that was killed.
    """
    pid = os.getpid()
    return (
        dst.with_name(f".{dst.name}.pixsmote-{pid}.tmp"),
        dst.with_name(f".{dst.name}.pixsmote-{pid}.old"),
        dst.with_name(f".{dst.name}_pixsmote.lock"),
    )


def _existing_ancestor(path: Path) -> Path:
    while not (path.exists() or path.is_symlink()) and path != path.parent:
        path = path.parent
    return path


def _check_writable(dst: Path, names: list[Path]) -> None:
    """A destination the file system cannot take: one-line DataErrors."""
    parent = _existing_ancestor(dst.parent)
    try:
        name_max = os.pathconf(parent if parent.is_dir() else parent.parent,
                               "PC_NAME_MAX")  # fmt: skip
    except (OSError, ValueError):
        name_max = 255
    for p in names:
        if len(os.fsencode(p.name)) > name_max:
            raise DataError(
                f"Cannot write {dst}: its name is too long for the file system "
                f"once pixsmote adds its suffixes ({len(os.fsencode(p.name))} "
                f"bytes in {p.name[:24]}..., at most {name_max}). Choose a "
                f"shorter --out. Got a {len(os.fsencode(dst.name))}-byte name "
                "instead."
            )
    if not parent.is_dir():
        raise DataError(
            f"Cannot write {dst}: {parent} is a file, not a folder. Choose another "
            "--out. Got a file instead."
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise DataError(
            f"Cannot write {dst}: {parent} is read-only or not writable for this "
            "user. Choose another --out. Got a read-only folder instead."
        )


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def _source_locations(source, root) -> tuple[list[Path], list[Path], list[Path]]:
    """(folders that define the input, files it reads, folders its paths are under)."""
    if source is None:
        return [], [], []
    if isinstance(source, Dataset):
        folders: list[Path] = []
        files: list[Path] = []
        roots: list[Path] = []
        for s in source.sources:
            (folders if s.is_dir() else files).append(s)
        if source.list_file is not None and source.root is not None:
            roots.append(source.root)
        return folders, files, roots
    path = Path(source).absolute()
    if path.is_dir():
        return [path], [], []
    if path.is_file():
        if path.suffix.lower() == ".npz":
            return [], [path], []
        return [], [path], [Path(root).absolute() if root else path.parent]
    return [], [], []  # a built-in name


def _refuse_input(dst: Path, what: Path, how: str) -> UsageError:
    return UsageError(
        f"--out {dst} would {how} the input {what}. Expected a destination "
        f"outside the input. Got {'the input itself' if dst == what else dst} "
        "instead."
    )


def check_destination(
    dst,
    *,
    overwrite: bool = False,
    source: Dataset | os.PathLike | str | None = None,
    root=None,
) -> list[Path]:
    """Refuse a destination that may not be written; return the paths it takes.

    Parameters
    ----------
    dst : path-like
        A folder, or a ``.npz`` file (whose manifest goes beside it).
    overwrite : bool, default=False
        Whether an existing destination may be replaced; only one pixsmote
        wrote is (:func:`is_pixsmote_output`).
    source : Dataset or path-like, optional
        The input the output is made from (a dataset, or the path given as
        SRC before it is read): a destination equal to it, inside an input
        folder, above it, or holding a file it reads is refused even with
        `overwrite` (replacing it would delete the input).
    root : path-like, optional
        For a list-file `source` given as a path: the folder its paths are
        relative to (default: its folder).

    Returns
    -------
    list of pathlib.Path
        `dst` (absolute), and for a ``.npz`` its manifest.

    Raises
    ------
    UsageError
        For every refusal above.
    DataError
        When the file system cannot take `dst`: a parent is a file, the folder
        is read-only, or the name is too long once the temporary suffix is
        added.
    """
    try:
        return _check_destination(dst, overwrite, source, root)
    except OSError as exc:  # e.g. a folder name on the way that is too long
        raise DataError(
            f"Cannot write {os.fspath(dst)}: {exc.strerror or exc}. Choose another "
            f"--out. Got {os.fspath(dst)!r} instead."
        ) from None


def _check_destination(dst, overwrite, source, root) -> list[Path]:
    text = os.fspath(dst)
    if not text.strip() or Path(text) == Path("."):
        raise UsageError(
            "--out must name a new folder or .npz file, not the current folder. "
            f"Got {text!r} instead."
        )
    dst = Path(dst).absolute()
    _check_writable(dst, [dst, manifest_path_for(dst), *work_paths(dst)])
    real = Path(os.path.realpath(dst))
    cwd = Path(os.path.realpath(os.getcwd()))
    if _is_within(cwd, real):
        raise UsageError(
            f"--out {dst} would replace the current folder {cwd} (or a folder "
            f"holding it). Expected a destination elsewhere. Got {text!r} instead."
        )
    targets = [dst]
    if dst.suffix.lower() == ".npz":
        targets.append(manifest_path_for(dst))
        if dst.is_dir():
            raise UsageError(
                f"--out {dst} is an existing folder, but a name ending in .npz "
                "asks for an .npz file. Choose another --out. Got a folder "
                "instead."
            )

    if (
        isinstance(source, Dataset)
        and not targets[1:]
        and len(source.image_shape) == 3
        and source.image_shape[2] not in (1, 3, 4)
    ):
        channels = source.image_shape[2]
        raise UsageError(
            f"{source.name}: images with {channels} channels cannot be written as "
            f"PNG files to a folder. Write a .npz file instead (--out "
            f"{dst.name}.npz). Got {channels} channels instead."
        )
    folders, files, roots = _source_locations(source, root)
    for target in targets:
        t = Path(os.path.realpath(target))
        for folder in folders:
            f = Path(os.path.realpath(folder))
            if _is_within(f, t):
                raise _refuse_input(target, folder, "replace")
            if t.is_relative_to(f):
                raise _refuse_input(target, folder, "write into")
        for file in files:
            f = Path(os.path.realpath(file))
            if t == f or f.is_relative_to(t):
                raise _refuse_input(target, file, "replace")
        for folder in roots:
            f = Path(os.path.realpath(folder))
            if _is_within(f, t):
                raise _refuse_input(target, folder, "replace")
    if (
        isinstance(source, Dataset)
        and source.paths is not None
        and real.is_dir()
        and not real.is_symlink()
    ):
        prefix = str(real).rstrip(os.sep) + os.sep
        for p in source.paths:
            if os.path.realpath(p).startswith(prefix):
                raise _refuse_input(dst, p, "replace a file of")

    existing = [t for t in targets if t.exists() or t.is_symlink()]
    if existing and not overwrite:
        raise UsageError(
            f"{existing[0]} already exists. Pass --overwrite (overwrite=True) to "
            "replace it, or choose another --out."
        )
    for target in existing:
        if not is_pixsmote_output(target):
            what = "folder" if target.is_dir() else "file"
            mark = MARKER_NAME if what == "folder" else "pixsmote marker"
            raise UsageError(
                f"{target} was not written by pixsmote (no {mark}), so "
                "--overwrite leaves it alone. Choose another --out, or move it "
                f"away yourself. Got an existing {what} instead."
            )
    return targets


def check_run_folder(out, *, command: str = "bench") -> Path:
    """Refuse a run folder that pixsmote may not add to; return it (absolute).

    A run folder (``pixsmote bench``, ``demo``) is written into as it goes and
    resumed later, so it may be new, empty, or one pixsmote made (its marker,
    or a ``bench.json`` of an earlier version); an existing file, or a folder
    holding anything else, is refused.

    Parameters
    ----------
    out : path-like
        The folder ``bench``/``demo`` writes run folders into.
    command : str
        The command, for messages (``"bench"``).
    """
    text = os.fspath(out)
    if not text.strip():
        raise UsageError(f"--out must name a folder. Got {text!r} instead.")
    out = Path(out).absolute()
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise UsageError(
                f"--out {out} must be a folder for the {command}'s runs. Got an "
                "existing file instead."
            )
        kind = (read_marker(out) or {}).get("kind")
        legacy = any(
            (out / name).is_file() for name in ("bench.json", *_LEGACY_MARKERS)
        )
        if not (kind in ("bench", "demo") or legacy or not any(out.iterdir())):
            raise UsageError(
                f"--out {out} exists and was not written by pixsmote (no "
                f"{MARKER_NAME}); 'pixsmote {command}' only adds to its own "
                "folders. Choose another --out or empty it. Got a non-empty "
                "folder instead."
            )
    return out
