"""Name -> factory registries shared by the CLI, the tests and the benchmarks.

A registry is a plain ``dict`` (so ``list(MODELS)`` and ``MODELS[name]`` work as
expected) plus a ``register`` decorator, in the style of timm's
``@register_model``. Look-ups from user input go through :meth:`Registry.lookup`,
which turns an unknown name into a :class:`~pixsmote._errors.UsageError` that
lists the valid names.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from pixsmote._errors import UsageError


class Registry(dict):
    """A ``dict`` from names to factories, with a decorator to fill it.

    Parameters
    ----------
    kind : str
        What the registry holds ("model", "augmentation", "loss"); used in error
        messages.
    """

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def register(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register the decorated factory under ``name`` (names are unique)."""

        def decorator(factory: Callable[..., Any]) -> Callable[..., Any]:
            if name in self:  # an invariant of the code, not user input
                raise RuntimeError(f"duplicate {self.kind} name {name!r}")
            self[name] = factory
            return factory

        return decorator

    def lookup(self, name: str) -> Callable[..., Any]:
        """Return the factory registered under ``name``.

        Raises
        ------
        UsageError
            If ``name`` is not registered; the message lists the valid names.
        """
        if not isinstance(name, str) or name not in self:
            raise UsageError(
                f"Unknown {self.kind}. Expected one of {sorted(self)}. "
                f"Got {name!r} instead."
            )
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
            raise UsageError(f"Bad option for {self.kind} {name!r}: {exc}.") from exc
        return factory(*args, **kw)
