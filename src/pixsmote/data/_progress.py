"""Progress for work taking more than a second: bars, and status lines.

Both write to stderr and, by default (``enabled=None``), only when stderr is a
terminal: a log file or a captured stream gets no ``\\r`` redraws. ``True``
forces them (a status line is plain text and safe in a log; a bar is not).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator

from tqdm import tqdm

__all__ = ["progress_bar", "show_progress", "status_line"]


def show_progress(enabled: bool | None) -> bool:
    """Whether to draw progress: ``enabled``, or (None) whether stderr is a terminal.

    Parameters
    ----------
    enabled : bool or None
        True or False as given; None asks ``sys.stderr.isatty()``.

    Returns
    -------
    bool
    """
    if enabled is None:
        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    return bool(enabled)


def _no_update(n: int = 1) -> None:
    """The update of a bar that is not drawn."""


@contextlib.contextmanager
def progress_bar(
    total: int, desc: str, *, enabled: bool | None = None
) -> Iterator[Callable[[int], object]]:
    """Yield ``update(n)``; draw a tqdm bar on stderr after one second.

    Parameters
    ----------
    total : int
        Units of work.
    desc : str
        What is being done.
    enabled : bool or None
        None: only when stderr is a terminal (so logs and tests stay clean).
    """
    if not show_progress(enabled):
        yield _no_update
        return
    bar = tqdm(total=total, desc=desc, delay=1.0, leave=False, file=sys.stderr)
    try:
        yield bar.update
    finally:
        bar.close()


@contextlib.contextmanager
def status_line(
    desc: str, *, enabled: bool | None = None, delay: float = 1.0
) -> Iterator[None]:
    """Print ``desc ...`` on stderr if the block is still running after `delay` s.

    For phases with no count to show (a neighbour search, a directory walk).
    When the line was printed, ``desc: done in N s`` follows at the end; a
    block faster than `delay` prints nothing. Plain lines, no ``\\r``.

    Parameters
    ----------
    desc : str
        What is being done.
    enabled : bool or None
        None: only when stderr is a terminal.
    delay : float, default=1.0
        Seconds before the line appears.
    """
    if not show_progress(enabled):
        yield
        return
    start = time.perf_counter()
    lock = threading.Lock()
    shown: list[bool] = []

    def show() -> None:
        with lock:
            if shown == []:
                print(f"{desc} ...", file=sys.stderr, flush=True)
                shown.append(True)

    timer = threading.Timer(delay, show)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            done = bool(shown)
            shown.append(False)  # a timer firing now prints nothing
        if done:
            elapsed = time.perf_counter() - start
            print(f"{desc}: done in {elapsed:.1f} s", file=sys.stderr, flush=True)
