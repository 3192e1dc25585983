"""Reading run folders written by ``pixsmote bench`` (format:
:mod:`pixsmote._runfolder`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixsmote._errors import DataError
from pixsmote._runfolder import is_run_folder, read_run_folder

__all__ = ["Run", "load_runs"]


@dataclass
class Run:
    """One training run: one recipe, one seed, one folder.

    Parameters
    ----------
    recipe : str
        Name of the balancing recipe (``"none"``, ``"smote"``, ...).
    seed : int or None
        Seed of the run; ``None`` when neither ``results.json`` nor
        ``config.json`` states it.
    config : dict
        Content of ``config.json`` (empty when the file is missing).
    history : list of dict
        Rows of ``metrics.csv``, one per validation, values converted to ``int`` or
        ``float`` (an empty cell becomes ``nan``).
    results : dict
        Content of ``results.json`` (empty when the run has not finished).
    path : pathlib.Path or None
        The run folder.
    """

    recipe: str
    seed: int | None
    config: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def class_names(self) -> list[str]:
        """Class names from ``results.json``, else ``config.json``, else ``[]``."""
        names = self.results.get("class_names") or self.config.get("class_names")
        return [str(n) for n in names] if names else []

    @property
    def tests(self) -> dict[str, dict[str, Any]]:
        """The ``results["test"]`` mapping: test-set name -> metrics (may be empty)."""
        tests = self.results.get("test") or {}
        return tests if isinstance(tests, dict) else {}

    def column(self, name: str) -> list[float]:
        """One column of :attr:`history` as floats (``nan`` where missing)."""
        return [_as_float(row.get(name)) for row in self.history]


def load_runs(root: str | Path) -> list[Run]:
    """Load every run folder under `root`, recursively.

    A folder counts as a run when it holds a ``metrics.csv``, or a
    ``results.json`` whose object names both a ``recipe`` and a ``seed``; the
    second test keeps a bench-level summary file from being mistaken for a run.
    Missing ``config.json`` or ``results.json`` (an unfinished run) give empty
    dicts rather than an error, so a report can be drawn while a bench runs.

    Parameters
    ----------
    root : str or path-like
        A run folder, or a folder containing run folders at any depth.

    Returns
    -------
    list of Run
        Ordered by recipe (in the order recipes first appear when folders are
        sorted naturally, so ``seed10`` comes after ``seed2``), then by seed.

    Raises
    ------
    DataError
        If `root` does not exist, or a JSON/CSV file cannot be parsed.
    """
    root = Path(root)
    if not root.exists():
        raise DataError(f"Run folder {str(root)!r} does not exist.")
    candidates = [root, *(p for p in root.rglob("*") if p.is_dir())]
    folders = sorted((p for p in candidates if is_run_folder(p)), key=_natural_key)
    runs = [_read_run(p) for p in folders]
    # Recipes keep their first-appearance order (the bench numbers its folders,
    # so the baseline comes first and keeps the first colour everywhere).
    order: dict[str, int] = {}
    for run in runs:
        order.setdefault(run.recipe, len(order))
    return sorted(
        runs,
        key=lambda r: (order[r.recipe], r.seed is None, r.seed or 0),
    )


def _read_run(path: Path) -> Run:
    folder = read_run_folder(path)
    config, history, results = folder.config, folder.history, folder.results
    # The training loop writes null for what it does not know: fall through.
    recipe = _first(results.get("recipe"), config.get("recipe"), path.name)
    seed = _first(results.get("seed"), config.get("seed"))
    try:
        seed = None if seed is None else int(seed)
    except (TypeError, ValueError):
        raise DataError(
            f"Seed in {str(path)!r} must be an integer. Got {seed!r} instead."
        ) from None
    return Run(str(recipe), seed, dict(config), history, dict(results), path)


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _natural_key(path: Path) -> list[Any]:
    parts = re.split(r"(\d+)", str(path))
    return [int(p) if p.isdigit() else p for p in parts]
