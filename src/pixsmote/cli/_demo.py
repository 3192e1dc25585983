"""``pixsmote demo``: the motivating 30 / 192 / 80 case end to end on digits.

Builds the 3-class imbalanced training set from scikit-learn's digits, shows
its class table and the before/after PCA scatter, balances it with SMOTE,
trains the same CNN (with MixUp) on the imbalanced and on the balanced set,
prints the comparison and writes the report. See :func:`pixsmote.app.run_demo`.
"""

from __future__ import annotations

import argparse

from pixsmote._errors import UsageError

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``demo`` and its options."""
    from pixsmote.app import DemoSettings

    d = DemoSettings()
    p = subparsers.add_parser(
        "demo",
        help="the motivating case on digits: imbalanced vs SMOTE-balanced",
        description="Train a CNN on an imbalanced 3-class digits set (the "
        "30/192/80 case, scaled) and on its SMOTE-balanced version, compare "
        "them on a balanced test set and write report.html.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--out",
        default=d.out,
        metavar="DIR",
        help="output folder; the demo overwrites only its own previous output",
    )
    p.add_argument("--seeds", type=int, default=d.seeds, metavar="N", help="seeds")
    p.add_argument(
        "--steps",
        default=",".join(map(str, d.steps)),
        metavar="N[,N...]",
        help="training budget(s) in steps per run; each is its own comparison",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="a seconds-long smoke run: 1 seed, 20 steps (overrides --seeds/--steps)",
    )
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``pixsmote demo``; returns the exit status."""
    from pixsmote.app import DemoSettings, run_demo

    if args.seeds < 1:
        raise UsageError(f"--seeds must be >= 1. Got {args.seeds} instead.")
    try:
        steps = tuple(int(t) for t in str(args.steps).split(",") if t.strip())
    except ValueError:
        steps = ()
    if not steps or min(steps) < 1 or len(set(steps)) != len(steps):
        raise UsageError(
            "--steps must be one or more distinct integers >= 1, comma-separated. "
            f"Got {args.steps!r} instead."
        )
    if args.quick:
        settings = DemoSettings.quick(out=args.out, progress=args.progress)
    else:
        settings = DemoSettings(
            out=args.out, seeds=args.seeds, steps=steps, progress=args.progress
        )
    run_demo(settings)
    return 0
