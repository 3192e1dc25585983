"""The one name -> entry registry that every family of pixsmote uses.

Samplers, models, augmentations, losses, recipes, protocol splits, built-in
datasets and CLI commands are each a :class:`Registry`: a plain ``dict`` (so
``list(MODELS)`` and ``MODELS[name]`` work as expected, in registration order)
plus a ``register`` decorator in the style of timm's ``@register_model``, a
plain :meth:`~Registry.add`, and look-ups that turn an unknown name into the
same :class:`~pixsmote._errors.UsageError` listing the valid names.

This module imports nothing but the standard library and the error types, so
that every package (``sampling`` included, which must not import torch) can use
it.
"""

from __future__ import annotations

import fnmatch
import inspect
from collections.abc import Callable
from typing import Any

from pixsmote._errors import UsageError

__all__ = ["Registry"]


class Registry(dict):
    """A ``dict`` from names to entries (factories, specs), with helpers to fill it.

    Parameters
    ----------
    family : str
        What the registry holds ("sampler", "model", "recipe", ...); used in
        error messages ("Unknown model. Expected one of [...]").

    Examples
    --------
    >>> COLOURS = Registry("colour")
    >>> @COLOURS.register("red")
    ... def red():
    ...     return (255, 0, 0)
    >>> dark_red = COLOURS.add("dark-red", lambda: (128, 0, 0))  # returns the entry
    >>> COLOURS.names("*red")
    ['red', 'dark-red']
    >>> COLOURS.build("red")
    (255, 0, 0)
    """

    def __init__(self, family: str):
        super().__init__()
        self.family = family

    def add(self, name: str, entry: Any) -> Any:
        """Register `entry` under `name` (names are unique) and return it."""
        if name in self:  # an invariant of the code, not user input
            raise RuntimeError(f"duplicate {self.family} name {name!r}")
        self[name] = entry
        return entry

    def register(self, name: str) -> Callable[[Any], Any]:
        """Decorator: register the decorated factory under `name`."""

        def decorator(entry: Any) -> Any:
            return self.add(name, entry)

        return decorator

    def names(self, pattern: str | None = None) -> list[str]:
        """Registered names in registration order, optionally only those matching
        the shell-style `pattern` (:func:`fnmatch.fnmatchcase`, e.g. ``"online-*"``).
        """
        if pattern is None:
            return list(self)
        return [name for name in self if fnmatch.fnmatchcase(name, pattern)]

    def unknown(self, name: Any, *, context: str = "", hint: str = "") -> UsageError:
        """The error for a name that is not registered.

        ``"Unknown <family><context>. Expected one of [...]<hint>. Got <name>
        instead."``; `context` and `hint` add words where a caller has them (the
        name being resolved, the syntax that may follow it).
        """
        return UsageError(
            f"Unknown {self.family}{context}. Expected one of {self.names()}{hint}. "
            f"Got {name!r} instead."
        )

    def lookup(self, name: str) -> Any:
        """Return the entry registered under `name`.

        Raises
        ------
        UsageError
            If `name` is not registered; the message lists the valid names.
        """
        if not isinstance(name, str) or name not in self:
            raise self.unknown(name)
        return self[name]

    def build(self, name: str, *args: Any, **kw: Any) -> Any:
        """``self.lookup(name)(*args, **kw)``, with unknown or missing keyword
        options reported as a :class:`~pixsmote._errors.UsageError` (checked
        against the factory's signature before calling it, so a ``TypeError``
        raised inside the factory still surfaces as the bug it is)."""
        factory = self.lookup(name)
        try:
            inspect.signature(factory).bind(*args, **kw)
        except TypeError as exc:
            raise UsageError(f"Bad option for {self.family} {name!r}: {exc}.") from exc
        return factory(*args, **kw)
