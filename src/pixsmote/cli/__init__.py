"""The ``pixsmote`` command line: ``inspect``, ``balance``, ``bench``, ``demo``.

Each sub-command lives in its own private module (the source options that
``inspect`` and ``balance`` share in ``_source_options``), which exposes
``add_parser(subparsers)`` (registering its arguments, with defaults shown in
``--help``) and ``run(args) -> int``. This module only parses, dispatches and
turns user errors into a message and an exit status: no algorithm lives here.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
import warnings
from typing import NoReturn

from rich_argparse.contrib import ParagraphRichHelpFormatter

from pixsmote import _signals
from pixsmote._errors import DataError, UsageError
from pixsmote._registry import Registry

__all__ = ["main", "COMMANDS"]

#: Sub-command name -> private module implementing it (in the order of
#: ``--help``), a :class:`~pixsmote._registry.Registry`. The modules are imported
#: only when the parser is built.
COMMANDS = Registry("command")
for _name in ("inspect", "balance", "bench", "demo"):
    COMMANDS.add(_name, f"pixsmote.cli._{_name}")
del _name


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors exit with status 2 and no traceback.

    A command may set the default ``epilog_text`` (``p.set_defaults``) to a
    callable returning its epilog: it runs only when the help is printed, so
    listing what needs an optional extra (the training registries need torch)
    costs nothing when the command just runs.
    """

    def error(self, message: str) -> NoReturn:  # noqa: D102 - argparse API
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")

    def format_help(self) -> str:  # noqa: D102 - argparse API
        epilog_text = self.get_default("epilog_text")
        if callable(epilog_text):
            self.epilog = epilog_text()
        return super().format_help()


class _Formatter(ParagraphRichHelpFormatter):
    """rich-argparse's formatter: wraps every text to the terminal's width
    (COLUMNS), keeps paragraphs (blank lines) apart, colours on a terminal."""

    # argparse's own headings ("usage:", "options:"), not rich's Title Case.
    group_name_formatter = str


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter, _Formatter):
    """The same, adding ``(default: ...)`` to each option as argparse's does."""


def _rich_formatter(
    formatter: type[argparse.HelpFormatter],
) -> type[argparse.HelpFormatter]:
    """The rich counterpart of the argparse formatter a command asked for."""
    if issubclass(formatter, argparse.ArgumentDefaultsHelpFormatter):
        return _DefaultsFormatter
    return _Formatter


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pixsmote",
        description="Balance imbalanced image datasets with the SMOTE family, "
        "and measure whether it helps.",
        formatter_class=_rich_formatter(argparse.ArgumentDefaultsHelpFormatter),
    )
    from pixsmote import __version__

    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in COMMANDS.values():
        p = importlib.import_module(module).add_parser(sub)
        p.formatter_class = _rich_formatter(p.formatter_class)
        add_progress_option(p)
    return parser


def add_progress_option(p: argparse.ArgumentParser) -> None:
    """``--progress/--no-progress``, the same on every command.

    Default (neither): bars and status lines on stderr only when it is a
    terminal, so a log file gets plain lines and no ``\r`` redraws.
    """
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        # "%(default).0s" formats to nothing: the default is stated in words.
        help="progress bars and status lines on stderr (default: only when "
        "stderr is a terminal)%(default).0s",
    )


class _Terminated(BaseException):
    """SIGTERM or SIGHUP, raised in the main thread like KeyboardInterrupt.

    A BaseException, so that no ``except Exception`` swallows it and every
    ``finally``/cleanup on the way out runs (partial output is removed).
    """

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


_TERMINATING = ("SIGTERM", "SIGHUP")


@contextlib.contextmanager
def _termination_as_exception():
    """Turn SIGTERM/SIGHUP into :class:`_Terminated` while the command runs.

    What ``kill``, a job scheduler or a container stop sends then cleans up
    like Ctrl-C. A second signal during the cleanup is ignored. Only the main
    thread may install handlers; elsewhere nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired: list[int] = []

    def handler(signum, frame):
        if not fired:
            fired.append(signum)
            # Held while the main thread waits on worker threads, where an
            # exception could leave a lock taken (see pixsmote._signals).
            _signals.deliver(_Terminated(signum))

    previous = {}
    for name in _TERMINATING:
        signum = getattr(signal, name, None)
        # Only where the default action (death, leaving partial output) would
        # apply: `nohup pixsmote ...` ignores SIGHUP, and keeps doing so.
        if signum is not None and signal.getsignal(signum) is signal.SIG_DFL:
            previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _quiet_broken_pipe() -> None:
    """``pixsmote inspect ... | head``: the reader left; exit without a word.

    Python would report the failed flush of stdout at exit; pointing stdout at
    /dev/null stops that.
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings as one line each (``pixsmote: warning: ...``), no source line."""
    print(f"pixsmote: warning: {message}", file=file or sys.stderr)


def main(argv: list[str] | None = None) -> int:
    command = "pixsmote"
    try:
        with _termination_as_exception(), warnings.catch_warnings():
            warnings.showwarning = _show_warning
            parser = build_parser()
            args = parser.parse_args(argv)
            command = f"pixsmote {args.command}"
            try:
                status = int(args.run(args) or 0)
                sys.stdout.flush()
                return status
            except UsageError as exc:
                if _interruption(exc) is not None:
                    raise
                print(f"{command}: error: {exc}", file=sys.stderr)
                return 2
            except (DataError, FileNotFoundError, PermissionError) as exc:
                # A cleanup that failed while a signal unwound the stack:
                # report the signal, not the cleanup's error.
                if _interruption(exc) is not None:
                    raise
                print(f"{command}: error: {exc}", file=sys.stderr)
                return 1
    except BaseException as exc:
        # A signal's exception can surface anywhere, even inside the stdlib's
        # own cleanup: CI saw SIGTERM land in Condition.wait between releasing
        # and re-taking its lock, so what escaped was "RuntimeError: cannot
        # release un-acquired lock" with the _Terminated as its context. The
        # cleanups ran either way; look for the signal in the chain so the
        # exit status still says what happened.
        interrupt = _interruption(exc)
        if isinstance(interrupt, KeyboardInterrupt):
            print(f"{command}: interrupted", file=sys.stderr)
            return 130
        if isinstance(interrupt, _Terminated):
            name = signal.Signals(interrupt.signum).name
            print(f"{command}: terminated ({name})", file=sys.stderr)
            return 128 + interrupt.signum
        if isinstance(exc, BrokenPipeError):
            _quiet_broken_pipe()
            return 141  # 128 + SIGPIPE, what a shell reports for `... | head`
        if isinstance(exc, ModuleNotFoundError):
            # Sampling-only installs lack the training stack: say which extra
            # brings it instead of a traceback.
            extra = _EXTRAS.get((exc.name or "").partition(".")[0])
            if extra is not None:
                print(
                    f"{command}: error: this command needs {exc.name}, which "
                    "is not installed. Install it with: "
                    f"pip install 'pixsmote[{extra}]'",
                    file=sys.stderr,
                )
                return 1
        raise


def _interruption(exc: BaseException) -> BaseException | None:
    """The KeyboardInterrupt or :class:`_Terminated` in ``exc``'s chain, if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, (KeyboardInterrupt, _Terminated)):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


#: Optional dependency -> the extra of pixsmote that installs it.
_EXTRAS = {
    "torch": "train",
    "kornia": "train",
    "matplotlib": "train",
    "faiss": "faiss",
    "dask": "dask",
    "distributed": "dask",
    "s3fs": "s3",
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
