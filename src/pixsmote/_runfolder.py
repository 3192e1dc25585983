"""The run folder: the one format :func:`pixsmote.train.fit` writes and
:mod:`pixsmote.report` and the benchmark scripts read.

A run folder holds one training run (one recipe, one seed)::

    config.json    the resolved settings, written before training starts
    metrics.csv    one row per validation, appended as training goes
    results.json   the kept checkpoint's metrics, written when training ends

This module is the only place that knows the file names, the columns of
``metrics.csv`` and the keys of the two JSON files; it imports neither torch nor
any other pixsmote package, so every layer can use it. JSON is written strictly
(NaN and infinity become ``null``) and atomically (a temporary file renamed into
place), so a reader polling a running study never sees half a file.

Reading is tolerant of what a run does not have yet -- an unfinished run has no
``results.json`` -- but strict about what it has: a file that cannot be parsed is
a :class:`~pixsmote._errors.DataError`.
"""

from __future__ import annotations

import csv
import json
import math
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from pixsmote._errors import DataError, UsageError

__all__ = [
    "CALLER_KEYS",
    "CONFIG_FILE",
    "METRICS_COLUMNS",
    "METRICS_FILE",
    "RESULTS_FILE",
    "RESULTS_KEYS",
    "RunConfig",
    "RunFolder",
    "RunResults",
    "RunWriter",
    "is_run_folder",
    "json_safe",
    "merge_config",
    "read_json",
    "read_object",
    "read_metrics",
    "read_run_folder",
    "versions",
    "write_json",
]

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.csv"
RESULTS_FILE = "results.json"

#: Columns of ``metrics.csv``, one row per validation. ``train_loss`` and
#: ``train_acc`` are over the steps since the previous row; ``time_s`` counts from
#: the start of the run.
METRICS_COLUMNS = (
    "epoch",
    "step",
    "lr",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "val_acsa",
    "val_gm",
    "val_macro_f1",
    "time_s",
)

#: Keys of ``config.json`` that the caller of the training loop may set even
#: though the loop writes a placeholder for them: what the run is called
#: (``recipe``), the class names, and the training counts after the caller's
#: balancing. Every other harness key may be repeated but not contradicted.
CALLER_KEYS = ("recipe", "class_names", "train_counts_after")

#: Keys of ``results.json``. ``recipe`` and ``class_names`` repeat
#: ``config.json`` so that a reader of results alone can label the run;
#: ``steps`` is the number of optimiser steps actually taken; ``val`` and each
#: entry of ``test`` hold the metrics of the kept checkpoint. Two-stage runs
#: add ``stage1`` (the backbone's own metrics, training time, whether it came
#: from the cache), ``stage2`` (the head's best epoch and per-epoch history)
#: and ``stage2_time_s`` (feature extraction plus head training).
RESULTS_KEYS = (
    "recipe",
    "seed",
    "class_names",
    "best_epoch",
    "time_s",
    "versions",
    "steps",
    "val",
    "test",
    "stage1",
    "stage2",
    "stage2_time_s",
)


class RunConfig(TypedDict, total=False):
    """Keys of ``config.json`` written by the training loop (the caller may add
    more, e.g. the balancing and its sampler's parameters)."""

    recipe: str | None
    class_names: list[str]
    train_counts_after: list[int]
    model: str
    aug: str
    loss: str
    seed: int
    steps: int | None
    epochs: int | None
    batch_size: int
    lr: float
    weight_decay: float
    momentum: float
    nesterov: bool
    schedule: str
    n_classes: int
    image_shape: list[int]
    device: str
    class_counts: list[int]
    online_data: bool
    model_kw: dict[str, Any]
    aug_kw: dict[str, Any]
    loss_kw: dict[str, Any]
    versions: dict[str, str | None]


class RunResults(TypedDict, total=False):
    """Keys of ``results.json`` (:data:`RESULTS_KEYS`). A metrics dict holds
    ``loss``, ``accuracy``, ``acsa``, ``gm``, ``macro_f1``, ``per_class_recall``
    and ``confusion_matrix``."""

    recipe: str | None
    seed: int
    class_names: list[str]
    best_epoch: int
    time_s: float
    versions: dict[str, str | None]
    steps: int
    val: dict[str, Any]
    test: dict[str, dict[str, Any]]


@dataclass
class RunFolder:
    """What :func:`read_run_folder` found in one folder.

    Attributes
    ----------
    path : pathlib.Path
    config : dict
        ``config.json`` (empty when missing).
    history : list of dict
        Rows of ``metrics.csv``, values parsed to ``int`` or ``float`` (an empty
        cell is ``nan``; a non-numeric cell stays a string).
    results : dict
        ``results.json`` (empty while the run has not finished).
    """

    path: Path
    config: RunConfig = field(default_factory=dict)  # type: ignore[assignment]
    history: list[dict[str, Any]] = field(default_factory=list)
    results: RunResults = field(default_factory=dict)  # type: ignore[assignment]

    @property
    def finished(self) -> bool:
        return bool(self.results)


