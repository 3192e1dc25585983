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
    "plot_scatter",
    "plot_synthetic_grid",
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
def plot_scatter(
    X_before: np.ndarray,
    y_before: np.ndarray,
    X_after: np.ndarray,
    y_after: np.ndarray,
    synthetic_mask: np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
    dims: int = 2,
    *,
    max_points: int = MAX_SCATTER_POINTS,
    random_state: int = 0,
) -> Figure:
    """PCA scatter of a training set before and after balancing, side by side.

    PCA is fitted on the flattened *before* set only, so both panels share one
    projection and synthetic points land where their pixels put them.

    Parameters
    ----------
    X_before : ndarray of shape (N, ...)
        Images (any trailing shape) or feature rows.
    y_before : ndarray of shape (N,)
    X_after : ndarray of shape (M, ...)
    y_after : ndarray of shape (M,)
    synthetic_mask : ndarray of bool, shape (M,), optional
        True for synthetic rows of `X_after`: drawn as crosses, fainter.
    class_names : sequence of str, optional
        Indexed by label; defaults to the labels themselves.
    dims : {2, 3}, default 2
        2-D axes, or 3-D axes (``mpl_toolkits.mplot3d``).
    max_points : int, default 3000
        Each panel draws at most this many points, sampled per class in
        proportion (at least one per class) so small classes stay visible.
    random_state : int, default 0
        Seed of the subsampling. The PCA itself is exact and deterministic:
        :func:`pixsmote.sampling.fit_pca`, the one behind
        ``neighbor_space="pca"``.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: before, after.

    Raises
    ------
    UsageError
        If `dims` is not 2 or 3, or lengths disagree.
    """
    from pixsmote.sampling import fit_pca

    if dims not in (2, 3):
        raise UsageError(f"dims must be 2 or 3. Got {dims!r} instead.")
    y_before = np.asarray(y_before).reshape(-1)
    y_after = np.asarray(y_after).reshape(-1)
    mask = (
        np.zeros(len(y_after), dtype=bool)
        if synthetic_mask is None
        else np.asarray(synthetic_mask, dtype=bool).reshape(-1)
    )
    for name, X, y in (("before", X_before, y_before), ("after", X_after, y_after)):
        if len(X) != len(y):
            raise UsageError(
                f"X_{name} and y_{name} must have the same length. "
                f"Got {len(X)} and {len(y)} instead."
            )
    if len(mask) != len(y_after):
        raise UsageError(
            "synthetic_mask must have one entry per row of X_after. "
            f"Got {len(mask)} for {len(y_after)} rows instead."
        )
    rng = np.random.default_rng(random_state)
    fit_idx = _subsample(y_before, MAX_PCA_FIT_ROWS, rng)
    fit_rows = _flat(X_before, fit_idx)
    basis = fit_pca(fit_rows, dims) if fit_rows.size else None
    n_comp = basis.axes.shape[1] if basis is not None else 0

    def project(X: np.ndarray, idx: np.ndarray) -> np.ndarray:
        out = np.zeros((len(idx), dims))
        # Chunks keep the float32 copy of the images small.
        for start in range(0, len(idx), 2048):
            part = idx[start : start + 2048]
            if basis is not None:
                out[start : start + len(part), :n_comp] = basis.transform(
                    _flat(X, part)
                )
        return out

    labels = np.unique(np.concatenate([y_before, y_after]))
    cmap_name = "tab10" if len(labels) <= 10 else "tab20"
    from matplotlib import colormaps

    cmap = colormaps[cmap_name]
    colors = {lab: cmap(i % cmap.N) for i, lab in enumerate(labels)}
    names = list(class_names) if class_names is not None else None

    def label_name(lab: Any) -> str:
        if (
            names is not None
            and np.issubdtype(type(lab), np.integer)
            and (0 <= int(lab) < len(names))
        ):
            return str(names[int(lab)])
        return str(lab)

    fig = new_figure(11, 5 if dims == 3 else 4.6)
    kw = {"projection": "3d"} if dims == 3 else {}
    # Axes or, with dims=3, mplot3d's Axes3D (add_subplot is typed as Axes).
    axes: list[Any] = [fig.add_subplot(1, 2, i + 1, **kw) for i in range(2)]
    panels = (
        ("before", X_before, y_before, np.zeros(len(y_before), dtype=bool)),
        ("after", X_after, y_after, mask),
    )
    for ax, (name, X, y, synth) in zip(axes, panels, strict=True):
        idx = _subsample(y, max_points, rng)
        pts = project(X, idx)
        ys, ss = y[idx], synth[idx]
        for lab in labels:
            for is_synth in (False, True):
                sel = (ys == lab) & (ss == is_synth)
                if not sel.any():
                    continue
                coords = [pts[sel, d] for d in range(dims)]
                ax.scatter(
                    *coords,
                    s=10 if is_synth else 8,
                    marker="x" if is_synth else "o",
                    alpha=0.35 if is_synth else 0.7,
                    color=colors[lab],
                    linewidths=0.8 if is_synth else 0.0,
                    # Depth shading would fade the faint synthetic crosses
                    # to nothing at the back of a 3-D box.
                    **({"depthshade": False} if dims == 3 else {}),
                )
        n_synth = int(synth.sum())
        title = f"{name}: {len(y)} images"
        if n_synth:
            title += f" ({n_synth} synthetic)"
        ax.set_title(title, fontsize=10)
        # In 3-D the axis labels sit right against the tick labels otherwise.
        pad = 8 if dims == 3 else 4
        ax.set_xlabel("PC1", labelpad=pad)
        ax.set_ylabel("PC2", labelpad=pad)
        if dims == 3:
            ax.set_zlabel("PC3", labelpad=pad)
            # The default box fills the axes and constrained layout cannot see
            # the 3-D tick labels, which then spill over the neighbour panel.
            ax.set_box_aspect(None, zoom=0.85)
    handles = [
        Line2D([], [], marker="o", linestyle="", color=colors[lab]) for lab in labels
    ]
    for handle, lab in zip(handles, labels, strict=True):
        handle.set_label(_tx(label_name(lab)))
    handles += [
        Line2D([], [], marker="o", linestyle="", color="0.3", label="original"),
        Line2D([], [], marker="x", linestyle="", color="0.3", label="synthetic"),
    ]
    fig.legend(handles=handles, loc="outside right center", fontsize=9)
    return fig


