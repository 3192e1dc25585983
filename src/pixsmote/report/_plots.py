"""Figures of the report; each function returns a :class:`matplotlib.figure.Figure`.

The figures are built with ``matplotlib.figure.Figure`` directly rather than
through ``pyplot``: nothing is registered in pyplot's global figure list (so
nothing leaks when a bench draws hundreds of figures and nobody calls
``plt.close``), no GUI backend is ever touched, and the caller's backend choice
is left alone. Saving uses the Agg canvas.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from pixsmote._errors import UsageError

from ._runs import Run
from ._tables import mean_std

__all__ = [
    "plot_curves",
    "plot_per_class_recall",
    "plot_confusion",
    "plot_class_counts",
    "recipe_colors",
    "figure_png",
]

DPI = 100
# A scatter of more points than this is unreadable and slow to draw (3-D above
# all), so larger sets are subsampled, keeping every class represented.
MAX_SCATTER_POINTS = 3000
# PCA is fitted on at most this many rows (per class in proportion; fit_pca
# then keeps at most 1024 of them for images of more than 1024 values): the
# leading components of a few thousand images are stable, and a full fit on
# CIFAR-sized data is not cheap.
MAX_PCA_FIT_ROWS = 5000
# Above this many classes the per-cell counts of a confusion matrix overlap.
MAX_ANNOTATED_CLASSES = 20


def new_figure(
    width: float,
    height: float,
    layout: Literal["constrained", "compressed", "tight"] | None = "constrained",
) -> Figure:
    """A pyplot-free figure attached to an Agg canvas."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def figure_png(fig: Figure, dpi: int = DPI) -> bytes:
    """Render `fig` to PNG bytes with the Agg canvas.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dpi : int, default 100

    Returns
    -------
    bytes
        The PNG file content.
    """
    buf = io.BytesIO()
    # No "Software" entry: smaller files, and byte-identical PNGs across runs.
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def recipe_colors(recipes: Sequence[str]) -> dict[str, Any]:
    """One colour per recipe, stable across every figure of a report.

    Parameters
    ----------
    recipes : sequence of str
        Recipe names, in display order; duplicates are ignored.

    Returns
    -------
    dict
        Recipe -> RGBA tuple (``tab10``, ``tab20`` beyond ten recipes).
    """
    from matplotlib import colormaps

    unique = list(dict.fromkeys(recipes))
    cmap = colormaps["tab10" if len(unique) <= 10 else "tab20"]
    return {r: cmap(i % cmap.N) for i, r in enumerate(unique)}


def _recipes(runs: Sequence[Run]) -> list[str]:
    return list(dict.fromkeys(r.recipe for r in runs))


