"""Atomic output: a destination appears complete or not at all.

Everything is written to ``.<name>.pixsmote-<PID>.tmp`` beside the destination
and renamed into place at the end, under a lock on the destination; an error,
Ctrl-C, SIGTERM or SIGHUP removes the temporary folder, and the next run into a
destination removes what a killed run left. Split from the writer so that the
commit protocol is one module of its own (docs/contracts.md, "Writing").
"""

from __future__ import annotations

import contextlib
import errno
import glob
import json
import os
import re
import shutil
import sys
from pathlib import Path

from pixsmote._errors import DataError
from pixsmote.data._destination import (
    MARKER_NAME,
    check_destination,
    marker_info,
    work_paths,
)

__all__ = ["atomic_output"]

def _leftover_pattern(dst: Path) -> re.Pattern:
    return re.compile(re.escape(f".{dst.name}.pixsmote-") + r"(\d+)\.(tmp|old)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _say(text: str) -> None:
    print(f"pixsmote: {text}", file=sys.stderr, flush=True)


def remove_leftovers(dst: Path) -> None:
    """Remove what a killed run into `dst` left (its PID is no longer running).

    Called with the destination's lock held, so no live pixsmote run is
    writing them. A replaced output set aside by a run killed just before its
    new output took its place is put back.
    """
    pattern = _leftover_pattern(dst)
    try:
        found = dst.parent.glob(f".{glob.escape(dst.name)}.pixsmote-*")
        entries = sorted(found, key=lambda p: not p.name.endswith("old"))
    except OSError:
        return
    for path in entries:
        m = pattern.fullmatch(path.name)
        if m is None:
            continue
        pid = int(m.group(1))
        if pid != os.getpid() and _alive(pid):
            _say(f"left {path} alone: PID {pid} is still running")
            continue
        if m.group(2) == "old" and not (dst.exists() or dst.is_symlink()):
            os.replace(path, dst)
            _say(f"restored {dst} from {path.name}, set aside by an interrupted run "
                 f"(PID {pid})")  # fmt: skip
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        _say(f"removed {path.name} in {dst.parent}, left by an interrupted run "
             f"(PID {pid})")  # fmt: skip


def take_lock(dst: Path, lock_path: Path):
    """Hold `lock_path` for writing `dst`; refuse, naming the holder, if taken."""
    from filelock import FileLock, Timeout

    lock = FileLock(lock_path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        try:
            holder = f"PID {int(lock_path.read_text().strip())}"
        except (OSError, ValueError):
            holder = "a process that is starting"
        raise DataError(
            f"{dst} is being written by another pixsmote run ({holder}, holding "
            f"{lock_path.name}). Wait for it to finish or choose another --out. "
            "Got a destination in use instead."
        ) from None
    with open(lock_path, "w") as fh:  # who holds it, for the message above
        fh.write(f"{os.getpid()}\n")
    return lock


def release_lock(lock, lock_path: Path) -> None:
    # Unlinked while still held: a run that opened it meanwhile finds the
    # inode gone and takes a new one.
    with contextlib.suppress(OSError):
        lock_path.unlink()
    lock.release()


def _present(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def swap_into_place(tmp: Path, dst: Path, old: Path) -> None:
    """Rename folder `tmp` to `dst`, replacing (and then deleting) what is there.

    An existing `dst` is first set aside as `old`. If anything interrupts the
    two renames (a signal's exception can land between any two bytecodes),
    `old` is put back before the exception goes on, so the user's previous
    output is never left hidden under a dot-name. An interruption while `old`
    is deleted leaves the new output in place and `old` for the next run's
    leftover cleaning.
    """
    try:
        if _present(dst):
            os.replace(dst, old)
        os.replace(tmp, dst)
    except BaseException:
        if _present(old) and not _present(dst):
            os.replace(old, dst)
        raise
    if _present(old):
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        else:
            old.unlink()


def _make_parents(dst: Path) -> list[Path]:
    """Create the missing parents of `dst`; return them, innermost first."""
    created = []
    parent = dst.parent
    while not (parent.exists() or parent.is_symlink()):
        created.append(parent)
        parent = parent.parent
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_parents(created)
        raise _os_error(dst, exc) from None
    return created


def _remove_parents(created: list[Path]) -> None:
    for folder in created:  # innermost first
        with contextlib.suppress(OSError):
            folder.rmdir()


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return ""  # pragma: no cover


def _no_space(dst: Path, needed: int | None) -> DataError:
    try:
        free = _size(shutil.disk_usage(dst.parent).free)
    except OSError:
        free = "little"
    need = f"about {_size(needed)}" if needed else "more than is free"
    return DataError(
        f"Not enough space for {dst}: the output needs {need}. Free some space "
        f"or choose another --out. Got {free} free in {dst.parent} instead."
    )


def _os_error(dst: Path, exc: OSError, needed: int | None = None) -> DataError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return _no_space(dst, needed)
    where = f": {exc.filename}" if exc.filename else ""
    return DataError(f"Cannot write {dst}: {exc.strerror or exc}{where}")


@contextlib.contextmanager
def atomic_output(
    dst,
    *,
    overwrite: bool = False,
    source=None,
    needed_bytes: int | None = None,
    expected_bytes: int | None = None,
    marker: dict | None = None,
):
    """Yield a temporary folder beside `dst`; move its content to `dst` at the end.

    For a folder destination the temporary folder itself becomes `dst`, with a
    marker file (:data:`~pixsmote.data.MARKER_NAME`) written last. For a
    ``.npz`` destination, the caller writes ``<tmp>/<dst.name>`` and
    ``<tmp>/<manifest name>``, which are moved beside each other (manifest
    first). Missing parent folders are created, and removed again on failure.

    While it runs it holds a lock beside `dst` (``.<name>_pixsmote.lock``, with
    its PID), so a second run into the same destination is refused, naming
    the first. The temporary folder is ``.<name>.pixsmote-<PID>.tmp``: what a
    killed run (SIGKILL, power loss) left there is removed by the next run into
    `dst`, which says so on stderr. An error, Ctrl-C or a termination signal
    handled as an exception (the CLI does this for SIGTERM and SIGHUP) removes
    the temporary folder. File-system errors (no space, read-only, a name too
    long, a parent that is a file) become one-line
    :class:`~pixsmote.DataError` messages.

    Parameters
    ----------
    dst : path-like
    overwrite : bool, default=False
        Replace an existing `dst` that pixsmote wrote (only once the new one is
        complete).
    source : Dataset or path-like, optional
        The input: see :func:`~pixsmote.data.check_destination`.
    needed_bytes : int, optional
        The space the output needs at least (checked against the free space
        before anything is written).
    expected_bytes : int, optional
        The space it probably needs (named when the disk fills up); default
        `needed_bytes`.
    marker : dict, optional
        Extra content of a folder's marker file.

    Raises
    ------
    UsageError
        When `dst` may not be written (:func:`~pixsmote.data.check_destination`).
    DataError
        When the destination is locked by another run, or cannot be written.
    """
    dst = Path(dst).absolute()
    check_destination(dst, overwrite=overwrite, source=source)
    tmp, old, lock_path = work_paths(dst)
    expected_bytes = expected_bytes or needed_bytes
    created = _make_parents(dst)
    ok = False
    try:
        try:
            lock = take_lock(dst, lock_path)
        except OSError as exc:
            raise _os_error(dst, exc) from None
        try:
            # Under the lock: a killed run's leftovers first (which may put an
            # output back), then the rules again (another run may have
            # finished meanwhile).
            remove_leftovers(dst)
            targets = check_destination(dst, overwrite=overwrite, source=source)
            try:
                if needed_bytes and shutil.disk_usage(dst.parent).free < needed_bytes:
                    raise _no_space(dst, expected_bytes)
                tmp.mkdir()
            except OSError as exc:
                raise _os_error(dst, exc, expected_bytes) from None
            try:
                yield tmp
                if dst.suffix.lower() == ".npz":
                    for target in reversed(targets):  # the manifest, then the arrays
                        os.replace(tmp / target.name, target)
                    shutil.rmtree(tmp)
                else:
                    info = marker_info(**{"kind": "output", **(marker or {})})
                    with open(tmp / MARKER_NAME, "w", encoding="utf-8") as fh:
                        json.dump(info, fh, indent=1, ensure_ascii=False)
                        fh.write("\n")
                    os.chmod(tmp, 0o777 & ~_umask())
                    swap_into_place(tmp, dst, old)
                ok = True
            except OSError as exc:
                raise _os_error(dst, exc, expected_bytes) from None
            finally:
                if not ok:
                    shutil.rmtree(tmp, ignore_errors=True)
        finally:
            release_lock(lock, lock_path)
    finally:
        if not ok:
            _remove_parents(created)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