def _subsample(y: np.ndarray, max_points: int, rng: np.random.Generator) -> np.ndarray:
    """Row indices, at most ~`max_points`, proportional per class, >= 1 each."""
    n = len(y)
    if n <= max_points:
        return np.arange(n)
    keep = []
    for lab in np.unique(y):
        members = np.flatnonzero(y == lab)
        k = max(1, round(len(members) * max_points / n))
        keep.append(rng.choice(members, size=min(k, len(members)), replace=False))
    return np.sort(np.concatenate(keep))


def _flat(X: np.ndarray, idx: np.ndarray) -> np.ndarray:
    rows = np.asarray(X[idx])
    return rows.reshape(len(idx), -1).astype(np.float32, copy=False)


# ------------------------------------------------------------ synthetic grid
def plot_synthetic_grid(
    X: np.ndarray,
    plan: Any,
    X_synth: np.ndarray,
    n: int = 8,
    class_names: Sequence[str] | None = None,
) -> Figure:
    """Synthetic images next to their two parents.

    Parameters
    ----------
    X : ndarray of shape (N, H, W) or (N, H, W, C)
        The images the plan indexes (uint8 shown as is; other dtypes are
        scaled to the range of `X`).
    plan : Plan
        Any object with 1-D arrays ``base``, ``neighbor``, ``gap`` and ``cls``
        (a :class:`pixsmote.sampling.Plan`), one row per synthetic image.
    X_synth : ndarray of shape (len(plan), H, W[, C])
        ``synthesize(X, plan)``.
    n : int, default 8
        Number of rows. They are spread evenly over the plan, which groups
        rows by class, so several classes appear.
    class_names : sequence of str, optional
        Names to label each row with ``plan.cls``.

    Returns
    -------
    matplotlib.figure.Figure
        ``3 * rows`` axes in row-major order; each row is parent A
        (``X[plan.base[i]]``) | synthetic (``X_synth[i]``, titled with the
        gap) | parent B (``X[plan.neighbor[i]]``). An empty plan (random
        over/under-sampling) gives a single axes saying so.
    """
    base = np.asarray(_plan_field(plan, "base")).reshape(-1)
    neighbor = np.asarray(_plan_field(plan, "neighbor")).reshape(-1)
    gap = np.asarray(_plan_field(plan, "gap"), dtype=np.float64).reshape(-1)
    cls = np.asarray(_plan_field(plan, "cls")).reshape(-1)
    if not (len(base) == len(neighbor) == len(gap) == len(cls) == len(X_synth)):
        raise UsageError(
            "plan.base, plan.neighbor, plan.gap, plan.cls and X_synth must have "
            f"the same length. Got {len(base)}, {len(neighbor)}, {len(gap)}, "
            f"{len(cls)} and {len(X_synth)} instead."
        )
    if len(base) == 0 or n < 1:
        fig = new_figure(4, 1.5)
        ax = fig.subplots()
        ax.text(0.5, 0.5, "no synthetic images", ha="center", va="center")
        ax.set_axis_off()
        return fig
    rows = np.unique(np.linspace(0, len(base) - 1, min(n, len(base))).round()).astype(
        int
    )
    X = np.asarray(X)
    lo, hi = _display_range(X)
    # A fixed layout: the grid is regular, and constrained layout would cost a
    # second full draw of 3 * n axes (measured ~2x slower for n = 8).
    height = len(rows) * 1.45 + 0.45
    fig = new_figure(4.2, height, layout=None)
    axes = fig.subplots(
        len(rows),
        3,
        squeeze=False,
        gridspec_kw={
            "left": 0.08,
            "right": 0.98,
            "bottom": 0.1 / height,
            "top": 1 - 0.45 / height,
            "wspace": 0.08,
            "hspace": 0.3 / 1.15,
        },
    )
    names = list(class_names) if class_names is not None else None
    for r, i in enumerate(rows):
        label = cls[i]
        if names is not None and 0 <= int(label) < len(names):
            label = names[int(label)]
        images = (X[base[i]], np.asarray(X_synth[i]), X[neighbor[i]])
        titles = (f"A #{base[i]}", f"gap {gap[i]:.2f}", f"B #{neighbor[i]}")
        for ax, img, ttl in zip(axes[r], images, titles, strict=True):
            _show(ax, img, lo, hi)
            ax.set_title(ttl, fontsize=8)
        axes[r, 0].set_ylabel(_tx(str(label)), fontsize=8)
    for ax, head in zip(axes[0], ("parent A", "synthetic", "parent B"), strict=True):
        ax.set_title(f"{head}\n{ax.get_title()}", fontsize=8)
    return fig


def _plan_field(plan: Any, name: str) -> Any:
    if isinstance(plan, Mapping):
        return plan[name]
    return getattr(plan, name)


def _display_range(X: np.ndarray) -> tuple[float, float]:
    if X.dtype == np.uint8:
        return 0.0, 255.0
    finite = X[np.isfinite(X)] if np.issubdtype(X.dtype, np.floating) else X
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    return lo, hi if hi > lo else lo + 1.0


def _show(ax: Any, img: np.ndarray, lo: float, hi: float) -> None:
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim == 2:
        ax.imshow(img, cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
    else:
        if img.dtype != np.uint8:
            # RGB(A) images ignore vmin/vmax: scale to [0, 1] ourselves.
            img = np.clip((img.astype(np.float64) - lo) / (hi - lo), 0.0, 1.0)
        ax.imshow(img, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


# -------------------------------------------------------------- class counts
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
