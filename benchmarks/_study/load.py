"""Reading the study: run folders -> ``{split: {recipe: [Run, ...]}}`` and the
files around them (run log, machine, combinations, cost and overlap results,
the reported numbers of docs/protocol.md).

One JSON policy for everything read here: a file that is absent gives an empty
value (the study is resumable, a report is drawn while it runs); a file that is
present but cannot be parsed is an error (:class:`pixsmote._errors.DataError`),
never silently an empty section.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import study
from pixsmote._runfolder import read_object
from pixsmote.app import parse_recipe
from pixsmote.report import Run, load_runs

__all__ = [
    "BENCH",
    "PROTOCOL_DOC",
    "ROOT",
    "Study",
    "finished_run",
    "label",
    "load",
    "metric_values",
    "optional_json",
    "passes",
    "read_reported",
    "extra_time",
    "recall_values",
]

BENCH = Path(__file__).resolve().parents[1]
ROOT = BENCH.parent
#: The protocol, in the repository; its table of reported numbers is read.
PROTOCOL_DOC = ROOT / "docs" / "protocol.md"


@dataclass
class Study:
    """Everything the report reads, loaded once.

    Attributes
    ----------
    cfg : dict
        The study's configuration (``study.toml``).
    results : Path
        The study's results folder (``benchmarks/results/study``).
    by_split : dict
        Section -> recipe label -> finished runs, by seed.
    groups : dict
        Recipe label -> its group in the matrix (``baseline``, ``loss``, ...).
    reported : list of (method, [ACSA, GM, F1] imbalanced, [...] balanced)
        The numbers DeepSMOTE reported, from docs/protocol.md.
    """

    cfg: dict
    results: Path
    by_split: dict[str, dict[str, list[Run]]]
    groups: dict[str, str]
    reported: list[tuple[str, list[float], list[float]]] = field(default_factory=list)
    machine: dict[str, Any] = field(default_factory=dict)
    runlog: list[dict[str, Any]] = field(default_factory=list)
    combos: dict[str, Any] = field(default_factory=dict)

    @property
    def bench_results(self) -> Path:
        """``benchmarks/results``: where the cost and overlap results lie."""
        return self.results.parent

    def path_label(self, path: Path) -> str:
        """`path` relative to the repository when it is inside it."""
        try:
            return str(path.relative_to(ROOT))
        except ValueError:
            return str(path)

    def fit_setting(self, key: str) -> Any:
        """A training setting from the first run's ``config.json``."""
        for path in sorted(self.results.glob("*/split-*/*/seed-*/config.json")):
            value = optional_json(path).get(key)
            if value is not None:
                return value
        return "?"

    def test_sizes(self, split: str) -> dict[str, list[int]]:
        """Test-set class counts from a ``bench.json`` of the split."""
        for path in sorted((self.results / split).glob("split-*/bench.json")):
            counts = optional_json(path).get("test_counts")
            if counts:
                return counts
        return {}


# One JSON-reading policy: the run-folder module's.
optional_json = read_object


def load(
    cfg: dict,
    results: Path = study.RESULTS,
    protocol: Path | None = PROTOCOL_DOC,
) -> Study:
    """Read the study's run folders and the files around them (no writes)."""
    by_split, groups = _load_runs(cfg, results)
    runlog_path = results / study.RUNLOG.name
    runlog = (
        [json.loads(x) for x in runlog_path.read_text().splitlines() if x.strip()]
        if runlog_path.is_file()
        else []
    )
    return Study(
        cfg=cfg,
        results=results,
        by_split=by_split,
        groups=groups,
        reported=read_reported(protocol),
        machine=optional_json(results / "machine.json"),
        runlog=runlog,
        combos=study.combos_view(cfg, results),
    )


def _load_runs(cfg: dict, results: Path):
    by_split: dict[str, dict[str, list[Run]]] = {}
    groups: dict[str, str] = {}
    for split in cfg["splits"]:
        root = results / split
        runs = load_runs(root) if root.is_dir() else []
        # The stage-1 cache (<split>/_backbones) holds models, not runs.
        runs = [
            r
            for r in runs
            if r.results.get("test")
            and (r.path is None or "_backbones" not in Path(r.path).parts)
        ]
        table: dict[str, list[Run]] = defaultdict(list)
        for r in sorted(runs, key=lambda r: r.seed or 0):
            table[r.recipe].append(r)
        by_split[split] = table
        for group, recipe in study.section_matrix(cfg, split, results):
            if group != "confirm":  # a confirmation keeps the recipe's own kind
                groups.setdefault(label(recipe), group)
        for recipe in table:  # runs of recipes no longer in the matrix
            groups.setdefault(recipe, _infer_group(recipe))
    return by_split, groups


