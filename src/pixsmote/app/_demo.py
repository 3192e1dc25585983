"""The motivating case end to end on the embedded digits data (``pixsmote demo``).

The original write-up had 3 classes with 30 / 192 / 80 training images (6.4:1).
scikit-learn's digits has only about 180 images per class, so the demo uses the
data package's ``digits-seed-3`` split: digits 3, 5 and 8 (easily confused)
with the case's *proportions* kept, 30 / 192 / 80 x 0.6 = 18 / 115 / 48
training images, and balanced validation (25 per class) and test (40 per class)
sets drawn from the images left. It balances the training set with SMOTE,
trains the same CNN on the imbalanced and on the balanced set (both with
MixUp, as the write-up did), for the same number of steps and seeds, and
compares them on the balanced test set; checkpoints are chosen on validation
only.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pixsmote._errors import UsageError
from pixsmote.app._bench_balance import balance_training
from pixsmote.app._bench_config import BenchConfig
from pixsmote.app._bench_data import resolve_data
from pixsmote.app._bench_recipes import parse_recipe
from pixsmote.app._bench_runner import BenchResult, limit_threads, run_bench
from pixsmote.data import MARKER_NAME, read_marker, write_marker

__all__ = ["DEMO_SPLIT", "DemoResult", "DemoSettings", "run_demo", "MARKER"]

#: The protocol split the demo trains on.
DEMO_SPLIT = "digits-seed-3"

#: File that marks a folder as the demo's own output (safe to overwrite): the
#: marker every pixsmote output folder holds.
MARKER = MARKER_NAME

# The demo's marker of earlier versions.
_LEGACY_MARKER = ".pixsmote-demo"


@dataclass
class DemoSettings:
    """Knobs of the demo; the defaults are what ``make demo`` runs.

    Attributes
    ----------
    out : str
        Output folder; refused if it exists and was not made by the demo.
    seeds : int
        Seeds per recipe.
    steps : tuple of int
        Training budgets, in optimiser steps per run (the same for both
        recipes). Each budget is a separate comparison: a short one (50 steps,
        about 10 passes over the imbalanced set) where the minority classes
        have been seen few times, and a long one (400 steps) where every class
        has been seen often. Both are fixed in advance and both are reported.
    batch_size : int
    lr : float
    model, aug : str
    threads : int
        CPU threads for torch: one, as 8x8 images are too small to split a
        batch's work (see :class:`~pixsmote.app.BenchConfig`).
    progress : bool or None
        Progress bars while training (None: when stderr is a terminal).
    """

    out: str = "runs/demo"
    seeds: int = 3
    steps: tuple[int, ...] = (50, 400)
    batch_size: int = 32
    lr: float = 0.05
    model: str = "small-cnn"
    aug: str = "mixup"
    threads: int = 1
    progress: bool | None = None

    @classmethod
    def quick(cls, **kw) -> DemoSettings:
        """A seconds-long variant for tests: one seed, a few steps."""
        return cls(**{"seeds": 1, "steps": (20,), "progress": False, **kw})


@dataclass
class DemoResult:
    """What :func:`run_demo` returns.

    Attributes
    ----------
    benches : dict of int to BenchResult
        One bench per training budget (steps), written to ``out/steps-<N>``.
    html, md : pathlib.Path
        The demo's report (all budgets), ``out/report.html`` and ``report.md``.
    comparison : str
        The printed imbalanced-vs-balanced table.
    """

    benches: dict[int, BenchResult]
    html: Path
    md: Path
    comparison: str


def _prepare_out(out: Path) -> None:
    """Create `out`, or clear the demo's previous output; refuse anything else."""
    if out.exists():
        if not out.is_dir():
            raise UsageError(
                f"--out {str(out)!r} must be a folder for the demo's output. "
                "Got an existing file instead."
            )
        if (read_marker(out) or {}).get("kind") == "demo" or (
            out / _LEGACY_MARKER
        ).is_file():
            shutil.rmtree(out)
        elif any(out.iterdir()):
            raise UsageError(
                f"{str(out)!r} exists and was not written by 'pixsmote demo' (no "
                f"{MARKER} file); the demo only overwrites its own output. Choose "
                "another --out or empty it. Got a non-empty folder instead."
            )
    out.mkdir(parents=True, exist_ok=True)
    write_marker(out, "demo")


def _class_table(names, rows: dict[str, np.ndarray]) -> str:
    header = ["class", *rows]
    body = [[n, *(str(int(v[i])) for v in rows.values())] for i, n in enumerate(names)]
    body.append(["total", *(str(int(np.sum(v))) for v in rows.values())])
    widths = [max(len(r[j]) for r in [header, *body]) for j in range(len(header))]
    fmt = "  ".join(
        f"{{:<{w}}}" if j == 0 else f"{{:>{w}}}" for j, w in enumerate(widths)
    )
    return "\n".join(fmt.format(*r) for r in [header, *body])


_METRICS = (
    ("acsa", "ACSA"),
    ("gm", "GM"),
    ("macro_f1", "macro-F1"),
    ("accuracy", "accuracy"),
)


def _comparison(results: dict[int, BenchResult], test: str = "test") -> str:
    """Imbalanced vs SMOTE-balanced per budget and metric, with the difference."""
    from pixsmote.report import summarize

    lines = [
        f"{'budget':<11}{'metric (%)':<11}{'imbalanced':>14}{'SMOTE-balanced':>17}"
        f"{'difference':>12}"
    ]
    n = 0
    for steps, result in results.items():
        rows = {r["recipe"]: r for r in summarize(result.runs) if r["test"] == test}
        if "none" not in rows or "smote" not in rows:
            lines.append(f"{f'{steps} steps':<11}(no test results)")
            continue
        a, b = rows["none"], rows["smote"]
        n = a["n"]
        for i, (key, name) in enumerate(_METRICS):
            ma, sa = a[f"{key}_mean"], a[f"{key}_std"]
            mb, sb = b[f"{key}_mean"], b[f"{key}_std"]
            budget = f"{steps} steps" if i == 0 else ""
            lines.append(
                f"{budget:<11}{name:<11}{f'{ma:.1f} ± {sa:.1f}':>14}"
                f"{f'{mb:.1f} ± {sb:.1f}':>17}{mb - ma:>+12.1f}"
            )
    lines.append(f"(test set {test!r}, mean ± std over {n} seed(s))")
    return "\n".join(lines)


