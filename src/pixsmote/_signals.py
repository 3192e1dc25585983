"""Hold a signal's exception while the main thread waits on worker threads.

Python runs a signal handler in the main thread between two bytecodes, and
the exception it raises (``KeyboardInterrupt`` for Ctrl-C, the CLI's own for
SIGTERM/SIGHUP) lands there. Inside :mod:`threading` that can be between a
lock's acquire and the ``with`` that would release it. CI hit it: SIGTERM
landed in ``ThreadPoolExecutor.submit``/``Future.result``, the main thread
kept a condition's lock, the worker blocked on that lock when it finished its
task, and the cleanup's ``shutdown(wait=True)`` joined the worker forever.
Plain ``concurrent.futures`` under a storm of signals deadlocks the same way
within seconds (``submit(...).result()`` in a loop, a handler that raises
once).

So code that waits on threads runs inside :func:`holding_signals`: there a
handler that goes through :func:`deliver` only records the exception, and it
is raised from plain code at the next :func:`checkpoint` (after each finished
task) or when the region ends. The delay is one task, not the whole run.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["checkpoint", "deliver", "holding_signals"]

# Only the main thread runs signal handlers and only it enters a region (the
# others pass straight through), so plain module state is enough.
_depth = 0
_held: list[BaseException] = []


def deliver(exc: BaseException) -> None:
    """Raise `exc` now, or hold it if the main thread is in a region.

    For signal handlers: ``deliver(KeyboardInterrupt())`` instead of
    ``raise``.
    """
    if _depth:
        if not _held:  # the first signal counts; later ones add nothing
            _held.append(exc)
        return
    raise exc


def checkpoint() -> None:
    """Raise the exception a signal left while held, if any."""
    if _held:
        raise _held.pop()  # deliver keeps one at most


def _sigint(signum, frame) -> None:
    deliver(KeyboardInterrupt())


@contextlib.contextmanager
def holding_signals() -> Iterator[None]:
    """A region of the main thread in which signals' exceptions wait.

    Ctrl-C is held too while Python's default handler is installed (it is
    swapped for one that goes through :func:`deliver`, and put back after);
    a handler someone else installed is left alone. In other threads this
    does nothing: they never run signal handlers.
    """
    global _depth
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    swapped = False
    if _depth == 0 and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _sigint)
        swapped = True
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if swapped:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if _depth == 0:
            checkpoint()
