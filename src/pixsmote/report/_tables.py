"""The comparison table: mean ± std over seeds, as text, Markdown or rows."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from pixsmote._errors import UsageError

from ._runs import Run

__all__ = [
    "METRICS",
    "METRIC_LABELS",
    "format_cell",
    "format_table",
    "markdown_table",
    "mean_std",
    "summarize",
]

#: Test metrics summarised, in table order (fractions in results.json).
METRICS = ("accuracy", "acsa", "gm", "macro_f1")
METRIC_LABELS = {
    "accuracy": "accuracy",
    "acsa": "ACSA",
    "gm": "G-mean",
    "macro_f1": "macro-F1",
}


def mean_std(values: Iterable[float]) -> tuple[float, float, int]:
    """Mean and sample standard deviation of the finite values.

    Parameters
    ----------
    values : iterable of float
        ``None`` and NaN are skipped.

    Returns
    -------
    mean : float
        ``nan`` when no value is finite.
    std : float
        Sample standard deviation (``ddof=1``); ``0.0`` for a single value,
        since one seed gives no estimate of the spread and ``nan`` would hide
        the mean in a table; ``nan`` when no value is finite.
    n : int
        Number of finite values used.

    Examples
    --------
    >>> from pixsmote.report import mean_std
    >>> mean_std([81.0, 83.0, float("nan"), 85.0])  # the NaN seed is skipped
    (83.0, 2.0, 3)
    """
    arr = np.array(
        [float(v) for v in values if v is not None], dtype=np.float64
    ).reshape(-1)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return math.nan, math.nan, 0
    std = float(arr.std(ddof=1)) if arr.size > 1 else 0.0
    return float(arr.mean()), std, int(arr.size)


def summarize(runs: Sequence[Run]) -> list[dict[str, Any]]:
    """Summarise test metrics per (recipe, test set) over seeds.

    Parameters
    ----------
    runs : sequence of Run
        As returned by :func:`load_runs`. Runs without test results add
        nothing.

    Returns
    -------
    list of dict
        One row per (test set, recipe), test sets in first-appearance order,
        recipes in the order of `runs`. Keys: ``"test"``, ``"recipe"``,
        ``"n"`` (number of runs with results on that test set), ``"seeds"``,
        and for each metric ``m`` of :data:`METRICS`: ``"m_mean"`` and
        ``"m_std"`` in percent. The mean and the sample standard deviation
        (``ddof=1``; ``0`` when a single seed) use only finite values, so a
        NaN metric in one seed (e.g. a G-mean left undefined) does not blank
        the whole cell; only when every seed is NaN is the cell NaN.
    """
    groups: dict[tuple[str, str], list[tuple[int | None, dict[str, Any]]]] = {}
    test_order: dict[str, int] = {}
    recipe_order: dict[str, int] = {}
    for run in runs:
        recipe_order.setdefault(run.recipe, len(recipe_order))
        for test_name, metrics in run.tests.items():
            test_order.setdefault(test_name, len(test_order))
            groups.setdefault((test_name, run.recipe), []).append((run.seed, metrics))
    rows = []
    for (test_name, recipe), entries in sorted(
        groups.items(), key=lambda kv: (test_order[kv[0][0]], recipe_order[kv[0][1]])
    ):
        row: dict[str, Any] = {
            "test": test_name,
            "recipe": recipe,
            "n": len(entries),
            "seeds": [seed for seed, _ in entries],
        }
        for metric in METRICS:
            values = [_get_float(m, metric) for _, m in entries]
            mean, std, _ = mean_std(v * 100.0 for v in values)
            row[f"{metric}_mean"] = mean
            row[f"{metric}_std"] = std
        rows.append(row)
    return rows


def format_cell(mean: float, std: float, digits: int = 1) -> str:
    """``"84.3 ± 0.7"``; ``"n/a"`` when the mean is NaN.

    Parameters
    ----------
    mean, std : float
        In percent.
    digits : int, default=1
        Decimals.
    """
    if mean is None or not math.isfinite(mean):
        return "n/a"
    if std is None or not math.isfinite(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def best_means(rows: Sequence[dict[str, Any]]) -> set[tuple[int, str]]:
    """(row index, metric) pairs holding the best mean of their test set.

    Only reported when a test set has more than one recipe: with a single
    recipe there is nothing to compare.
    """
    best: set[tuple[int, str]] = set()
    by_test: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_test.setdefault(row["test"], []).append(i)
    for indices in by_test.values():
        if len(indices) < 2:
            continue
        for metric in METRICS:
            means = [rows[i].get(f"{metric}_mean", math.nan) for i in indices]
            finite = [m for m in means if m is not None and math.isfinite(m)]
            if not finite:
                continue
            top = max(finite)
            best.update(
                (i, metric) for i, m in zip(indices, means, strict=True) if m == top
            )
    return best


def format_table(
    rows: Sequence[dict[str, Any]], fmt: str = "text", *, digits: int = 1
) -> str:
    """Render :func:`summarize` rows as an aligned text or Markdown table.

    Parameters
    ----------
    rows : sequence of dict
        Output of :func:`summarize`.
    fmt : {"text", "markdown"}, default "text"
        ``"text"`` pads columns with spaces for a terminal (numbers right
        aligned); ``"markdown"`` writes a pipe table with the best mean of
        each test set in bold.
    digits : int, default 1
        Decimals of the percentages.

    Returns
    -------
    str
        The table without a trailing newline; ``"(no test results)"`` when
        `rows` is empty.

    Raises
    ------
    UsageError
        If `fmt` is not one of the two formats.

    Examples
    --------
    >>> row = {"test": "test", "recipe": "smote", "n": 3,
    ...        "accuracy_mean": 84.31, "accuracy_std": 0.72}
    >>> print(format_table([row]))  # doctest: +NORMALIZE_WHITESPACE
    test  recipe  n  accuracy    ACSA  G-mean  macro-F1
    ----  ------  -  ----------  ----  ------  --------
    test  smote   3  84.3 ± 0.7   n/a     n/a       n/a
    """
    if fmt not in ("text", "markdown"):
        raise UsageError(f"fmt must be 'text' or 'markdown'. Got {fmt!r} instead.")
    if not rows:
        return "(no test results)"
    header, body, right, best = table_cells(rows, digits)
    if fmt == "markdown":
        # Escape first, then bold: a "*" in a recipe name must stay literal.
        body = [
            [
                f"**{escape_markdown(c)}**" if (i, j) in best else escape_markdown(c)
                for j, c in enumerate(cells)
            ]
            for i, cells in enumerate(body)
        ]
        header = [escape_markdown(h) for h in header]
        return markdown_table(header, body, right)
    return _text_table(header, body, right)


def table_cells(
    rows: Sequence[dict[str, Any]], digits: int = 1
) -> tuple[list[str], list[list[str]], list[bool], set[tuple[int, int]]]:
    """Header, body cells, right-alignment flags and best cells of the table.

    Shared by the text, Markdown and HTML renderings so they cannot disagree.
    The best cells are given as (row index, column index).
    """
    header = ["test", "recipe", "n", *(METRIC_LABELS[m] for m in METRICS)]
    right = [False, False, True, *([True] * len(METRICS))]
    first = len(header) - len(METRICS)
    best = {(i, first + METRICS.index(metric)) for i, metric in best_means(rows)}
    body = []
    for row in rows:
        cells = [
            str(row.get("test", "")),
            str(row.get("recipe", "")),
            str(row.get("n", "")),
        ]
        cells += [
            format_cell(
                row.get(f"{metric}_mean", math.nan),
                row.get(f"{metric}_std", math.nan),
                digits,
            )
            for metric in METRICS
        ]
        body.append(cells)
    return header, body, right, best


def _text_table(header: list[str], body: list[list[str]], right: list[bool]) -> str:
    widths = [max(len(r[j]) for r in [header, *body]) for j in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = (
            c.rjust(w) if r else c.ljust(w)
            for c, w, r in zip(cells, widths, right, strict=True)
        )
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in body)])


def markdown_table(
    header: Sequence[str],
    body: Sequence[Sequence[Any]],
    right: Sequence[bool] | None = None,
) -> str:
    """A GitHub-flavoured Markdown table; cells are written as given (escape
    them with :func:`escape_markdown` where they are not already Markdown).

    Parameters
    ----------
    header : sequence of str
    body : sequence of rows
        Cells are turned into text with ``str``.
    right : sequence of bool, optional
        Which columns are right-aligned. Default: the columns whose every cell
        starts like a number (``"84.3"``, ``"-0.2"``, ``"> 10"``) or is empty.
    """
    rows = [[str(c) for c in r] for r in body]
    if right is None:
        right = [
            bool(rows) and all(re.match(r"^([-+>]?\s*[\d.]|$)", r[i]) for r in rows)
            for i in range(len(header))
        ]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    rule = "|" + "|".join("---:" if r else ":---" for r in right) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def escape_markdown(text: str) -> str:
    """Escape text for a Markdown table cell or paragraph.

    A ``|`` would end the cell and ``*``, backticks or brackets would start
    markup, so they get a backslash; Markdown renderers pass raw HTML through,
    so ``<``, ``>`` and ``&`` become entities (a recipe named ``<script>``
    stays text). Underscores are left alone: CommonMark ignores them inside
    words, and ``smote_tomek`` should stay readable in the raw file.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char in "\\|*`[]":
        text = text.replace(char, "\\" + char)
    return text


def _get_float(metrics: Any, key: str) -> float:
    try:
        value = metrics.get(key)
        return math.nan if value is None else float(value)
    except (AttributeError, TypeError, ValueError):
        return math.nan
