"""The settings of one bench invocation, from the command line or a TOML file."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixsmote._errors import UsageError
from pixsmote.app._bench_recipes import Recipe, parse_recipes

__all__ = ["BenchConfig", "load_config", "DEFAULT_STEPS", "training_choices"]

#: Optimiser steps per run when neither ``steps`` nor ``epochs`` is given.
DEFAULT_STEPS = 1000


@dataclass
class BenchConfig:
    """What to train and compare; every recipe shares everything but balancing.

    Parameters
    ----------
    train : str
        Training data: anything :func:`pixsmote.data.load_dataset` reads, or a
        protocol split name (``digits-seed-3``, ``seed-3``, ...), which also
        gives the validation and test sets.
    recipes : list of str
        Recipe strings (see :mod:`pixsmote.app._bench_recipes`).
    val : str, optional
        Validation data. Default: the split's, or a stratified 10 % of `train`
        held out (at least one image of each class with two or more).
    test : list of str
        Test sets. Default: the split's test sets (none for other sources).
    aug, loss, model : str
        Names of :mod:`pixsmote.train`'s registries, shared by every recipe
        (a recipe may override ``aug`` and ``loss``).
    steps, epochs : int, optional
        Optimiser steps per run. ``epochs`` converts to steps with the
        *original* training-set size (``epochs * (N // batch_size)``), so every
        recipe gets the same number of steps whatever its data size. At most
        one of the two; neither means :data:`DEFAULT_STEPS`.
    seeds : int or list of int
        ``3`` means seeds 0, 1, 2; a list gives them explicitly.
    out : str
        Folder of the run folders and the report.
    batch_size, lr : int, float
        Training batch size and peak learning rate.
    split_seed : int
        Draws the protocol splits and the validation hold-out; the same for
        every run, so all recipes and seeds see the same data.
    device : str, optional
        Torch device; default CUDA when available, else CPU.
    threads : int, optional
        CPU threads torch may use while the bench runs (restored afterwards);
        default torch's own choice. Small images train fastest on one thread:
        their per-batch work is too small to split, and a second thread only
        adds synchronisation (measured on 8x8 digits, 2 loaded cores: 100
        steps in 2.2 s with one thread, 23 s with two).
    progress : bool or None
        Progress bars while training (None: when stderr is a terminal; a
        plain line per finished run is printed either way).
    backbones : str, optional
        Folder of the stage-1 cache (trained backbones that two-stage recipes
        reuse); default ``<out>/_backbones``. Runs into several ``out``
        folders may share one.
    title : str, optional
        Title of the report.
    keep : {"best", "last"}
        Which weights every run tests, for the backbone and for a two-stage
        recipe's head alike: ``"best"``, the epoch with the highest validation
        ACSA; ``"last"``, the final one (see ``keep`` of
        :func:`pixsmote.train.fit`: a small class with a handful of validation
        images makes the best epoch a matter of one image).
    """

    train: str | None = None
    recipes: list[str] = field(default_factory=lambda: ["none", "ros", "smote"])
    val: str | None = None
    test: list[str] = field(default_factory=list)
    aug: str = "basic"
    loss: str = "ce"
    model: str = "small-cnn"
    steps: int | None = None
    epochs: int | None = None
    seeds: int | list[int] = 3
    out: str = "runs/bench"
    batch_size: int = 128
    lr: float = 0.05
    split_seed: int = 0
    device: str | None = None
    threads: int | None = None
    progress: bool | None = None
    title: str | None = None
    backbones: str | None = None
    keep: str = "best"

    # ------------------------------------------------------------------ derived
    def seed_list(self) -> list[int]:
        """The seeds as a list."""
        if isinstance(self.seeds, list):
            return list(self.seeds)
        return list(range(self.seeds))

    def parsed_recipes(self) -> list[Recipe]:
        """:attr:`recipes` parsed (validates names and overrides)."""
        return parse_recipes(self.recipes)

    def validate(self) -> BenchConfig:
        """Check every setting; returns ``self``.

        Raises
        ------
        UsageError
            Missing ``train``, both ``steps`` and ``epochs``, a non-positive
            count, unknown model/augmentation/loss/recipe names (the message
            lists the valid ones), bad seeds.
        """
        from pixsmote.train import AUGMENTATIONS, LOSSES, MODELS, check_keep

        if not self.train:
            raise UsageError(
                "Give the training data with --train (or 'train' in the config "
                f"file). Got {self.train!r} instead."
            )
        if self.steps is not None and self.epochs is not None:
            raise UsageError(
                "Give at most one of steps and epochs. Got "
                f"steps={self.steps!r}, epochs={self.epochs!r} instead."
            )
        for name in ("steps", "epochs"):
            _check_int(name, getattr(self, name), low=1, optional=True)
        _check_int("batch_size", self.batch_size, low=2)
        _check_int("split_seed", self.split_seed, low=0)
        _check_int("threads", self.threads, low=1, optional=True)
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, int | list):
            raise UsageError(
                f"seeds must be a count or a list of seeds. Got {self.seeds!r} instead."
            )
        if isinstance(self.seeds, int):
            _check_int("seeds", self.seeds, low=1)
        else:
            for s in self.seeds:
                _check_int("each seed", s, low=0)
            if not self.seeds or len(set(self.seeds)) != len(self.seeds):
                raise UsageError(
                    f"seeds must be distinct and non-empty. Got {self.seeds!r} instead."
                )
        if (
            isinstance(self.lr, bool)
            or not isinstance(self.lr, int | float)
            or not self.lr > 0
        ):
            raise UsageError(f"lr must be a positive number. Got {self.lr!r} instead.")
        _check_device(self.device)
        check_keep(self.keep)
        MODELS.lookup(self.model)
        AUGMENTATIONS.lookup(self.aug)
        LOSSES.lookup(self.loss)
        for recipe in self.parsed_recipes():
            _check_unmixed(recipe, self.aug)
        return self

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict (``bench.json``)."""
        return dataclasses.asdict(self)


def _check_unmixed(recipe: Recipe, bench_aug: str) -> None:
    """A recipe's feature augmentation with a mixing augmentation fails here,
    before any run folder exists, rather than in its first run."""
    from pixsmote.train import AUGMENTATIONS

    stage1 = recipe.stage1()
    aug = stage1.aug or bench_aug
    # A registered class says whether it mixes; a factory function ("none")
    # builds a plain Augmentation, which does not.
    mixes = getattr(AUGMENTATIONS[aug], "mixes_labels", False)
    if stage1.feature_aug is not None and mixes:
        raise UsageError(
            f"Recipe {recipe.label!r}: feature_aug needs unmixed labels, and aug "
            f"{aug!r} mixes two images' labels. Got both instead."
        )


def _check_device(device: str | None) -> None:
    """A torch device name that exists here (None: chosen later)."""
    if device is None:
        return
    import torch

    try:
        parsed = torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        raise UsageError(
            "device must be a torch device such as cpu, cuda or cuda:1. Got "
            f"{device!r} instead."
        ) from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(
            f"device {device!r} asks for CUDA, but torch finds no CUDA device here. "
            "Use --device cpu (or leave --device out). Got "
            f"{device!r} instead."
        )
    if parsed.type == "cuda" and parsed.index is not None:
        if parsed.index >= torch.cuda.device_count():
            raise UsageError(
                f"device {device!r}: torch finds {torch.cuda.device_count()} CUDA "
                f"device(s). Got index {parsed.index} instead."
            )
    if parsed.type == "mps" and not (
        getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
    ):
        raise UsageError(
            f"device {device!r} asks for Apple's MPS, which torch does not find "
            f"here. Use --device cpu. Got {device!r} instead."
        )


def _check_int(name: str, value: Any, *, low: int, optional: bool = False) -> None:
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise UsageError(f"{name} must be an integer >= {low}. Got {value!r} instead.")


#: Config-file keys -> the type(s) their value may have.
_TOML_TYPES: dict[str, tuple[type, ...]] = {
    "train": (str,),
    "recipes": (str, list),
    "val": (str,),
    "test": (str, list),
    "aug": (str,),
    "loss": (str,),
    "model": (str,),
    "steps": (int,),
    "epochs": (int,),
    "seeds": (int, list),
    "out": (str,),
    "batch_size": (int,),
    "lr": (int, float),
    "split_seed": (int,),
    "device": (str,),
    "threads": (int,),
    "progress": (bool,),
    "title": (str,),
    "backbones": (str,),
    "keep": (str,),
}


def load_config(path: str | os.PathLike) -> dict[str, Any]:
    """Read a bench TOML file into a dict of :class:`BenchConfig` fields.

    The keys are the long command-line options (``batch-size`` or
    ``batch_size``); ``recipes`` and ``test`` may be lists or comma-separated
    strings. Relative paths in ``train``/``val``/``test``/``out`` stay relative
    to the current directory, as on the command line.

    Parameters
    ----------
    path : str or path-like
        The TOML file.

    Raises
    ------
    UsageError
        Unknown keys (the message lists the valid ones), wrong value types, or
        invalid TOML.
    FileNotFoundError
        If the file does not exist.

    Examples
    --------
    A study file::

        train = "fmnist-deepsmote"
        recipes = ["none", "ros", "smote", "smote:aug=mixup"]
        model = "resnet20"
        steps = 3000
        seeds = 3
        out = "runs/deepsmote"
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(
            f"{str(path)!r} is not valid TOML ({exc}). Got a malformed file instead."
        ) from None
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in _TOML_TYPES:
            raise UsageError(
                f"Unknown key in {str(path)!r}. Expected some of "
                f"{sorted(_TOML_TYPES)}. Got {key!r} instead."
            )
        types = _TOML_TYPES[name]
        if isinstance(value, bool) and bool not in types:
            types = ()
        if not isinstance(value, types):
            expected = " or ".join(t.__name__ for t in _TOML_TYPES[name])
            raise UsageError(
                f"Key {key!r} in {str(path)!r} must be a {expected}. Got {value!r} "
                "instead."
            )
        if name == "test" and isinstance(value, str):
            value = [value]
        values[name] = value
    return values


def training_choices() -> dict[str, list[str]]:
    """The names ``--model``, ``--aug``, ``--loss`` and ``--keep`` accept.

    :data:`pixsmote.train.MODELS`, ``AUGMENTATIONS`` and ``LOSSES``, in
    registration order, and :data:`pixsmote.train.KEEP_CHOICES`. Imports
    :mod:`pixsmote.train`, so it needs torch (``pixsmote[train]``);
    ``pixsmote bench --help`` calls it only then.

    Returns
    -------
    dict of str to list of str
        Option -> its valid values.

    Raises
    ------
    ModuleNotFoundError
        Without torch or kornia.

    Examples
    --------
    >>> from pixsmote.app import training_choices
    >>> "small-cnn" in training_choices()["--model"]
    True
    """
    from pixsmote.train import (
        KEEP_CHOICES,
        list_augmentations,
        list_losses,
        list_models,
    )

    return {
        "--model": list_models(),
        "--aug": list_augmentations(),
        "--loss": list_losses(),
        "--keep": list(KEEP_CHOICES),
    }
