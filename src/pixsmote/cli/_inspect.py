"""``pixsmote inspect SRC``: classes, counts, shares, imbalance ratio, sizes, modes."""

from __future__ import annotations

import argparse
from pathlib import Path

from pixsmote._errors import DataError
from pixsmote.cli._source_options import (
    NO_AUTO_DEFAULT,
    add_source_arguments,
    load_source,
    print_skipped,
)

__all__ = ["add_parser", "run"]

def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "inspect",
        help="count a dataset's classes and describe its images",
        description="Print a table of classes with their image counts, share and "
        "imbalance ratio, and a summary of image sizes and modes.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_source_arguments(p)
    p.add_argument(
        "--plot", metavar="FILE", default=None,
        help="also save a bar chart of the class counts as a PNG (default: none)"
        + NO_AUTO_DEFAULT,
    )  # fmt: skip
    p.set_defaults(run=run)
    return p


def plot_counts(summary, path) -> None:
    """Save a bar chart of class counts to `path` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(4.0, 0.5 * len(summary.counts) + 2), 3.5))
    try:
        ax.bar(range(len(summary.counts)), summary.counts, color="#4c72b0")
        ax.set_xticks(range(len(summary.counts)), summary.class_names, rotation=45,
                      ha="right")  # fmt: skip
        ax.set_ylabel("images")
        ax.set_title(
            f"{Path(summary.name).name or summary.name}: imbalance ratio "
            f"{summary.imbalance_ratio:.1f}"
        )
        fig.tight_layout()
        try:
            fig.savefig(path, format="png", metadata={"Software": None})
        except OSError as exc:
            raise DataError(f"Cannot write the plot {path}: {exc}") from None
    finally:
        plt.close(fig)


def run(args) -> int:
    import sys

    from pixsmote.data import describe_dataset, format_summary

    dataset = load_source(args)
    summary = describe_dataset(dataset)
    print(format_summary(summary))
    print_skipped(dataset, sys.stdout)
    if args.plot:
        plot_counts(summary, args.plot)
        print(f"plot: {args.plot}")
    return 0
