"""The figures: axes, lines, bars and image content."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from pixsmote._errors import UsageError
from pixsmote.report import (
    figure_png,
    load_runs,
    plot_class_counts,
    plot_confusion,
    plot_curves,
    plot_per_class_recall,
    plot_scatter,
    plot_synthetic_grid,
    recipe_colors,
)


def test_curves_train_dashed_val_solid_one_colour_per_recipe(bench):
    runs = load_runs(bench)
    fig = plot_curves(runs)
    assert isinstance(fig, Figure)
    ax_loss, ax_acc = fig.axes[:2]
    colors = recipe_colors(["none", "smote"])
    for ax in (ax_loss, ax_acc):
        styles = [line.get_linestyle() for line in ax.lines]
        assert styles == ["--", "-", "--", "-"]  # per recipe: train, val
        assert [line.get_color() for line in ax.lines] == [
            colors["none"], colors["none"], colors["smote"], colors["smote"]
        ]  # fmt: skip
    # Default: first seed (0); loss = 2 / epoch for seed 0.
    np.testing.assert_allclose(ax_loss.lines[0].get_ydata(), [2.0, 1.0, 2 / 3, 0.5])
    np.testing.assert_allclose(ax_loss.lines[0].get_xdata(), [1, 2, 3, 4])
    # Accuracy fractions are shown in percent.
    np.testing.assert_allclose(ax_acc.lines[0].get_ydata()[0], 50.0)


def test_curves_explicit_seed_and_pyplot_untouched(bench):
    runs = load_runs(bench)
    before = plt.get_fignums()
    fig = plot_curves(runs, seed=2)
    assert plt.get_fignums() == before  # nothing registered in pyplot
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata()[0], 2.02)
    assert not plot_curves(runs, seed=99).axes[0].lines


def test_per_class_recall_bars_and_error_bars(bench):
    runs = load_runs(bench)
    fig = plot_per_class_recall(runs, "test")
    (ax,) = fig.axes
    assert len(ax.patches) == 2 * 3  # recipes x classes
    expected = np.mean(
        [r.tests["test"]["per_class_recall"] for r in runs if r.recipe == "none"],
        axis=0,
    )
    heights = [p.get_height() for p in ax.patches[:3]]
    np.testing.assert_allclose(heights, expected * 100)
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == 2
    assert bars[0].errorbar is not None  # three seeds: std as error bar
    assert [t.get_text() for t in ax.get_xticklabels()] == ["zero", "one", "two"]


def test_per_class_recall_nan_class_single_seed(tmp_path, write_run, make_entry):
    entry = make_entry(0.8, recall=[0.9, None, 0.5])  # class "one": no samples
    write_run(tmp_path, "smote", 0, tests={"test": entry})
    fig = plot_per_class_recall(load_runs(tmp_path), "test")
    ax = fig.axes[0]
    assert [p.get_height() for p in ax.patches] == pytest.approx([90, 0, 50])
    (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert bars.errorbar is None  # one seed: no spread to show
    assert any(t.get_text() == "n/a" for t in ax.texts)
    # An unknown test set still gives a figure.
    assert isinstance(plot_per_class_recall(load_runs(tmp_path), "nope"), Figure)


def test_confusion_row_normalised_with_counts():
    cm = [[8, 2, 0], [1, 3, 0], [0, 0, 0]]  # class 2 has no samples
    fig = plot_confusion({"confusion_matrix": cm}, ["a", "b", "c"], "title")
    ax = fig.axes[0]
    rates = ax.images[0].get_array()
    np.testing.assert_allclose(rates, [[0.8, 0.2, 0], [0.25, 0.75, 0], [0, 0, 0]])
    assert [t.get_text() for t in ax.texts][:3] == ["8", "2", "0"]
    assert ax.get_title() == "title"
    # A plain matrix of averaged counts shows one decimal.
    fig = plot_confusion(np.array([[1.5, 0.5], [0.0, 2.0]]))
    assert fig.axes[0].texts[0].get_text() == "1.5"
    with pytest.raises(UsageError, match="must be square"):
        plot_confusion([[1, 2, 3]])


@pytest.mark.parametrize("dims", [2, 3])
def test_scatter_two_panels_synthetic_marked(images, dims, fake_smote):
    X, y = images
    X_after, y_after, mask, _, _ = fake_smote(X, y)
    fig = plot_scatter(X, y, X_after, y_after, mask, ["a", "b", "c"], dims=dims)
    before, after = fig.axes
    assert before.name == after.name == ("3d" if dims == 3 else "rectilinear")
    n_before = sum(len(c.get_offsets()) for c in before.collections)
    n_after = sum(len(c.get_offsets()) for c in after.collections)
    assert (n_before, n_after) == (len(X), len(X_after))
    # Originals of 3 classes in both panels; synthetic only for classes 1, 2.
    assert len(before.collections) == 3 and len(after.collections) == 5
    assert "synthetic" in after.get_title()


def test_scatter_projection_fitted_on_before_set(images):
    X, y = images
    # "after" = the same images: the two panels must coincide exactly.
    fig = plot_scatter(X, y, X, y, None, dims=2)
    before, after = fig.axes
    for a, b in zip(before.collections, after.collections, strict=True):
        np.testing.assert_allclose(a.get_offsets(), b.get_offsets())


def test_scatter_subsamples_and_validates(images):
    X, y = images
    fig = plot_scatter(X, y, X, y, dims=2, max_points=10)
    ax = fig.axes[0]
    counts = [len(c.get_offsets()) for c in ax.collections]
    assert len(counts) == 3 and all(c >= 1 for c in counts)  # every class kept
    with pytest.raises(UsageError, match="dims must be 2 or 3"):
        plot_scatter(X, y, X, y, dims=4)
    with pytest.raises(UsageError, match="synthetic_mask"):
        plot_scatter(X, y, X, y, np.zeros(3, bool))
    with pytest.raises(UsageError, match="same length"):
        plot_scatter(X, y[:-1], X, y)


@pytest.mark.parametrize("channels", [None, 1, 3])
def test_synthetic_grid_parents_and_child_in_order(images, channels, fake_smote):
    X, y = images
    if channels is not None:
        X = np.repeat(X[..., None], channels, axis=-1)
    _, _, _, plan, X_synth = fake_smote(X, y)
    fig = plot_synthetic_grid(X, plan, X_synth, n=4)
    assert len(fig.axes) == 4 * 3
    rows = np.linspace(0, len(plan.base) - 1, 4).round().astype(int)
    for r, i in enumerate(rows):
        a, s, b = (ax.images[0].get_array() for ax in fig.axes[3 * r : 3 * r + 3])
        squeeze = (lambda im: im[..., 0]) if channels == 1 else (lambda im: im)
        np.testing.assert_array_equal(a, squeeze(X[plan.base[i]]))
        np.testing.assert_array_equal(s, squeeze(X_synth[i]))
        np.testing.assert_array_equal(b, squeeze(X[plan.neighbor[i]]))
        assert f"gap {plan.gap[i]:.2f}" in fig.axes[3 * r + 1].get_title()
    assert fig.axes[0].get_title().startswith("parent A")
    assert fig.axes[2].get_title().startswith("parent B")


def test_synthetic_grid_empty_plan_and_mismatch(images):
    X, _ = images
    empty = {k: np.array([], dtype=int) for k in ("base", "neighbor", "gap", "cls")}
    fig = plot_synthetic_grid(X, empty, X[:0])
    assert len(fig.axes) == 1 and "no synthetic" in fig.axes[0].texts[0].get_text()
    one = {"base": [0], "neighbor": [1], "gap": [0.5], "cls": [0]}
    with pytest.raises(UsageError, match="same length"):
        plot_synthetic_grid(X, one, X[:2])


def test_class_counts_bars():
    fig = plot_class_counts([100, 10, 0], [100, 100, 100], ["a", "b", "c"])
    ax = fig.axes[0]
    assert len(ax.patches) == 6
    assert [p.get_height() for p in ax.patches] == [100, 10, 0, 100, 100, 100]
    # One series per recipe; mapping keys as JSON-style strings.
    fig = plot_class_counts({"0": 5, "1": 1}, {"ros": [5, 5], "rus": [1, 1]})
    assert len(fig.axes[0].patches) == 6
    assert fig.axes[0].patches[1].get_height() == 1


def test_figure_png_is_png(bench):
    png = figure_png(plot_curves(load_runs(bench)))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"Software" not in png  # no matplotlib URL in the embedded files


def test_dollar_signs_in_names_do_not_break_drawing(tmp_path, write_run, make_entry):
    # "$^$" is invalid mathtext: unescaped, the figure would fail to draw.
    write_run(tmp_path, "a$^$", 0, tests={"t$^$": make_entry(0.9)},
              class_names=["x$^$", "y", "z"])  # fmt: skip
    runs = load_runs(tmp_path)
    for fig in (
        plot_curves(runs),
        plot_per_class_recall(runs, "t$^$"),
        plot_confusion(runs[0].tests["t$^$"], runs[0].class_names, "a$^$"),
        plot_class_counts([1, 2], {"a$^$": [2, 2]}, ["x$^$", "y"]),
    ):
        assert figure_png(fig).startswith(b"\x89PNG")