# --------------------------------------------------------------------- curves
def plot_curves(runs: Sequence[Run], seed: int | None = None) -> Figure:
    """Loss and accuracy per epoch, train dashed, validation solid.

    Parameters
    ----------
    runs : sequence of Run
        Runs of one or more recipes.
    seed : int, optional
        Which seed's runs to draw. By default each recipe's first run (the
        lowest seed), so a recipe missing one seed still shows. With an
        explicit seed, recipes without a run of that seed are left out.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: loss, then accuracy (in percent when ``metrics.csv`` holds
        fractions). Each recipe has one colour; ``train_*`` lines are dashed
        (``"--"``), ``val_*`` lines solid (``"-"``). Columns missing from
        ``metrics.csv`` are skipped.
    """
    chosen: dict[str, Run] = {}
    for run in runs:
        if seed is None or run.seed == seed:
            chosen.setdefault(run.recipe, run)  # runs are sorted by seed
    colors = recipe_colors(_recipes(runs))
    fig = new_figure(10, 3.8)
    ax_loss, ax_acc = fig.subplots(1, 2)
    acc_scale = _accuracy_scale(chosen.values())
    for recipe, run in chosen.items():
        epochs = _epochs(run)
        for split, style in (("train", "--"), ("val", "-")):
            loss = np.asarray(run.column(f"{split}_loss"))
            if run.history and f"{split}_loss" in run.history[0]:
                ax_loss.plot(epochs, loss, linestyle=style, color=colors[recipe])
            if run.history and f"{split}_acc" in run.history[0]:
                acc = np.asarray(run.column(f"{split}_acc")) * acc_scale
                ax_acc.plot(epochs, acc, linestyle=style, color=colors[recipe])
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
    ax_acc.set(
        xlabel="epoch",
        ylabel="accuracy (%)" if acc_scale == 100.0 else "accuracy",
        title="accuracy",
    )
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
    # Legend proxies: colours name the recipes, line styles the split. They are
    # not added to the axes, so ax.lines holds only the data.
    handles = [Line2D([], [], color=colors[r], label=_tx(r)) for r in chosen]
    handles += [
        Line2D([], [], color="0.3", linestyle="--", label="train"),
        Line2D([], [], color="0.3", linestyle="-", label="validation"),
    ]
    ax_acc.legend(handles=handles, fontsize=8, loc="best")
    shown = sorted({r.seed for r in chosen.values() if r.seed is not None})
    if shown:
        fig.suptitle(f"training curves (seed {', '.join(map(str, shown))})")
    if not chosen:
        ax_loss.text(0.5, 0.5, "no runs", ha="center", transform=ax_loss.transAxes)
    return fig


def _epochs(run: Run) -> np.ndarray:
    epochs = np.asarray(run.column("epoch"))
    if epochs.size == 0 or not np.isfinite(epochs).all():
        return np.arange(1, len(run.history) + 1, dtype=float)
    return epochs


def _accuracy_scale(runs: Any) -> float:
    # The contract stores fractions; a writer that already stored percentages
    # must not end up at 8000 %.
    values = [
        v
        for run in runs
        for key in ("train_acc", "val_acc")
        for v in run.column(key)
        if math.isfinite(v)
    ]
    return 1.0 if values and max(values) > 1.0 else 100.0


# ---------------------------------------------------------- per-class recall
def plot_per_class_recall(runs: Sequence[Run], test_name: str) -> Figure:
    """Grouped bars of per-class recall on one test set, one colour per recipe.

    Parameters
    ----------
    runs : sequence of Run
    test_name : str
        Key of ``results["test"]``. Runs without it are skipped.

    Returns
    -------
    matplotlib.figure.Figure
        One axes; ``n_recipes * n_classes`` bars, each the mean recall (in
        percent) over seeds, with the sample standard deviation as error bar
        (none for a single seed). A class whose recall is undefined (no test
        sample, stored as ``null``/NaN) gets no bar and an "n/a" mark.
    """
    per_recipe: dict[str, list[list[float]]] = {}
    class_names: list[str] = []
    for run in runs:
        test = run.tests.get(test_name)
        if not test or test.get("per_class_recall") is None:
            continue
        recall = [_float(v) * 100.0 for v in test["per_class_recall"]]
        per_recipe.setdefault(run.recipe, []).append(recall)
        if len(run.class_names) > len(class_names):
            class_names = run.class_names
    n_classes = max((len(r) for rs in per_recipe.values() for r in rs), default=0)
    class_names = _class_names(class_names, n_classes)
    colors = recipe_colors(_recipes(runs))
    fig = new_figure(max(6.0, 1.0 + 0.22 * n_classes * max(1, len(per_recipe))), 3.8)
    ax = fig.subplots()
    width = 0.8 / max(1, len(per_recipe))
    x = np.arange(n_classes)
    for i, (recipe, recalls) in enumerate(per_recipe.items()):
        stats = [
            mean_std(r[c] if c < len(r) else math.nan for r in recalls)
            for c in range(n_classes)
        ]
        means = np.array([s[0] for s in stats])
        stds = np.array([s[1] for s in stats])
        pos = x - 0.4 + width * (i + 0.5)
        heights = np.nan_to_num(means, nan=0.0)
        yerr = None if len(recalls) < 2 else np.nan_to_num(stds, nan=0.0)
        ax.bar(
            pos,
            heights,
            width,
            yerr=yerr,
            capsize=2,
            color=colors[recipe],
            label=_tx(f"{recipe} (n={len(recalls)})"),
        )
        for p in pos[~np.isfinite(means)]:
            ax.text(p, 1, "n/a", rotation=90, ha="center", va="bottom", fontsize=7)
    ax.set_xticks(
        x,
        class_names,
        rotation=45 if n_classes > 10 else 0,
        ha="right" if n_classes > 10 else "center",
    )
    title = _tx(f"per-class recall: {test_name}")
    ax.set(ylabel="recall (%)", ylim=(0, 105), title=title)
    ax.grid(axis="y", alpha=0.3)
    if per_recipe:
        # Outside the axes: inside, it always hides some class's bars.
        fig.legend(fontsize=8, loc="outside right upper")
    else:
        ax.text(0.5, 0.5, "no results", ha="center", transform=ax.transAxes)
    return fig


