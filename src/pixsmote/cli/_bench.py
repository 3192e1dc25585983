"""``pixsmote bench``: train recipes side by side and write a report.

Examples
--------
::

    pixsmote bench --train digits-seed-3 --recipes none,ros,smote --steps 300
    pixsmote bench --train data/train --test data/test \\
        --recipes none,smote,smote:aug=mixup,none:loss=logit-adjusted --seeds 3
    pixsmote bench --config study.toml --seeds 5     # flags override the file
"""

from __future__ import annotations

import argparse

from pixsmote._errors import UsageError

__all__ = ["add_parser", "run"]

_EPILOG = (
    "Recipes: none, undersample, every sampler (ros, rus, smote, borderline1, "
    "...), online-<sampler> (a fresh SMOTE plan every epoch), imblearn-smote "
    "(imbalanced-learn on flattened uint8 pixels). A recipe may override the "
    "bench's --aug/--loss and set sampler parameters after a colon: "
    "'smote:aug=mixup,loss=focal,k_neighbors=3'. A config file (--config) takes "
    "the same keys as the long options (unknown keys are an error); options given "
    "on the command line override it."
)


def _epilog() -> str:
    """The epilog with every registered name, built when --help is printed."""
    from pixsmote.app import list_recipes, training_choices

    lines = [_EPILOG, "", f"Registered recipes: {', '.join(list_recipes())}."]
    try:
        choices = training_choices()
    except ModuleNotFoundError as exc:  # a sampling-only install
        lines.append(
            f"Models, augmentations and losses need {exc.name}: "
            "pip install 'pixsmote[train]' to list them."
        )
    else:
        for option, names in choices.items():
            lines.append(f"{option} choices: {', '.join(names)}.")
    return "\n\n".join(lines)


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``bench`` and its options."""
    from pixsmote.app import DEFAULT_STEPS

    p = subparsers.add_parser(
        "bench",
        help="train a model per balancing recipe and seed, compare them",
        description="Train the same model on the training set balanced by each "
        "recipe (same steps, same seeds), select checkpoints on validation, "
        "test, and write run folders plus report.html / report.md.",
        formatter_class=argparse.HelpFormatter,
    )
    data = p.add_argument_group("data")
    data.add_argument(
        "--train",
        metavar="SRC",
        help="training data: folder, list file, .npz, built-in name or protocol "
        "split (a split also gives val and test sets)",
    )
    data.add_argument(
        "--val",
        metavar="SRC",
        help="validation data (default: the split's, else a stratified 10%% "
        "of --train)",
    )
    data.add_argument(
        "--test",
        metavar="SRC",
        nargs="+",
        action="extend",
        help="test set(s) (default: the split's test sets)",
    )
    data.add_argument(
        "--split-seed",
        type=int,
        metavar="N",
        help="seed of the split draws and the validation hold-out (default 0)",
    )
    what = p.add_argument_group("what to compare")
    what.add_argument(
        "--recipes",
        metavar="LIST",
        help="comma-separated recipes, or 'all' (default none,ros,smote)",
    )
    # Choices are listed in the epilog (they need torch to be known) and
    # checked by the registries, whose error names them too.
    what.add_argument(
        "--aug", help="augmentation for every recipe (default basic; see below)"
    )
    what.add_argument("--loss", help="loss for every recipe (default ce; see below)")
    what.add_argument("--model", help="model (default small-cnn; see below)")
    train = p.add_argument_group("training")
    length = train.add_mutually_exclusive_group()
    length.add_argument(
        "--steps",
        type=int,
        metavar="N",
        help=f"optimiser steps per run (default {DEFAULT_STEPS})",
    )
    length.add_argument(
        "--epochs",
        type=int,
        metavar="N",
        help="passes over the original training set, converted to the same "
        "number of steps for every recipe",
    )
    train.add_argument(
        "--seeds",
        metavar="N|LIST",
        help="number of seeds (0..N-1) or a comma-separated list (default 3)",
    )
    train.add_argument("--batch-size", type=int, metavar="N", help="(default 128)")
    train.add_argument("--lr", type=float, help="peak learning rate (default 0.05)")
    train.add_argument("--device", help="torch device (default cuda if available)")
    train.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="CPU threads for torch (default torch's choice; 1 is fastest for "
        "tiny images such as digits)",
    )
    train.add_argument(
        "--keep",
        metavar="WHICH",
        help="weights each run tests: the epoch with the best validation ACSA "
        "('best', the default) or the last epoch's ('last'); checked with the "
        "other training options",
    )
    io = p.add_argument_group("output")
    io.add_argument("--out", metavar="DIR", help="output folder (default runs/bench)")
    io.add_argument("--title", help="report title")
    io.add_argument(
        "--backbones",
        metavar="DIR",
        help="stage-1 cache: trained backbones two-stage recipes reuse "
        "(default OUT/_backbones)",
    )
    io.add_argument(
        "--config", metavar="FILE", help="TOML file with the same keys as the options"
    )
    p.set_defaults(run=run, epilog_text=_epilog)
    return p


#: argparse destinations that map onto BenchConfig fields.
_FIELDS = (
    "train",
    "val",
    "test",
    "split_seed",
    "recipes",
    "aug",
    "loss",
    "model",
    "steps",
    "epochs",
    "batch_size",
    "lr",
    "device",
    "threads",
    "out",
    "title",
    "progress",
    "backbones",
    "keep",
)


def _parse_seeds(text: str) -> int | list[int]:
    try:
        values = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise UsageError(
            "--seeds must be a count or a comma-separated list of integers. "
            f"Got {text!r} instead."
        ) from None
    if "," not in text and len(values) == 1:
        if values[0] < 1:
            # A lone number is a count; "0" would run nothing, and users who
            # type it mean "seed 0" -- say how to write that.
            raise UsageError(
                "--seeds N is a number of seeds (0..N-1) and must be >= 1; "
                f"for a list of seeds use commas, e.g. '{values[0]},'. "
                f"Got {text!r} instead."
            )
        return values[0]
    return values


def build_config(args: argparse.Namespace):
    """The :class:`~pixsmote.app.BenchConfig` of parsed arguments.

    Values come from the ``--config`` file first, then the options given on the
    command line (which win), then the defaults.
    """
    from pixsmote.app import BenchConfig, load_config

    values = load_config(args.config) if args.config else {}
    if values.get("steps") is not None and getattr(args, "epochs", None) is not None:
        values.pop("steps")
    if values.get("epochs") is not None and getattr(args, "steps", None) is not None:
        values.pop("epochs")
    for name in _FIELDS:
        value = getattr(args, name, None)
        if value is not None:
            values[name] = value
    if args.seeds is not None:
        values["seeds"] = _parse_seeds(args.seeds)
    return BenchConfig(**values).validate()


def run(args: argparse.Namespace) -> int:
    """Run ``pixsmote bench``; returns the exit status."""
    from pixsmote.app import run_bench

    config = build_config(args)
    run_bench(config)
    return 0
