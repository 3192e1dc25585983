"""A progress bar that shows up only for work taking more than a second."""

from __future__ import annotations

import contextlib
import sys

from tqdm import tqdm

__all__ = ["progress_bar"]


@contextlib.contextmanager
def progress_bar(total: int, desc: str, *, enabled: bool | None = None):
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
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda n=1: None
        return
    bar = tqdm(total=total, desc=desc, delay=1.0, leave=False, file=sys.stderr)
    try:
        yield bar.update
    finally:
        bar.close()
