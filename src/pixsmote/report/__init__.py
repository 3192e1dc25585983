"""Reports of benchmark runs: tables, figures, and one HTML + Markdown report.

``pixsmote bench`` and ``pixsmote demo`` write one folder per (recipe, seed)
run (``config.json``, ``metrics.csv``, ``results.json``; see
``pixsmote._runfolder``). This package reads them back and presents them::

    from pixsmote import report

    runs = report.load_runs("out/bench")
    print(report.format_table(report.summarize(runs)))      # terminal summary
    html, md = report.write_report("out/bench", runs, title="digits, 3 seeds")

Every plotting function returns a :class:`matplotlib.figure.Figure` built
without ``pyplot`` and rendered with the Agg canvas, so nothing opens a window
and no figure stays registered in pyplot after the call.
"""

from ._image_plots import plot_scatter, plot_synthetic_grid
from ._plots import (
    figure_png,
    plot_class_counts,
    plot_confusion,
    plot_curves,
    plot_per_class_recall,
    recipe_colors,
)
from ._report import main_test_name, summary_paragraph, write_report
from ._runs import Run, load_runs
from ._tables import (
    METRICS,
    format_cell,
    format_table,
    markdown_table,
    mean_std,
    summarize,
)

__all__ = [
    "METRICS",
    "Run",
    "figure_png",
    "format_cell",
    "format_table",
    "load_runs",
    "main_test_name",
    "markdown_table",
    "mean_std",
    "plot_class_counts",
    "plot_confusion",
    "plot_curves",
    "plot_per_class_recall",
    "plot_scatter",
    "plot_synthetic_grid",
    "recipe_colors",
    "summarize",
    "summary_paragraph",
    "write_report",
]
