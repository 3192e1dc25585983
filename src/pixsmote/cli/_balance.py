"""``pixsmote balance SRC --out DST``: resample a dataset and write it to disk.

Only the classes a class-local sampler (smote, ros) over-samples are decoded;
the other originals are copied file to file and synthetic images are written
in chunks by a pool of threads. The output appears at DST only when complete.
"""

from __future__ import annotations

import argparse
import sys

from pixsmote.cli._source_options import (
    NO_AUTO_DEFAULT,
    add_source_arguments,
    load_source,
    print_skipped,
)

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    from pixsmote.app import balance_methods

    summaries = balance_methods()
    methods = "; ".join(f"{n}: {summary}" for n, summary in summaries.items())
    p = subparsers.add_parser(
        "balance",
        help="oversample (or undersample) a dataset and write it to a folder or .npz",
        description="Balance an image dataset with a sampler of the registry and "
        "write originals, synthetic images, manifest.csv (provenance of every "
        "image) and train_balanced.txt to DST, or arrays and a manifest when DST "
        f"ends in .npz. Methods: {methods}.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_source_arguments(p)
    g = p.add_argument_group("output")
    g.add_argument(
        "--out", metavar="DST", required=True,
        help="output folder, or a .npz file (its manifest goes beside it)"
        + NO_AUTO_DEFAULT,
    )  # fmt: skip
    g.add_argument(
        "--overwrite", action="store_true",
        help="replace DST if it exists (only once the new output is complete)",
    )  # fmt: skip
    g.add_argument(
        "--link", action="store_true",
        help="hard-link unchanged originals instead of copying them",
    )  # fmt: skip
    g.add_argument(
        "--chunk-size", type=int, default=None, metavar="N",
        help="synthetic images produced at a time (default: ~64 MiB of pixels)"
        + NO_AUTO_DEFAULT,
    )  # fmt: skip
    s = p.add_argument_group("sampling")
    s.add_argument(
        "--method", choices=list(summaries), default="smote", metavar="NAME",
        help=f"sampler: {', '.join(summaries)}",
    )  # fmt: skip
    s.add_argument(
        "--strategy", default="auto",
        help="sampling_strategy: auto, minority, not minority, not majority, all, "
        "or a float ratio",
    )  # fmt: skip
    s.add_argument(
        "--k-neighbors", type=int, default=5, metavar="K",
        help="neighbours (for the samplers that take it)",
    )  # fmt: skip
    s.add_argument(
        "--neighbor-space", choices=("pixel", "pca"), default="pixel",
        help="space in which neighbours are searched",
    )  # fmt: skip
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    from pixsmote._errors import UsageError
    from pixsmote.app import balance
    from pixsmote.data import check_destination, format_counts

    if args.k_neighbors < 1:
        raise UsageError(
            f"--k-neighbors must be at least 1. Got {args.k_neighbors} instead."
        )
    if args.chunk_size is not None and args.chunk_size < 1:
        raise UsageError(
            f"--chunk-size must be at least 1. Got {args.chunk_size} instead."
        )
    # Fail before reading a large dataset; `balance` checks again with the
    # dataset (an output that would replace its own input).
    check_destination(args.out, overwrite=args.overwrite)
    dataset = load_source(args)
    print_skipped(dataset, sys.stderr)
    result = balance(
        dataset,
        args.out,
        args.method,
        sampling_strategy=args.strategy,
        k_neighbors=args.k_neighbors,
        neighbor_space=args.neighbor_space,
        seed=args.seed,
        overwrite=args.overwrite,
        jobs=args.jobs,
        link=args.link,
        chunk_size=args.chunk_size,
        progress=args.progress,
    )
    print(format_counts(result.class_names, result.counts_before, result.counts_after))
    print(
        f"\n{args.method}: {int(result.counts_before.sum())} -> "
        f"{int(result.counts_after.sum())} images (+{result.n_synthetic} synthetic, "
        f"-{result.n_removed} removed; {result.n_decoded} decoded) in "
        f"{result.time_s:.1f} s"
    )
    print(f"written: {result.dst}")
    print(f"manifest: {result.manifest}")
    return 0
