"""Error types shared by the library and the CLI.

The CLI maps :class:`UsageError` to exit status 2 and :class:`DataError` to exit
status 1, and prints the message without a traceback. Both derive from
``ValueError`` so library callers can catch them the usual way.
"""

__all__ = ["PixsmoteError", "UsageError", "DataError"]


class PixsmoteError(ValueError):
    """Base class of the errors pixsmote raises for a user's input."""


class UsageError(PixsmoteError):
    """A bad command-line option, parameter or configuration (exit status 2)."""


class DataError(PixsmoteError):
    """Unreadable, corrupt or inconsistent data (exit status 1)."""
