"""The experiment runner: every recipe x every seed, one run folder each, a report.

Layout of ``out``::

    out/
      bench.json                   the resolved settings of the last invocation
      01-none/seed-0/              one folder per (recipe, seed):
        config.json                  resolved config (docs/contracts.md)
        metrics.csv                  one row per validation
        results.json                 test metrics of the best-validation epoch
      02-smote/seed-0/ ...
      _backbones/<key>/            trained models a two-stage run can start
                                   from (config ``backbones`` moves it; a
                                   one-stage run stores its model there when
                                   ``backbones`` is set or a two-stage recipe
                                   of the bench starts from it)
      report.html, report.md, figures/

Fairness: every recipe trains the same model for the same number of optimiser
steps with the same seeds on the same validation and test sets; only the
training data (and a recipe's own ``aug``/``loss`` overrides) differ.
Checkpoints are chosen on validation ACSA only (:func:`pixsmote.train.fit`).

Resumable: a run whose ``results.json`` exists is skipped (after checking that
it was trained with the same settings), so a long study can be run in pieces,
or extended with more recipes or seeds into the same ``out``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixsmote._errors import DataError, PixsmoteError, UsageError
from pixsmote.app._balance_dataset import _by_name
from pixsmote.app._bench_balance import Balanced, balance_training
from pixsmote.app._bench_config import DEFAULT_STEPS, BenchConfig
from pixsmote.app._bench_data import BenchData, resolve_data
from pixsmote.app._bench_recipes import Recipe
from pixsmote.app._bench_stages import (
    fit_settings,
    recorded_aug_loss,
    run_two_stage,
    save_backbone,
    stage1_key,
    train_data,
)
from pixsmote.data import check_run_folder, read_marker, write_marker

__all__ = [
    "BenchResult",
    "RunRecord",
    "run_bench",
    "resolve_steps",
    "command_line",
    "limit_threads",
]


@dataclass
class RunRecord:
    """One (recipe, seed) run of an invocation.

    Attributes
    ----------
    recipe : str
        The recipe label.
    seed : int
    path : pathlib.Path
        The run folder.
    status : {"trained", "skipped"}
        ``skipped``: its ``results.json`` existed already.
    time_s : float
        Training time (from ``results.json`` for skipped runs).
    n_train : int
        Training images of the (first epoch of the) run.
    """

    recipe: str
    seed: int
    path: Path
    status: str
    time_s: float
    n_train: int = 0


@dataclass
class BenchResult:
    """What :func:`run_bench` returns.

    Attributes
    ----------
    out : pathlib.Path
    records : list of RunRecord
        In execution order.
    runs : list of pixsmote.report.Run
        The runs of this invocation as read back from disk (recipe order).
    table : str
        The comparison table (mean ± std over seeds, %), as printed.
    html, md : pathlib.Path
        The report files.
    steps : int
        Optimiser steps per run.
    data : BenchData
    balanced : dict of str to Balanced
        Each recipe's training data for the first seed.
    """

    out: Path
    records: list[RunRecord]
    runs: list[Any]
    table: str
    html: Path
    md: Path
    steps: int
    data: BenchData
    balanced: dict[str, Balanced] = field(default_factory=dict)


def resolve_steps(config: BenchConfig, n_train: int) -> int:
    """Optimiser steps per run: ``steps``, or ``epochs`` of the original data.

    ``epochs`` counts passes over the *original* training set of ``n_train``
    images (``N // batch_size`` steps each, at least one), so a recipe that
    doubles the data still gets the same number of steps as the baseline.

    Parameters
    ----------
    config : BenchConfig
        Gives ``steps``, ``epochs`` and ``batch_size``.
    n_train : int
        Images in the original training set.
    """
    if config.steps is not None:
        return int(config.steps)
    if config.epochs is not None:
        per_epoch = max(1, n_train // min(config.batch_size, n_train))
        return int(config.epochs) * per_epoch
    return DEFAULT_STEPS


def command_line(config: BenchConfig, steps: int | None = None) -> str:
    """The ``pixsmote bench`` command that reproduces `config`.

    Parameters
    ----------
    config : BenchConfig
        The bench's configuration.
    steps : int, optional
        The resolved number of steps per run (default ``config.steps``).
    """
    parts = ["pixsmote", "bench", "--train", str(config.train)]
    if config.val:
        parts += ["--val", str(config.val)]
    if config.test:
        parts += ["--test", *map(str, config.test)]
    recipes = config.recipes if isinstance(config.recipes, list) else [config.recipes]
    parts += ["--recipes", ",".join(recipes)]
    parts += ["--model", config.model, "--aug", config.aug, "--loss", config.loss]
    parts += ["--steps", str(steps if steps is not None else config.steps)]
    seeds = config.seeds
    parts += [
        "--seeds",
        ",".join(map(str, seeds)) if isinstance(seeds, list) else str(seeds),
    ]
    parts += ["--batch-size", str(config.batch_size), "--lr", str(config.lr)]
    if config.split_seed:
        parts += ["--split-seed", str(config.split_seed)]
    # Options that change how (not what) a run trains still belong to the
    # command that reproduces it.
    if config.device is not None:
        parts += ["--device", str(config.device)]
    if config.threads is not None:
        parts += ["--threads", str(config.threads)]
    if config.title is not None:
        parts += ["--title", config.title]
    parts += ["--out", str(config.out)]
    return " ".join(shlex.quote(p) for p in parts)


def _echo(text: str) -> None:
    print(text, flush=True)


def _recipe_dir(out: Path, recipe: Recipe) -> Path:
    """The recipe's existing folder under `out`, or a new numbered one (created).

    Numbering happens under :func:`_out_lock`: bench processes run side by
    side into one ``out`` (``benchmarks/study.py --jobs 2``) otherwise both
    take the same next number.
    """
    pattern = re.compile(r"^(\d+)-(.*)$")
    with _out_lock(out):
        numbers = [0]
        for child in out.iterdir():
            m = pattern.match(child.name)
            if not (m and child.is_dir()):
                continue
            if m.group(2) == recipe.slug:
                return child
            numbers.append(int(m.group(1)))
        folder = out / f"{max(numbers) + 1:02d}-{recipe.slug}"
        folder.mkdir()
        return folder


@contextlib.contextmanager
def _out_lock(out: Path, stale_s: float = 60.0):
    """Hold ``out/.bench.lock`` (created with O_EXCL, so it works on every OS).

    Held for a directory listing and a mkdir only; a lock older than `stale_s`
    was left by a killed process and is taken over.
    """
    lock = out / ".bench.lock"
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            with contextlib.suppress(FileNotFoundError):
                if time.time() - lock.stat().st_mtime > stale_s:
                    lock.unlink()
                    continue
            time.sleep(0.02)
    try:
        yield
    finally:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()


def _read_json(path: Path) -> dict:
    try:
        with open(path) as fh:
            obj = json.load(fh)
    except (OSError, json.JSONDecodeError):
        return {}
    return obj if isinstance(obj, dict) else {}


def _check_reusable(run_dir: Path, expected: dict[str, Any]) -> None:
    """A finished run may be skipped only if it was trained the same way."""
    config = _read_json(run_dir / "config.json")
    if not config:
        return
    for key, value in expected.items():
        if key in config and config[key] != value:
            raise UsageError(
                f"{run_dir} was trained with {key}={config[key]!r}, but this bench "
                f"asks for {key}={value!r}; results would not compare. Use another "
                f"--out, or delete that folder. Got a conflicting {key!r} instead."
            )


def run_bench(
    config: BenchConfig,
    *,
    data: BenchData | None = None,
    echo: Callable[[str], None] | None = _echo,
    notes: list[str] | None = None,
    command: str | None = None,
) -> BenchResult:
    """Train every recipe with every seed, write run folders and the report.

    Parameters
    ----------
    config : BenchConfig
        Validated here (:meth:`BenchConfig.validate`).
    data : BenchData, optional
        Pre-resolved data (the demo builds its own); default
        :func:`resolve_data` of the config's sources.
    echo : callable or None
        Receives one line per run and the final table; None is silent.
    notes : list of str, optional
        Extra paragraphs for the report.
    command : str, optional
        The command shown in the report; default :func:`command_line`.

    Returns
    -------
    BenchResult

    Raises
    ------
    UsageError
        Bad settings (see :meth:`BenchConfig.validate`), an ``out`` that is a
        file or a folder pixsmote did not write
        (:func:`~pixsmote.data.check_run_folder`), or an ``out`` folder
        holding runs of the same recipe trained with other settings.
    DataError
        Bad data (see :func:`resolve_data`).
    """
    config.validate()
    check_run_folder(config.out)
    with limit_threads(config.threads):
        return _run_bench(config, data, echo, notes, command)


@contextlib.contextmanager
def limit_threads(n: int | None):
    """Let torch and the BLAS/OpenMP pools use `n` threads inside the block.

    ``None`` leaves everything as it is. The previous settings are restored on
    exit.
    """
    if n is None:
        yield
        return
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n):
            yield
    finally:
        torch.set_num_threads(before)


def _run_bench(config, data, echo, notes, command) -> BenchResult:
    from pixsmote import report
    from pixsmote.train import fit

    say = echo or (lambda text: None)
    recipes = config.parsed_recipes()
    seeds = config.seed_list()
    if data is None:
        data = resolve_data(
            config.train, config.val, config.test, split_seed=config.split_seed
        )
    steps = resolve_steps(config, len(data.y))
    out = check_run_folder(config.out)  # again: the data took a while
    out.mkdir(parents=True, exist_ok=True)
    if read_marker(out) is None:
        write_marker(out, "bench")
    # Every recipe's first-seed training data before any training: a sampler
    # that refuses this data (a class too small for its neighbours) fails the
    # bench now, not after the recipes before it ran.
    balanced_first: dict[str, Balanced] = {}
    for recipe in recipes:
        # Two-stage recipes resample features after training, not images; a
        # neighbors_from recipe needs its network first (parse_recipe checked
        # its sampler's parameters), so it is balanced when its run starts.
        if not recipe.two_stage and recipe.neighbors_from is None:
            balanced_first[recipe.label] = _balance(recipe, data, seeds[0])
    command = command or command_line(config, steps)
    bench_info = {
        "command": command,
        "settings": config.to_dict(),
        "steps": steps,
        "data": data.descriptions,
        "class_names": data.class_names,
        "train_counts": data.counts().tolist(),
        "val_counts": data.counts(data.y_val).tolist(),
        "test_counts": {k: data.counts(v[1]).tolist() for k, v in data.tests.items()},
    }
    # Atomic: parallel invocations into one `out` (the last one wins) never
    # leave a half-written file for a reader.
    tmp = out / f".bench.json.{os.getpid()}"
    tmp.write_text(json.dumps(bench_info, indent=2) + "\n")
    os.replace(tmp, out / "bench.json")

    counts_before = data.counts().tolist()
    backbones = Path(config.backbones) if config.backbones else out / "_backbones"
    # One-stage runs store their model when a cache is named, or when a
    # two-stage recipe of this bench starts from them.
    as_backbone = {r.stage1().label for r in recipes if r.two_stage}
    as_backbone |= {
        nb.label for r in recipes if (nb := r.stage1().neighbors_recipe()) is not None
    }
    total = len(recipes) * len(seeds)
    records: list[RunRecord] = []
    folders: dict[str, Path] = {}
    say(
        f"bench: {len(recipes)} recipe(s) x {len(seeds)} seed(s), {steps} steps each, "
        f"model {config.model}; training set {len(data.y)} images {counts_before}, "
        f"val {len(data.y_val)}, tests {list(data.tests)} -> {out}"
    )
    k = 0
    for recipe in recipes:
        folder = folders[recipe.label] = _recipe_dir(out, recipe)
        aug, loss = recorded_aug_loss(recipe.stage1(), config)
        for seed in seeds:
            k += 1
            run_dir = folder / f"seed-{seed}"
            expected = {
                "recipe": recipe.label,
                "model": config.model,
                "aug": aug,
                "loss": loss,
                "steps": steps,
                "batch_size": config.batch_size,
                "lr": config.lr,
                "bench_data": data.descriptions,
            }
            if (run_dir / "results.json").is_file():
                _check_reusable(run_dir, expected)
                done = _read_json(run_dir / "results.json")
                rec = RunRecord(
                    recipe.label, seed, run_dir, "skipped",
                    float(done.get("time_s") or 0.0),
                )  # fmt: skip
                records.append(rec)
                say(f"[{k}/{total}] {recipe.label} seed {seed}: done already, skipped")
                continue
            common = {
                "class_names": data.class_names,
                "train_counts_before": counts_before,
                "bench_data": data.descriptions,
            }
            if recipe.two_stage:
                try:
                    done = run_two_stage(
                        recipe, seed, data=data, config=config, steps=steps,
                        run_dir=run_dir, backbones=backbones, fit=fit,
                        balance=balance_training, stage1_extra=common,
                    )  # fmt: skip
                except BaseException:
                    with contextlib.suppress(OSError):
                        folder.rmdir()
                    raise
                records.append(
                    RunRecord(
                        recipe.label, seed, run_dir, "trained", done["time_s"],
                        len(data.y),
                    )  # fmt: skip
                )
                say(f"[{k}/{total}] {recipe.label} seed {seed}: " + _two_line(done))
                continue
            neighbors: dict = {}
            try:
                if recipe.neighbors_from is not None:
                    balanced, neighbors = train_data(
                        recipe, seed, data=data, config=config, steps=steps,
                        backbones=backbones, fit=fit,
                        balance=_checked_balance(data),
                        stage1_extra=common,
                    )  # fmt: skip
                elif seed == seeds[0]:
                    balanced = balanced_first[recipe.label]
                else:
                    balanced = _balance(recipe, data, seed)
            except BaseException:
                # A sampler's refusal (DataError) or Ctrl-C: leave no empty
                # recipe folder behind.
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only succeeds if nothing was written
                raise
            extra = {
                **common,
                **neighbors,
                "recipe": recipe.label,
                "balancing": recipe.name,
                "balancing_kind": recipe.spec.kind,
                "sampler": recipe.spec.sampler,
                "sampler_params": recipe.params,
                "defer": recipe.defer,
                "train_counts_after": data.counts(balanced.y).tolist(),
                "n_synthetic": int(balanced.synthetic.sum()),
                "resample_time_s": balanced.time_s,
                "sampler_train_time_s": balanced.train_time_s,
            }
            kw = fit_settings(recipe, balanced, data, config, steps, seed)
            result = fit(**kw, out_dir=run_dir, extra_config=extra)
            # Its kept model is a backbone two-stage recipes may start from.
            if config.backbones or recipe.label in as_backbone:
                key = stage1_key(recipe, seed, config, steps, data)
                save_backbone(backbones, key, result)
            records.append(
                RunRecord(
                    recipe.label,
                    seed,
                    run_dir,
                    "trained",
                    result.time_s,
                    len(balanced.y),
                )  # fmt: skip
            )
            say(f"[{k}/{total}] {recipe.label} seed {seed}: " + _run_line(result))

    # ------------------------------------------------------------ report
    runs = []
    for recipe in recipes:
        loaded = report.load_runs(folders[recipe.label])
        runs += [r for r in loaded if r.seed in seeds]
    table = report.format_table(report.summarize(runs))
    scatter, grids = _figures_data(data, balanced_first)
    html, md = report.write_report(
        out,
        runs,
        title=config.title or f"pixsmote bench: {config.train}",
        scatter=scatter,
        grids=grids,
        commands=command,
        notes=_report_notes(config, data, steps, recipes) + list(notes or []),
    )
    trained = sum(r.status == "trained" for r in records)
    say(
        f"\n{trained} run(s) trained, {len(records) - trained} skipped. "
        "Test metrics (mean ± std over seeds, %):\n" + table
    )
    say(f"\nreport: {html}\n        {md}")
    return BenchResult(out, records, runs, table, html, md, steps, data, balanced_first)


def _checked_balance(data: BenchData) -> Callable[..., Balanced]:
    """:func:`balance_training`'s signature, with :func:`_balance`'s errors
    (the images are always `data`'s training set)."""

    def balance(recipe, X, y, seed, *, neighbor_space=None):
        assert X is data.X and y is data.y
        return _balance(recipe, data, seed, neighbor_space)

    return balance


def _balance(
    recipe: Recipe, data: BenchData, seed: int, neighbor_space=None
) -> Balanced:
    """A recipe's training data; a sampler's refusal as a one-line DataError."""
    try:
        return balance_training(
            recipe, data.X, data.y, seed, neighbor_space=neighbor_space
        )
    except PixsmoteError:
        raise
    except (ValueError, RuntimeError) as exc:
        text = _by_name(str(exc), list(data.class_names))
        raise DataError(
            f"recipe {recipe.label!r} cannot balance the training set: {text}"
        ) from None


def _run_line(result) -> str:
    parts = [
        f"{result.time_s:.1f} s",
        f"best epoch {result.best_epoch}",
        f"val ACSA {100 * result.val.get('acsa', float('nan')):.1f}%",
    ]
    for name, metrics in result.test.items():
        parts.append(f"{name} ACSA {100 * metrics.get('acsa', float('nan')):.1f}%")
    return ", ".join(parts)


def _two_line(done: dict) -> str:
    s1 = done["stage1"]
    stage1 = "cached" if s1["cached"] else f"{s1['time_s']:.1f} s"
    parts = [
        f"stage 1 {stage1}",
        f"stage 2 {done['stage2_time_s']:.1f} s",
        f"val ACSA {100 * done['val'].get('acsa', float('nan')):.1f}%",
    ]
    for name, metrics in done["test"].items():
        parts.append(f"{name} ACSA {100 * metrics.get('acsa', float('nan')):.1f}%")
    return ", ".join(parts)


def _figures_data(data: BenchData, balanced: dict[str, Balanced]):
    """Scatter and synthetic-grid inputs of :func:`pixsmote.report.write_report`."""
    scatter, grids = {}, {}
    for label, b in balanced.items():
        if b.X is data.X:  # no balancing: nothing to compare
            continue
        scatter[label] = (data.X, data.y, b.X, b.y, b.synthetic)
        if b.plan is not None and len(b.plan) > 0:
            X_synth = b.X[b.synthetic]
            if len(X_synth) != len(b.plan):
                from pixsmote.sampling import synthesize

                X_synth = (b.synthesize or synthesize)(data.X, b.plan)
            grids[label] = (data.X, b.plan, X_synth)
    return scatter, grids


def _report_notes(config: BenchConfig, data: BenchData, steps, recipes) -> list[str]:
    notes = [f"Data: {desc} [{part}]." for part, desc in data.descriptions.items()]
    notes.append(
        f"Every recipe trains {config.model} for {steps} optimiser steps (batch "
        f"{config.batch_size}, peak lr {config.lr}) with seeds {config.seed_list()}; "
        "the kept checkpoint is the epoch with the best validation ACSA, and the "
        "test sets are evaluated once with it."
    )
    overrides = [r.label for r in recipes if r.aug or r.loss]
    notes.append(
        f"Augmentation {config.aug!r} and loss {config.loss!r} for every recipe"
        + (
            f", except where the recipe overrides them: {overrides}."
            if overrides
            else "."
        )
    )
    return notes