def run_demo(
    settings: DemoSettings | None = None,
    *,
    echo: Callable[[str], None] | None = print,
) -> DemoResult:
    """Run the demo: class table, scatter, imbalanced vs SMOTE, report.

    Parameters
    ----------
    settings : DemoSettings, optional
    echo : callable or None
        Receives the printout, a block at a time; None is silent.

    Returns
    -------
    DemoResult

    Raises
    ------
    UsageError
        If ``settings.out`` exists, is not empty and holds no demo marker.
    """
    s = settings or DemoSettings()
    with limit_threads(s.threads):
        return _run_demo(s, echo or (lambda text: None))


def _run_demo(s: DemoSettings, say: Callable[[str], None]) -> DemoResult:
    from pixsmote import report
    from pixsmote.data import load_split

    t0 = time.perf_counter()
    out = Path(s.out)
    _prepare_out(out)

    split = load_split(DEMO_SPLIT, seed=0)
    data = resolve_data(DEMO_SPLIT, split_seed=0)
    names = [f"digit {n}" for n in data.class_names]
    before = data.counts()
    say(
        "pixsmote demo: the motivating case (3 classes, 30 / 192 / 80 training "
        "images, 6.4:1) on scikit-learn's digits.\n"
        f"split {DEMO_SPLIT}: {split.description}.\n"
        "digits has ~180 images per class, so the case's proportions are kept "
        "(x 0.6); validation and test sets are balanced."
    )
    smote = balance_training(parse_recipe("smote"), data.X, data.y, seed=0)
    after = data.counts(smote.y)
    rows = {
        "train": before,
        "after SMOTE": after,
        "val": data.counts(data.y_val),
        "test": data.counts(data.tests["test"][1]),
    }
    say("\nClass counts (SMOTE, seed 0, adds synthetic minority images):")
    say(_class_table(names, rows))
    say(
        f"imbalance ratio {before.max() / before.min():.1f}:1 -> "
        f"{after.max() / after.min():.1f}:1; {int(smote.synthetic.sum())} synthetic "
        f"images made in {1000 * smote.time_s:.0f} ms."
    )
    paths = []
    for dims in (2, 3):
        fig = report.plot_scatter(
            data.X, data.y, smote.X, smote.y, smote.synthetic, names, dims=dims
        )
        path = out / f"scatter-{dims}d.png"
        path.write_bytes(report.figure_png(fig))
        paths.append(str(path))
    say(
        "PCA scatter of the training set before/after SMOTE (synthetic points as "
        f"crosses): {paths[0]} (2-D), {paths[1]} (3-D)"
    )

    say(
        f"\nTraining {s.model} with {s.aug} (batch {s.batch_size}), seeds "
        f"0..{s.seeds - 1}, for each budget of {list(s.steps)} steps: 'none' = "
        "imbalanced, 'smote' = SMOTE-balanced (resampled with the run's seed). "
        "Checkpoint: best validation ACSA; the test set is used once at the end."
    )
    results: dict[int, BenchResult] = {}
    for steps in s.steps:
        config = BenchConfig(
            train=DEMO_SPLIT,
            recipes=["none", "smote"],
            aug=s.aug,
            loss="ce",
            model=s.model,
            steps=steps,
            seeds=s.seeds,
            out=str(out / f"steps-{steps}"),
            batch_size=s.batch_size,
            lr=s.lr,
            progress=s.progress,
            threads=s.threads,
            title=f"pixsmote demo: {steps} steps",
        )
        say(f"\n--- budget: {steps} steps per run")
        results[steps] = run_bench(config, data=data, echo=say)

    # One report for the whole demo, recipes labelled with their budget.
    runs = [
        dataclasses.replace(run, recipe=f"{run.recipe} ({steps} steps)")
        for steps, result in results.items()
        for run in result.runs
    ]
    label = "smote (seed 0)"
    html, md = report.write_report(
        out,
        runs,
        title="pixsmote demo: imbalanced vs SMOTE-balanced digits (the 30/192/80 case)",
        scatter={label: (data.X, data.y, smote.X, smote.y, smote.synthetic)},
        grids={label: (data.X, smote.plan, smote.X[smote.synthetic])},
        commands=(
            f"pixsmote demo --out {out} --seeds {s.seeds} --steps "
            + ",".join(map(str, s.steps))
        ),
        notes=[
            "The original case had 30 / 192 / 80 training images (6.4:1); digits "
            "has ~180 images per class, so the split keeps the proportions (x 0.6): "
            f"{split.description}.",
            f"Both recipes train {s.model} with {s.aug} for the same number of "
            f"steps (batch {s.batch_size}, peak lr {s.lr}) and seeds; each budget "
            f"in {list(s.steps)} is a separate comparison, fixed before looking at "
            "any result. Checkpoints are chosen on validation ACSA only.",
        ],
    )
    comparison = _comparison(results)
    say("\nImbalanced vs SMOTE-balanced, both with MixUp:")
    say(comparison)
    say(f"\nreport: {html}\ntotal time {time.perf_counter() - t0:.0f} s")
    return DemoResult(results, html, md, comparison)