# ----------------------------------------------------------------- confusion
def plot_confusion(
    results_or_matrix: Any,
    class_names: Sequence[str] | None = None,
    title: str = "",
) -> Figure:
    """A confusion matrix, coloured by row-normalised rate, annotated with counts.

    Parameters
    ----------
    results_or_matrix : array-like or dict
        A ``(C, C)`` matrix (rows = true class), or a test entry of
        ``results.json`` holding ``"confusion_matrix"``. Averaged (non-integer)
        counts are shown with one decimal.
    class_names : sequence of str, optional
        Defaults to the class indices.
    title : str, default ""

    Returns
    -------
    matplotlib.figure.Figure
        One axes with one image whose array is the row-normalised matrix; a
        class without samples (an all-zero row) stays 0 instead of NaN.
        Counts are written in each cell up to 20 classes.
    """
    matrix = results_or_matrix
    if isinstance(matrix, Mapping):
        matrix = matrix.get("confusion_matrix")
    counts = np.asarray(
        [[_float(v) for v in row] for row in (matrix if matrix is not None else [])],
        dtype=np.float64,
    )
    if counts.size == 0:
        counts = np.zeros((0, 0))
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise UsageError(
            f"confusion matrix must be square (C, C). Got shape {counts.shape}."
        )
    counts = np.nan_to_num(counts, nan=0.0)
    n = counts.shape[0]
    names = _class_names(list(class_names or []), n)
    row_sum = counts.sum(axis=1, keepdims=True)
    rates = np.divide(counts, row_sum, out=np.zeros_like(counts), where=row_sum > 0)
    size = min(9.0, 2.4 + 0.33 * n)
    fig = new_figure(size + 1.0, size)
    ax = fig.subplots()
    image = ax.imshow(rates, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, shrink=0.8, label="fraction of true class")
    if 0 < n <= MAX_ANNOTATED_CLASSES:
        integral = np.allclose(counts, np.round(counts))
        fontsize = 9 if n <= 10 else 7
        for (i, j), value in np.ndenumerate(counts):
            text = f"{value:.0f}" if integral else f"{value:.1f}"
            color = "white" if rates[i, j] > 0.5 else "black"
            ax.text(
                j, i, text, ha="center", va="center", color=color, fontsize=fontsize
            )
    ticks = np.arange(n)
    rotate = 45 if max((len(s) for s in names), default=0) > 3 else 0
    ax.set_xticks(ticks, names, rotation=rotate, ha="right" if rotate else "center")
    ax.set_yticks(ticks, names)
    ax.set(xlabel="predicted", ylabel="true", title=_tx(title))
    return fig


