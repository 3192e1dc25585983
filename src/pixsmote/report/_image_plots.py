"""Image plots of the report: the before/after PCA scatter and the grid of
synthetic images beside their parents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from pixsmote._errors import UsageError

from ._plots import (
    MAX_PCA_FIT_ROWS,
    MAX_SCATTER_POINTS,
    _tx,
    new_figure,
)

__all__ = ["plot_scatter", "plot_synthetic_grid"]


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
