"""The dataset-source options shared by ``pixsmote inspect`` and ``balance``.

SRC and the options that say how to read it (:func:`add_source_arguments`),
loading it (:func:`load_source`) and listing what ``--skip-bad`` left out
(:func:`print_skipped`).
"""

from __future__ import annotations

import argparse

__all__ = ["NO_AUTO_DEFAULT", "add_source_arguments", "load_source", "print_skipped"]

#: Appended to a help text that states its default in words: it formats to
#: nothing, and its presence stops ArgumentDefaultsHelpFormatter from adding
#: "(default: None)".
NO_AUTO_DEFAULT = "%(default).0s"

_SRC_HELP = (
    "the dataset: a folder of class sub-folders, a list file of 'path label' "
    "lines, a .npz with X and y, or a built-in name (digits, fashion-mnist, "
    "fashion-mnist:test, seed-3, digits-seed-3, fmnist-deepsmote, "
    "fmnist-balanced, fmnist-lt100; "
    "a split takes :val or :<test name> for its other parts)"
)


def add_source_arguments(p: argparse.ArgumentParser) -> None:
    """Register SRC and the options that say how to read it."""
    from pixsmote.data import FITS, MODES

    p.add_argument("src", metavar="SRC", help=_SRC_HELP)
    g = p.add_argument_group("reading SRC")
    g.add_argument(
        "--root", metavar="DIR", default=None,
        help="folder a list file's paths are relative to (default: its folder)"
        + NO_AUTO_DEFAULT,
    )  # fmt: skip
    g.add_argument(
        "--mode", choices=MODES, default=None,
        help="convert images to this mode (default: the most common one)"
        + NO_AUTO_DEFAULT,
    )  # fmt: skip
    g.add_argument(
        "--size", metavar="HxW", default=None,
        help="resize images to HxW (default: none; required when sizes differ)"
        + NO_AUTO_DEFAULT,
    )  # fmt: skip
    g.add_argument(
        "--fit", choices=FITS, default="resize",
        help="how --size is reached: stretch, crop the centre, or pad with black",
    )  # fmt: skip
    g.add_argument(
        "--seed", type=int, default=0,
        help="seed of the protocol splits (and of the sampler, for balance)",
    )  # fmt: skip
    g.add_argument(
        "--fashion-mnist-dir", metavar="DIR", default=None,
        help="folder of Fashion-MNIST's IDX files "
        "(default: /usr/share/datasets/fashion-mnist)" + NO_AUTO_DEFAULT,
    )  # fmt: skip
    g.add_argument(
        "--skip-bad", action="store_true",
        help="skip unreadable or corrupt images (and list them) instead of failing",
    )  # fmt: skip
    g.add_argument(
        "--jobs", type=int, default=None, metavar="N",
        help="worker threads (default: min(4, CPU count))" + NO_AUTO_DEFAULT,
    )  # fmt: skip


def load_source(args):
    """Load the dataset named by the options of :func:`add_source_arguments`."""
    from pixsmote._errors import UsageError
    from pixsmote.data import load_dataset

    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1. Got {args.jobs} instead.")
    if args.seed < 0:
        raise UsageError(f"--seed must be non-negative. Got {args.seed} instead.")
    return load_dataset(
        args.src,
        seed=args.seed,
        size=args.size,
        mode=args.mode,
        fit=args.fit,
        root=args.root,
        fashion_mnist_dir=args.fashion_mnist_dir,
        skip_bad=args.skip_bad,
        jobs=args.jobs,
        progress=getattr(args, "progress", None),
    )


def print_skipped(dataset, file) -> None:
    """List the files ``--skip-bad`` left out."""
    if dataset.skipped:
        print(f"skipped {len(dataset.skipped)} unreadable file(s):", file=file)
        for _, reason in dataset.skipped:
            print(f"  {reason}", file=file)