def _infer_group(recipe_label: str) -> str:
    r = parse_recipe(recipe_label)
    if "defer=" in recipe_label:
        return "deferred"
    if r.spec.kind == "two-stage":
        return "two-stage"
    if r.spec.kind == "none":
        return "loss" if r.loss else "baseline"
    if r.aug or r.loss or r.feature_aug:
        return "combination"
    if r.spec.kind == "imblearn":
        return "imblearn"
    if r.spec.kind == "online":
        return "online" if not r.params else "tuning"
    if r.name in ("ros", "rus"):
        return "baseline"
    return "pixsmote"


def label(recipe: str) -> str:
    """The folder label of a recipe string (``smote:k_neighbors=3`` -> ...)."""
    return parse_recipe(recipe).label


def read_reported(path: Path | None) -> list[tuple[str, list[float], list[float]]]:
    """Rows ``method | a / b / c | a / b / c`` of a Markdown table in `path`:
    (method, [imbalanced test], [balanced test]); ``[]`` without a file."""
    if path is None or not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or "/" not in cells[1]:
            continue
        try:
            a = [float(x) for x in cells[1].split("/")]
            b = [float(x) for x in cells[2].split("/")]
        except ValueError:
            continue
        if len(a) == 3 and len(b) == 3:
            rows.append((cells[0], a, b))
    return rows


# --------------------------------------------------------------- run values
def metric_values(runs: list[Run], test: str, key: str) -> list[float]:
    """``key`` of test set ``test`` per run, in % (``nan`` where missing)."""
    out = []
    for r in runs:
        v = r.tests.get(test, {}).get(key)
        out.append(100.0 * float(v) if v is not None else float("nan"))
    return out


def recall_values(runs: list[Run], test: str, c: int) -> list[float]:
    """Recall of class ``c`` on ``test`` per run, in %."""
    out = []
    for r in runs:
        rec = r.tests.get(test, {}).get("per_class_recall") or []
        v = rec[c] if c < len(rec) else None
        out.append(100.0 * float(v) if v is not None else float("nan"))
    return out


def extra_time(runs: list[Run]) -> str:
    """The wall time a recipe spends beyond its training steps, mean over
    runs: stage 2 of a two-stage recipe (feature extraction and head), the
    training of a sampler's networks (DeepSMOTE), the training of the network
    whose features a ``neighbors_from`` recipe searches neighbours in (paid
    once per seed, whichever run trained it); ``"–"`` for none."""
    parts = []
    stage2 = [r.results.get("stage2_time_s") for r in runs]
    stage2 = [float(v) for v in stage2 if v is not None]
    if stage2:
        parts.append(f"stage 2 {sum(stage2) / len(stage2):.0f} s")
    nets = [r.config.get("sampler_train_time_s") for r in runs]
    nets = [float(v) for v in nets if v]
    if nets:
        parts.append(f"networks {sum(nets) / len(nets):.0f} s")
    nb = [r.config.get("neighbors_train_time_s") for r in runs]
    nb = [float(v) for v in nb if v is not None]
    if nb:
        parts.append(f"neighbour network {sum(nb) / len(nb):.0f} s")
    return ", ".join(parts) or "–"


def passes(run: Run) -> float:
    """Passes over the run's own (balanced) training data in its step budget."""
    cfg = run.config
    n = sum(cfg.get("train_counts_after") or []) or float("nan")
    return float(cfg.get("steps") or 0) * float(cfg.get("batch_size") or 0) / n


def finished_run(results: Path, entry: dict[str, Any]) -> bool:
    """Whether the run a run-log entry launched has a ``results.json``."""
    job = study.Job(
        entry["split"], entry["recipe"], entry["seed"], entry["steps"], root=results
    )
    return job.run_dir() is not None
