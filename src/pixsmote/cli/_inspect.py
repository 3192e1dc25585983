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


def made_by_lines(src) -> list[str]:
    """What ``pixsmote balance`` recorded about an output it wrote: how it was
    made (its marker) and how many of its images are synthetic (its manifest).
    Nothing for other sources."""
    from collections import Counter

    from pixsmote.data import manifest_path_for, read_manifest, read_output_marker

    path = Path(src)
    marker = read_output_marker(path) if path.exists() else None
    if marker is None or marker.get("kind") != "dataset":
        return []
    lines = []
    made = marker.get("made_by")
    if isinstance(made, dict):
        # A marker is a file anyone can edit: show what reads as settings.
        params = made.get("params")
        params = params if isinstance(params, dict) else {}
        settings = ", ".join(f"{k}={v}" for k, v in params.items())
        lines.append(
            f"\nmade by pixsmote {marker.get('version', '')} "
            f"{made.get('command', 'balance')}: method {made.get('method')}, "
            f"sampling_strategy {made.get('sampling_strategy')}"
            + (f", {settings}" if settings else "")
        )
    manifest = manifest_path_for(path)
    if manifest.is_file():
        try:
            rows = read_manifest(manifest)
        except (DataError, OSError, ValueError, TypeError):
            rows = None  # not readable as a manifest: say nothing about origins
        if rows is not None:
            # Random over-sampling's copies are manifest rows of method "ros"
            # (gap 0): counted apart, as they are no new images.
            new = Counter(
                r.method for r in rows if r.origin == "synthetic" and r.method != "ros"
            )
            n_new = sum(new.values())
            n_copies = sum(r.origin == "synthetic" and r.method == "ros" for r in rows)
            share = 100 * n_new / len(rows) if rows else 0.0
            by_method = ", ".join(f"{m} {n}" for m, n in sorted(new.items()))
            lines.append(
                f"{'' if lines else chr(10)}{manifest.name}: "
                f"{len(rows) - n_new - n_copies} original, {n_copies} copies, "
                f"{n_new} synthetic ({share:.1f} %)"
                + (f": {by_method}" if by_method else "")
            )
    return lines


def run(args) -> int:
    import sys

    from pixsmote.data import describe_dataset, format_summary

    dataset = load_source(args)
    summary = describe_dataset(dataset)
    print(format_summary(summary))
    for line in made_by_lines(args.src):
        print(line)
    print_skipped(dataset, sys.stdout)
    if args.plot:
        plot_counts(summary, args.plot)
        print(f"plot: {args.plot}")
    return 0