# ---------------------------------------------------------------------- write
def merge_config(harness: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``config.json`` of a run: the training loop's settings plus the caller's
    keys, written as given.

    ``recipe`` (the caller's name for the run) is ``None`` unless the caller
    gives it; the other :data:`CALLER_KEYS` are placeholders the caller may
    fill. Contradicting any other harness setting is a
    :class:`~pixsmote._errors.UsageError`.
    """
    for key, value in extra.items():
        if key in harness and key not in CALLER_KEYS and harness[key] != value:
            raise UsageError(
                f"extra_config[{key!r}] contradicts the harness setting "
                f"{harness[key]!r}. Got {value!r} instead."
            )
    return {"recipe": None, **harness, **dict(extra)}


def json_safe(obj: Any) -> Any:
    """NaN/inf -> None (strict JSON), numpy scalars and arrays -> Python."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, str | bytes):  # numpy
        return json_safe(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_json(path: str | Path, obj: Any) -> None:
    """Write ``obj`` as strict, indented JSON, atomically (temporary file, then
    rename), so a concurrent reader sees the old file or the new one."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(json_safe(obj), fh, indent=2, allow_nan=False)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        # A value json cannot write, a full disk or a signal midway: the old
        # file stays and no half-written temporary is left beside it.
        tmp.unlink(missing_ok=True)
        raise


class RunWriter:
    """Writes one run folder: :meth:`start`, :meth:`append` per validation,
    :meth:`finish`.

    Parameters
    ----------
    path : str or Path
        The run folder; created (with its parents) by :meth:`start`.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def start(self, config: dict[str, Any]) -> None:
        """Write ``config.json`` and the header of a fresh ``metrics.csv``."""
        self.path.mkdir(parents=True, exist_ok=True)
        write_json(self.path / CONFIG_FILE, config)
        with open(self.path / METRICS_FILE, "w", newline="") as fh:
            csv.writer(fh).writerow(METRICS_COLUMNS)

    def append(self, row: dict[str, Any]) -> None:
        """Append one validation row (the keys of :data:`METRICS_COLUMNS`)."""
        with open(self.path / METRICS_FILE, "a", newline="") as fh:
            csv.writer(fh).writerow([row[c] for c in METRICS_COLUMNS])

    def finish(self, config: dict[str, Any], **results: Any) -> None:
        """Write ``results.json``: the :data:`RESULTS_KEYS` given as keywords,
        with ``recipe`` and ``class_names`` taken from ``config``."""
        record = {
            "recipe": config.get("recipe"),
            "class_names": config.get("class_names"),
            **results,
        }
        unknown = set(record) - set(RESULTS_KEYS)
        if unknown:
            raise TypeError(f"not keys of results.json: {sorted(unknown)}")
        ordered = {k: record[k] for k in RESULTS_KEYS if k in record}
        write_json(self.path / RESULTS_FILE, ordered)


def versions(*modules: str) -> dict[str, str | None]:
    """Python's version and each named module's (``None`` if not importable).

    ``pixsmote`` is read from the installed distribution's metadata when there
    is one (so a source checkout says which release it was installed as).
    """
    import importlib

    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in modules:
        if name == "pixsmote":
            try:
                from importlib.metadata import version

                out[name] = version("pixsmote")
                continue
            except Exception:  # not installed: fall back to the module
                pass
        try:
            out[name] = getattr(importlib.import_module(name), "__version__", "?")
        except ImportError:
            out[name] = None
    return out


# ----------------------------------------------------------------------- read
def read_json(path: str | Path) -> Any:
    """Parse a JSON file; a missing or malformed file is a :class:`DataError`.

    Python's ``json`` accepts the NaN/Infinity literals of older files.
    """
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"Cannot read {str(path)!r}: {exc}") from exc


def read_object(path: str | Path) -> dict[str, Any]:
    """A JSON object from `path`; ``{}`` when the file does not exist."""
    path = Path(path)
    if not path.is_file():
        return {}
    obj = read_json(path)
    if not isinstance(obj, dict):
        raise DataError(
            f"{str(path)!r} must hold a JSON object. Got {type(obj).__name__} instead."
        )
    return obj


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a ``metrics.csv``, values parsed to numbers where they are."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"Cannot read {str(path)!r}: {exc}") from exc
    return [
        {key: _parse_number(value) for key, value in row.items() if key is not None}
        for row in rows
    ]


def _parse_number(text: str | None) -> int | float | str:
    if text is None or text.strip() == "":
        return math.nan
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text  # not numeric: keep it, the plots ignore such columns


def is_run_folder(path: str | Path) -> bool:
    """A folder is a run when it holds a ``metrics.csv``, or a ``results.json``
    whose object names both a ``recipe`` and a ``seed`` (so a summary file of a
    whole bench is not mistaken for a run)."""
    path = Path(path)
    if (path / METRICS_FILE).is_file():
        return True
    if not (path / RESULTS_FILE).is_file():
        return False
    obj = read_json(path / RESULTS_FILE)
    return isinstance(obj, dict) and "recipe" in obj and "seed" in obj


def read_run_folder(path: str | Path) -> RunFolder:
    """Read a run folder; missing files give empty parts.

    Raises
    ------
    DataError
        If a file exists but cannot be parsed, or a JSON file is not an object.
    """
    path = Path(path)
    metrics = path / METRICS_FILE
    return RunFolder(
        path,
        read_object(path / CONFIG_FILE),  # type: ignore[arg-type]
        read_metrics(metrics) if metrics.is_file() else [],
        read_object(path / RESULTS_FILE),  # type: ignore[arg-type]
    )