# ------------------------------------------------------------------- scatter
def plot_class_counts(
    counts_before: Any,
    counts_after: Any,
    class_names: Sequence[str] | None = None,
) -> Figure:
    """Bar chart of training-set class counts before and after balancing.

    Parameters
    ----------
    counts_before : sequence of int or dict
        Count per class, by index, or a mapping label-or-name -> count.
    counts_after : sequence of int, dict, or dict of those
        The same for the balanced set; or a mapping recipe -> counts to draw
        one bar series per recipe.
    class_names : sequence of str, optional
        Defaults to the indices (or the keys of a mapping).

    Returns
    -------
    matplotlib.figure.Figure
        One axes, ``n_classes * (1 + n_series)`` bars, in a log scale when
        the counts span more than two decades.
    """
    names = list(class_names) if class_names is not None else []
    series: dict[str, Any] = {"before": counts_before}
    if (
        isinstance(counts_after, Mapping)
        and counts_after
        and all(_is_counts(v) for v in counts_after.values())
    ):
        series.update({f"after: {k}": v for k, v in counts_after.items()})
    else:
        series["after"] = counts_after
    if not names:
        for counts in series.values():
            if isinstance(counts, Mapping):
                names = [str(k) for k in counts]
                break
    vectors = {k: _counts_vector(v, names) for k, v in series.items()}
    n_classes = max([len(names), *(len(v) for v in vectors.values())])
    names = _class_names(names, n_classes)
    fig = new_figure(max(6.0, 1.5 + 0.2 * n_classes * len(vectors)), 3.8)
    ax = fig.subplots()
    width = 0.8 / len(vectors)
    x = np.arange(n_classes)
    colors = ["0.6", *recipe_colors(list(vectors)[1:]).values()]
    for i, ((label, vec), color) in enumerate(
        zip(vectors.items(), colors, strict=True)
    ):
        heights = np.zeros(n_classes)
        heights[: len(vec)] = np.nan_to_num(vec, nan=0.0)
        ax.bar(
            x - 0.4 + width * (i + 0.5), heights, width, label=_tx(label), color=color
        )
    positive = [v for vec in vectors.values() for v in vec if v > 0]
    if positive and max(positive) / min(positive) > 100:
        ax.set_yscale("log")
    rotate = n_classes > 10
    ax.set_xticks(
        x, names, rotation=45 if rotate else 0, ha="right" if rotate else "center"
    )
    ax.set(ylabel="training images", title="class counts")
    ax.grid(axis="y", alpha=0.3)
    fig.legend(fontsize=8, loc="outside right upper")
    return fig


def _is_counts(value: Any) -> bool:
    return isinstance(value, (Mapping, Sequence, np.ndarray)) and not isinstance(
        value, str
    )


def _counts_vector(counts: Any, names: list[str]) -> np.ndarray:
    if counts is None:
        return np.zeros(len(names))
    if isinstance(counts, Mapping):
        # Keys may be class indices (possibly as JSON strings) or class names.
        out = np.zeros(max(len(names), len(counts)))
        for key, value in counts.items():
            if str(key) in names:
                pos = names.index(str(key))
            else:
                try:
                    pos = int(key)
                except (TypeError, ValueError):
                    continue
            if 0 <= pos < len(out):
                out[pos] = _float(value)
        return out
    return np.array([_float(v) for v in counts], dtype=np.float64)


# ------------------------------------------------------------------- helpers
def _class_names(names: list[str], n: int) -> list[str]:
    """Exactly `n` display names: the given ones, then indices; ``$`` escaped."""
    names = [_tx(str(s)) for s in names[:n]]
    return names + [str(i) for i in range(len(names), n)]


def _tx(text: str) -> str:
    """Escape ``$`` in user text: matplotlib would parse ``$...$`` as mathtext,
    and a name like ``"a$^$"`` would make the figure fail to draw."""
    return text.replace("$", r"\$")


def _float(value: Any) -> float:
    try:
        return math.nan if value is None else float(value)
    except (TypeError, ValueError):
        return math.nan
