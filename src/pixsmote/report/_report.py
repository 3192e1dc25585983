"""``write_report``: the HTML and Markdown report of one bench/demo invocation."""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._document import Block, Code, Gallery, Heading, Image, Paragraph, Table
from ._html import render_html
from ._image_plots import plot_scatter, plot_synthetic_grid
from ._markdown import FIGURE_DIR, render_markdown
from ._plots import (
    figure_png,
    plot_class_counts,
    plot_confusion,
    plot_curves,
    plot_per_class_recall,
)
from ._runs import Run
from ._tables import METRIC_LABELS, mean_std, summarize, table_cells

__all__ = ["write_report", "main_test_name", "summary_paragraph"]


def main_test_name(runs: Sequence[Run]) -> str | None:
    """The test set the confusion matrices are drawn for.

    ``"test"`` when any run has it, otherwise the first test set in run order,
    ``None`` when no run has test results.

    Parameters
    ----------
    runs : sequence of Run
        From :func:`load_runs`.
    """
    names = [name for run in runs for name in run.tests]
    if "test" in names:
        return "test"
    return names[0] if names else None


def write_report(
    out_dir: str | Path,
    runs: Sequence[Run],
    *,
    title: str,
    scatter: Mapping[str, tuple] | None = None,
    grids: Mapping[str, tuple] | None = None,
    counts: Mapping[str, tuple] | None = None,
    commands: str | Sequence[str] | None = None,
    notes: str | Sequence[str] | None = None,
) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.md`` for a set of runs.

    Both files carry the same content: title, the command(s) run, notes,
    machine and versions, a per-run summary, the comparison table (mean ±
    std over seeds) and the per-class recall bars for each test set, the
    training curves, the confusion matrices, the class counts, the PCA
    scatters (2-D and 3-D) and the synthetic-image grids.

    Parameters
    ----------
    out_dir : str or path-like
        Created if needed. Receives ``report.html`` (self-contained: images
        as base64 ``data:`` URIs, inline CSS, no script, no network),
        ``report.md`` and ``figures/*.png`` (the Markdown's images, linked
        relatively). Existing files of the same names are overwritten.
    runs : sequence of Run
        From :func:`load_runs`; may be empty, have one recipe or one seed,
        or lack test results.
    title : str
    scatter : mapping, optional
        Recipe -> ``(X_before, y_before, X_after, y_after, synthetic_mask)``
        for :func:`plot_scatter`; a 2-D and a 3-D figure per recipe.
    grids : mapping, optional
        Recipe -> ``(X, plan, X_synth)`` for :func:`plot_synthetic_grid`.
    counts : mapping, optional
        Recipe -> ``(counts_before, counts_after)``. By default taken from
        each recipe's first run's ``config.json``
        (``train_counts_before``/``train_counts_after``).
    commands : str or sequence of str, optional
        The exact command line(s) that produced the runs.
    notes : str or sequence of str, optional
        Plain-text paragraphs placed under the commands.

    Returns
    -------
    html_path, md_path : pathlib.Path

    Notes
    -----
    Confusion matrices are drawn for the main test set (``"test"`` if present,
    else the first one, see :func:`main_test_name`), one per recipe, from the
    count matrices averaged over seeds: row-normalising the average equals
    pooling the seeds, and the annotated counts stay on the scale of one run.
    The training curves show each recipe's first seed.
    """
    out_dir = Path(out_dir)
    fig_dir = out_dir / FIGURE_DIR
    fig_dir.mkdir(parents=True, exist_ok=True)
    names = _Names()
    recipes = list(dict.fromkeys(r.recipe for r in runs))
    class_names = next((r.class_names for r in runs if r.class_names), [])

    def image(stem: str, caption: str, fig: Any) -> Image:
        png = figure_png(fig)
        fig.clear()  # frees the artists now rather than at garbage collection
        img = Image(names.unique(stem), caption, png)
        (fig_dir / img.name).write_bytes(png)
        return img

    blocks: list[Block] = []
    answer = summary_paragraph(runs)
    if answer:
        blocks.append(Paragraph(answer))
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    blocks.append(
        Paragraph(
            f"Generated {now} from {len(runs)} run(s): {len(recipes)} recipe(s), "
            f"seeds {_seed_list(runs)}."
        )
    )
    cmd_list = [commands] if isinstance(commands, str) else list(commands or [])
    if cmd_list:
        blocks += [Heading(2, "Command"), Code("\n".join(cmd_list))]
    note_list = [notes] if isinstance(notes, str) else list(notes or [])
    blocks += [Paragraph(n) for n in note_list]

    versions = _versions(runs)
    if versions:
        blocks += [
            Heading(2, "Machine and versions"),
            Table(["item", "value"], [[k, v] for k, v in versions.items()]),
        ]
    if runs:
        blocks += [Heading(2, "Runs"), _runs_table(runs)]

    # ---- results per test set
    blocks.append(Heading(2, "Results (mean ± std over seeds, %)"))
    rows = summarize(runs)
    if not rows:
        blocks.append(Paragraph("No test results: the runs have no test set yet."))
    tests = list(dict.fromkeys(row["test"] for row in rows))
    for test in tests:
        test_rows = [row for row in rows if row["test"] == test]
        header, body, right, best = table_cells(test_rows)
        # The heading names the test set: drop the redundant first column.
        blocks += [
            Heading(3, f"Test set: {test}"),
            Table(
                header[1:],
                [cells[1:] for cells in body],
                right[1:],
                {(i, j - 1) for i, j in best},
            ),
            image(
                f"recall_{test}",
                f"Per-class recall on {test} (mean over seeds, error bar = std)",
                plot_per_class_recall(runs, test),
            ),
        ]

    # ---- curves and confusion matrices
    if any(r.history for r in runs):
        blocks += [
            Heading(2, "Training curves"),
            image(
                "curves",
                "Loss and accuracy per epoch: train dashed, validation solid, "
                "one colour per recipe (first seed of each recipe)",
                plot_curves(runs),
            ),
        ]
    main = main_test_name(runs)
    if main is not None:
        confusion = []
        for recipe in recipes:
            matrix, n = _mean_confusion(runs, recipe, main)
            if matrix is None:
                continue
            confusion.append(
                image(
                    f"confusion_{recipe}",
                    f"Confusion matrix, {recipe}, {main} (mean counts over "
                    f"{n} seed(s), colour = row-normalised)",
                    plot_confusion(matrix, class_names, f"{recipe} — {main}"),
                )
            )
        if confusion:
            blocks += [Heading(2, f"Confusion matrices ({main})"), Gallery(confusion)]

    # ---- training data: counts, scatters, synthetic grids
    counts = dict(counts) if counts is not None else _counts_from_configs(runs)
    if counts:
        first = next(iter(counts.values()))
        after = {recipe: pair[1] for recipe, pair in counts.items()}
        blocks += [
            Heading(2, "Class counts of the training set"),
            image(
                "class_counts",
                "Training images per class, before and after balancing",
                plot_class_counts(first[0], after, class_names),
            ),
        ]
    if scatter:
        blocks.append(Heading(2, "Training set before and after balancing (PCA)"))
        for recipe, data in scatter.items():
            X_b, y_b, X_a, y_a, synth = data
            blocks.append(Heading(3, recipe))
            # One figure per row, not a gallery: each is as wide as the page
            # (1100 px), so its 9-10 pt labels show at 12-14 px; two side by
            # side were scaled to half and their labels to 6-7 px.
            blocks += [
                image(
                    f"scatter{dims}d_{recipe}",
                    f"{recipe}: {dims}-D PCA (fitted on the original "
                    "set); crosses are synthetic images",
                    plot_scatter(X_b, y_b, X_a, y_a, synth, class_names, dims),
                )
                for dims in (2, 3)
            ]
    if grids:
        blocks.append(Heading(2, "Synthetic images and their parents"))
        grid_images = [
            image(
                f"grid_{recipe}",
                f"{recipe}: parent A | synthetic | parent B",
                plot_synthetic_grid(X, plan, X_synth, class_names=class_names),
            )
            for recipe, (X, plan, X_synth) in grids.items()
        ]
        blocks.append(Gallery(grid_images))

    html_path = out_dir / "report.html"
    md_path = out_dir / "report.md"
    html_path.write_text(render_html(title, blocks), encoding="utf-8")
    md_path.write_text(render_markdown(title, blocks), encoding="utf-8")
    return html_path, md_path


class _Names:
    """Unique, filesystem-safe figure file names derived from free text."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def unique(self, stem: str) -> str:
        # Recipe and test names are user text ("<script>", "a/b"): keep a
        # conservative character set so the Markdown links need no escaping.
        slug = re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-.") or "figure"
        name, k = f"{slug}.png", 2
        while name in self._used:
            name, k = f"{slug}-{k}.png", k + 1
        self._used.add(name)
        return name


def _seed_list(runs: Sequence[Run]) -> str:
    seeds = sorted({r.seed for r in runs if r.seed is not None})
    return ", ".join(map(str, seeds)) if seeds else "n/a"


def _versions(runs: Sequence[Run]) -> dict[str, str]:
    """Versions/machine entries of all runs; differing values are joined."""
    merged: dict[str, list[str]] = {}
    for run in runs:
        for source in (run.config.get("versions"), run.results.get("versions")):
            if not isinstance(source, Mapping):
                continue
            for key, value in source.items():
                text = value if isinstance(value, str) else json.dumps(value)
                values = merged.setdefault(str(key), [])
                if text not in values:
                    values.append(text)
    devices = list(
        dict.fromkeys(
            str(r.config["device"]) for r in runs if r.config.get("device") is not None
        )
    )
    if devices and "device" not in merged:
        merged["device"] = devices
    if runs and "machine" not in merged:
        # The runs do not say; the report is normally written by the same
        # invocation, on the same machine, so say where that is.
        merged["machine"] = [
            f"{platform.platform()}, {os.cpu_count()} CPUs (where the report "
            "was written)"
        ]
    return {k: " / ".join(v) for k, v in merged.items()}


#: The metric the summary paragraph ranks recipes by: the one checkpoints are
#: chosen on (validation ACSA), on the main test set.
SUMMARY_METRIC = "acsa"


def summary_paragraph(runs: Sequence[Run], metric: str = SUMMARY_METRIC) -> str:
    """One paragraph answering "which recipe won, and by how much".

    The recipe with the best mean `metric` on the main test set
    (:func:`main_test_name`), its difference to no balancing (the recipe
    whose ``balancing`` is ``"none"``) and to random over-sampling
    (``"ros"``), each as mean ± std over seeds (:func:`mean_std`), with the
    seeds. A difference smaller than the larger of the two spreads is called
    within the seed-to-seed spread. When several recipes share a balancing
    (different augmentations or budgets), the one run with the winner's
    steps, augmentation and loss is the reference, else the first.

    Parameters
    ----------
    runs : sequence of Run
    metric : str, default="acsa"
        A name of :data:`METRICS`.

    Returns
    -------
    str
        Empty when no run has test results.
    """
    test = main_test_name(runs)
    rows = [r for r in summarize(runs) if r["test"] == test]
    rows = [r for r in rows if math.isfinite(r[f"{metric}_mean"])]
    if not rows:
        return ""
    label = METRIC_LABELS.get(metric, metric)
    by_recipe = {r["recipe"]: r for r in rows}
    best = max(rows, key=lambda r: r[f"{metric}_mean"])

    def cell(row: dict[str, Any]) -> str:
        return f"{row[f'{metric}_mean']:.1f} ± {row[f'{metric}_std']:.1f} %"

    def config_of(recipe: str) -> dict[str, Any]:
        return next((r.config for r in runs if r.recipe == recipe), {})

    def reference(balancing: str) -> dict[str, Any] | None:
        names = [
            name
            for name in by_recipe
            if config_of(name).get("balancing", name.split(" ")[0]) == balancing
        ]
        if not names:
            return None
        key = ("steps", "aug", "loss")
        mine = [config_of(best["recipe"]).get(k) for k in key]
        same = [n for n in names if [config_of(n).get(k) for k in key] == mine]
        return by_recipe[(same or names)[0]]

    seeds = sorted({s for r in rows for s in r["seeds"] if s is not None})
    text = (
        f"Answer: on {test}, {best['recipe']} won with {label} {cell(best)} "
        f"(mean ± std over seeds {', '.join(map(str, seeds)) or 'n/a'}; "
        f"{best['n']} run(s))"
    )
    parts = []
    for balancing, words in (("none", "no balancing"), ("ros", "random over-sampling")):
        ref = reference(balancing)
        if ref is None:
            parts.append(f"{words} was not run")
            continue
        if ref["recipe"] == best["recipe"]:
            parts.append(f"it is {words} itself")
            continue
        diff = best[f"{metric}_mean"] - ref[f"{metric}_mean"]
        spread = max(best[f"{metric}_std"], ref[f"{metric}_std"])
        within = " (within the seed-to-seed spread)" if abs(diff) < spread else ""
        parts.append(
            f"{diff:+.1f} points over {words} ({ref['recipe']}: {cell(ref)}){within}"
        )
    return text + ": " + "; ".join(parts) + "."


def _runs_table(runs: Sequence[Run]) -> Table:
    header = ["recipe", "seeds", "epochs", "best epoch", "time (s)"]
    body = []
    for recipe in dict.fromkeys(r.recipe for r in runs):
        group = [r for r in runs if r.recipe == recipe]
        best = [r.results.get("best_epoch") for r in group]
        mean, std, n = mean_std(_float(r.results.get("time_s")) for r in group)
        body.append(
            [
                recipe,
                ", ".join(str(r.seed) for r in group),
                ", ".join(_epochs_trained(r) for r in group),
                ", ".join("n/a" if b is None else str(b) for b in best),
                "n/a" if n == 0 else f"{mean:.1f} ± {std:.1f}",
            ]
        )
    return Table(header, body, [False, False, False, False, True])


def _epochs_trained(run: Run) -> str:
    """Epochs the run trained: the last validation row's epoch.

    ``metrics.csv`` has one row per validation, not per epoch (the loop
    validates every few epochs), so its length is not the epoch count.
    """
    epochs = [e for e in run.column("epoch") if math.isfinite(e)]
    if epochs:
        return str(int(max(epochs)))
    return str(len(run.history)) if run.history else "n/a"


def _mean_confusion(
    runs: Sequence[Run], recipe: str, test: str
) -> tuple[np.ndarray | None, int]:
    """Seed-averaged count matrix; matrices of another shape than the first
    (a run with a different class list) are skipped rather than broadcast."""
    mats: list[np.ndarray] = []
    for run in runs:
        entry = run.tests.get(test) if run.recipe == recipe else None
        if not entry or entry.get("confusion_matrix") is None:
            continue
        mat = np.array(
            [[_float(v) for v in row] for row in entry["confusion_matrix"]],
            dtype=np.float64,
        )
        if mat.ndim != 2 or mat.size == 0:
            continue
        if mats and mat.shape != mats[0].shape:
            continue
        mats.append(np.nan_to_num(mat, nan=0.0))
    if not mats:
        return None, 0
    return np.mean(mats, axis=0), len(mats)


def _counts_from_configs(runs: Sequence[Run]) -> dict[str, tuple[Any, Any]]:
    counts: dict[str, tuple[Any, Any]] = {}
    for run in runs:
        before = run.config.get("train_counts_before")
        after = run.config.get("train_counts_after")
        if before is not None and after is not None:
            counts.setdefault(run.recipe, (before, after))
    return counts


def _float(value: Any) -> float:
    try:
        return math.nan if value is None else float(value)
    except (TypeError, ValueError):
        return math.nan
