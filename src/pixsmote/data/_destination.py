"""The rules for where an output may be written, in one place.

A destination is refused when it exists (unless ``overwrite``), and when
replacing it would delete the input it is made from (``--overwrite`` on the
source folder itself, or on a folder holding it). The writers check it again
when they open the destination; callers that read a large source first (the
``balance`` pipeline, the CLI) check it before reading, so a mistake costs no
decoding.
"""

from __future__ import annotations

from pathlib import Path

from pixsmote._errors import UsageError
from pixsmote.data._dataset import Dataset

__all__ = ["MANIFEST_NAME", "check_destination", "manifest_path_for"]

#: Manifest file name inside an output folder.
MANIFEST_NAME = "manifest.csv"


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


def _source_path(source: Dataset | None) -> Path | None:
    """The folder or file a dataset was read from (None: built-in, in memory)."""
    if source is None:
        return None
    if source.root is None and source.paths is None:
        return Path(source.name) if Path(source.name).exists() else None
    return source.root


def check_destination(
    dst, *, overwrite: bool = False, source: Dataset | None = None
) -> list[Path]:
    """Refuse a destination that may not be written; return the paths it takes.

    Parameters
    ----------
    dst : path-like
        A folder, or a ``.npz`` file (whose manifest goes beside it).
    overwrite : bool, default=False
        Whether an existing destination may be replaced.
    source : Dataset, optional
        The input the output is made from: a destination equal to it, or
        holding it, is refused even with `overwrite` (replacing it would
        delete the input).

    Returns
    -------
    list of pathlib.Path
        `dst` (absolute), and for a ``.npz`` its manifest.

    Raises
    ------
    UsageError
        When a target exists and `overwrite` is False, or when `dst` would
        replace `source`.
    """
    dst = Path(dst).absolute()
    targets = [dst]
    if dst.suffix.lower() == ".npz":
        targets.append(manifest_path_for(dst))
    existing = [t for t in targets if t.exists() or t.is_symlink()]
    if existing and not overwrite:
        raise UsageError(
            f"{existing[0]} already exists. Pass --overwrite (overwrite=True) to "
            "replace it, or choose another --out."
        )
    src = _source_path(source)
    if src is not None:
        src, target = src.resolve(), dst.resolve()
        if src == target or src.is_relative_to(target):
            raise UsageError(
                f"--out {dst} would replace the input {src}. Expected a "
                "destination outside the input. Got the input itself instead."
            )
    return targets
