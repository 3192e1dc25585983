"""The Fashion-MNIST study: every balancing recipe of docs/protocol.md, resumable.

Runs ``pixsmote bench`` once per (split, recipe, seed) -- one fresh process
each, ``--jobs`` of them side by side -- into::

    benchmarks/results/study/<split>/split-<seed>/NN-<recipe>/seed-<seed>/
        config.json  metrics.csv  results.json        (pixsmote._runfolder)

Seed ``s`` trains with seed ``s`` on the split drawn with seed ``s``
(docs/protocol.md: the fmnist-deepsmote split is drawn with the run's seed), so
the spread over seeds includes the spread over draws of the training set.

The recipe matrix comes from the registries (:data:`pixsmote.app.RECIPES`,
:data:`pixsmote.sampling.SAMPLERS`, :data:`pixsmote.train.LOSSES`,
:data:`pixsmote.train.AUGMENTATIONS`), in priority order: the one-line
baselines first, then SMOTE in pixel and PCA neighbour space, imbalanced-learn's
SMOTE, online SMOTE, the other loss-side methods, the other samplers, and last
the best SMOTE-based recipe (chosen on *validation* ACSA) combined with each
mixing augmentation and with a loss that does not read the class counts.

Resumable: ``pixsmote bench`` skips a run whose ``results.json`` exists, and
this script does not even launch it. Stop it at any time; run it again to go on.
``--max-minutes`` / ``--until`` stop *launching* new runs after a time budget
(runs in flight finish). Every finished run appends one line to
``benchmarks/results/study/runlog.jsonl`` (wall time, machine load).

Examples
--------
::

    python benchmarks/study.py --list                  # the plan and what is done
    python benchmarks/study.py --jobs 2 --until 06:05  # run what is pending
    python benchmarks/study.py --only 'none,ros,smote*' --seeds 0,1
    python benchmarks/make_study_report.py             # -> docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pixsmote._runfolder import read_json, read_run_folder, write_json

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CONFIG = HERE / "study.toml"
RESULTS = HERE / "results" / "study"
RUNLOG = RESULTS / "runlog.jsonl"
COMBOS = RESULTS / "combos.json"

#: Losses that read the training class counts: on resampled (balanced) data
#: the bench hands them uniform counts, so they reduce to plain CE there and a
#: "sampler + such loss" combination would only repeat the sampler's run.
COUNT_FREE_LOSSES = ("focal",)


# ------------------------------------------------------------------ matrix
def recipe_matrix(
    best_smote: str | None, tuning: list[str] | tuple[str, ...] = ()
) -> list[tuple[str, str]]:
    """(group, recipe string) in priority order, from the registries.

    `best_smote` is the SMOTE-based recipe to combine with the mixing
    augmentations and a count-free loss (None: combinations not planned yet).
    `tuning` are extra recipe strings from the config (``tuning = [...]`` of a
    split): variants tried to improve the SMOTE recipes, chosen on validation.
    """
    from pixsmote.app import RECIPES, list_recipes
    from pixsmote.app._bench_recipes import ALIASES
    from pixsmote.sampling import SAMPLERS
    from pixsmote.train import AUGMENTATIONS, LOSSES

    def pca(name: str) -> str:
        return f"{name}:neighbor_space=pca"

    def has_space(name: str) -> bool:
        sampler = RECIPES[name].sampler
        return "neighbor_space" in SAMPLERS[sampler].cls().get_params()

    first_losses = ["logit-adjusted"]
    other_losses = [n for n in LOSSES if n not in ("ce", *first_losses)]
    samplers = [n for n in list_recipes("sampler") if n not in ALIASES]
    # DeepSMOTE trains networks per run (about 2 minutes): it is run in the
    # confirmations that list it, not in the full matrix.
    other_samplers = [
        n
        for n in samplers
        if n not in ("ros", "rus", "smote") and not SAMPLERS[n].images_only
    ]
    plan = [
        ("baseline", "none"),
        ("baseline", "ros"),
        *[("loss", f"none:loss={loss}") for loss in first_losses],
        ("pixsmote", "smote"),
        ("pixsmote", pca("smote")),
        *[("imblearn", n) for n in list_recipes("imblearn")],
        ("online", "online-smote"),
        ("baseline", "rus"),
        *[("loss", f"none:loss={loss}") for loss in other_losses],
        *[("pixsmote", n) for n in other_samplers],
        *[("pixsmote", pca(n)) for n in other_samplers if has_space(n)],
    ]
    if best_smote:
        name, _, params = best_smote.partition(":")
        sep = "," if params else ""
        mixing = [a for a in AUGMENTATIONS if a not in ("none", "basic")]
        for aug in mixing:
            plan.append(("combination", f"{name}:aug={aug}{sep}{params}"))
        for loss in COUNT_FREE_LOSSES:
            plan.append(("combination", f"{name}:loss={loss}{sep}{params}"))
    plan += [("tuning", r) for r in tuning]
    return plan


def is_smote_based(recipe: str) -> bool:
    """A recipe that synthesises images (pixsmote or imbalanced-learn SMOTE)."""
    from pixsmote.app import parse_recipe
    from pixsmote.sampling import SAMPLERS

    r = parse_recipe(recipe)
    if r.aug or r.loss:
        return False
    if r.spec.kind == "imblearn":
        return True
    return r.spec.sampler is not None and SAMPLERS[r.spec.sampler].synthetic


# ------------------------------------------------------------------ jobs
@dataclass(frozen=True)
class Job:
    split: str  # the study section: results folder name
    recipe: str
    seed: int
    steps: int
    train: str = ""  # the protocol split trained on ("": the section's name)
    root: Path = RESULTS  # the study's results folder
    keep: str = "best"  # which weights the run tests (the split's `keep`)

    @property
    def out(self) -> Path:
        return self.root / self.split / f"split-{self.seed}"

    @property
    def backbones(self) -> Path:
        """The stage-1 cache every seed and recipe of the section shares (its
        keys hash the data, seed and settings, so they never collide)."""
        return self.root / self.split / "_backbones"

    def run_dir(self) -> Path | None:
        """The run folder if a finished run of this recipe and seed exists."""
        from pixsmote.app import parse_recipe

        slug = parse_recipe(self.recipe).slug
        if not self.out.is_dir():
            return None
        for child in self.out.iterdir():
            name = child.name.partition("-")[2]
            run = child / f"seed-{self.seed}"
            if name == slug and (run / "results.json").is_file():
                return run
        return None

    def command(self, cfg: dict) -> list[str]:
        exe = shutil.which("pixsmote", path=str(Path(sys.executable).parent))
        head = [exe] if exe else [sys.executable, "-c", _CLI]
        return [
            *head, "bench",
            "--train", self.train or self.split,
            "--recipes", self.recipe,
            "--model", cfg["model"],
            "--aug", cfg["aug"],
            "--loss", "ce",
            "--steps", str(self.steps),
            "--batch-size", str(cfg["batch_size"]),
            "--lr", str(cfg["lr"]),
            "--threads", str(cfg["threads"]),
            "--seeds", f"{self.seed},",
            "--split-seed", str(self.seed),
            "--out", str(self.out.relative_to(ROOT)),
            "--backbones", str(self.backbones.relative_to(ROOT)),
            "--no-progress",
            # Only when set, so the commands of the runs before the option
            # existed read as they did.
            *(["--keep", self.keep] if self.keep != "best" else []),
        ]  # fmt: skip


_CLI = "import sys; from pixsmote.cli import main; sys.exit(main())"


def load_config(path: Path = CONFIG) -> dict:
    from pixsmote.train import KEEP_CHOICES

    with open(path, "rb") as fh:
        cfg = tomllib.load(fh)
    known = {"model", "aug", "batch_size", "lr", "threads", "splits"}
    unknown = set(cfg) - known
    if unknown:
        raise SystemExit(
            f"{path}: unknown keys {sorted(unknown)}; known {sorted(known)}"
        )
    section_keys = {"steps", "seeds", "tuning", "train", "recipes", "extends", "keep"}
    for name, spec in cfg["splits"].items():
        unknown = set(spec) - section_keys
        if unknown:
            raise SystemExit(
                f"{path}: [splits.{name}] has unknown keys {sorted(unknown)}; "
                f"known {sorted(section_keys)}"
            )
        if spec.get("keep", "best") not in KEEP_CHOICES:
            raise SystemExit(
                f"{path}: [splits.{name}] keep must be one of "
                f"{list(KEEP_CHOICES)}. Got {spec['keep']!r} instead."
            )
    for name in cfg["splits"]:
        _check_extension(cfg, name, path)
    return cfg


def _check_extension(cfg: dict, name: str, path) -> None:
    """A section with ``extends = "<section>"`` runs more seeds of some of that
    section's recipes, at its budget on its data: the report pools their seeds
    (:func:`extensions`). Anything else would pool runs that differ."""
    spec = cfg["splits"][name]
    base = spec.get("extends")
    if base is None:
        return
    where = f"{path}: [splits.{name}] extends {base!r}"
    other = cfg["splits"].get(base)
    if other is None or "extends" in other:
        raise SystemExit(
            f"{where}: expected a section that extends none. Got "
            f"{'no such section' if other is None else 'an extension'} instead."
        )
    if (
        train_split(cfg, name) != train_split(cfg, base)
        or spec["steps"] != other["steps"]
        or spec.get("keep", "best") != other.get("keep", "best")
    ):
        raise SystemExit(
            f"{where}: expected its training split, steps and keep "
            f"({train_split(cfg, base)}, {other['steps']}, "
            f"{other.get('keep', 'best')}). Got ({train_split(cfg, name)}, "
            f"{spec['steps']}, {spec.get('keep', 'best')}) instead."
        )
    shared = sorted(set(spec["seeds"]) & set(other["seeds"]))
    missing = [r for r in spec.get("recipes", []) if r not in other.get("recipes", [])]
    got = None
    if shared:
        got = f"seeds {shared} in both"
    elif missing:
        got = f"recipes {missing} not in it"
    elif "recipes" not in spec:
        got = "no recipes list"
    if got:
        raise SystemExit(
            f"{where}: expected new seeds of some of its recipes. Got {got} instead."
        )


def extensions(cfg: dict, section: str) -> list[str]:
    """The sections that run more seeds of `section`'s recipes."""
    return [n for n, spec in cfg["splits"].items() if spec.get("extends") == section]


def train_split(cfg: dict, section: str) -> str:
    """The protocol split a study section trains on (its ``train``, or its name)."""
    return cfg["splits"][section].get("train", section)


def section_matrix(
    cfg: dict, section: str, results: Path = RESULTS
) -> list[tuple[str, str]]:
    """(group, recipe) of a study section: its ``recipes`` list if it has one
    (a confirmation of chosen recipes at another budget), else the full matrix."""
    spec = cfg["splits"][section]
    if "recipes" in spec:
        return [("confirm", r) for r in spec["recipes"]]
    best = choose_best_smote(cfg, section, results)
    return recipe_matrix(best, spec.get("tuning", []))


def val_acsa(run_dir: Path) -> float:
    """Validation ACSA of the kept epoch (what model selection saw)."""
    res = read_run_folder(run_dir).results
    return float(res.get("val", {}).get("acsa", float("nan")))


def read_combos(results: Path = RESULTS) -> dict:
    """``combos.json``: per split, the base recipe of the combinations."""
    path = results / COMBOS.name
    return read_json(path) if path.is_file() else {}


def choose_best_smote(cfg: dict, split: str, results: Path = RESULTS) -> str | None:
    """The SMOTE-based recipe with the best mean validation ACSA on `split`
    (reads the runs and ``combos.json``, writes nothing)."""
    record = best_smote_record(cfg, split, results)
    return record["recipe"] if record else None


def combos_view(cfg: dict, results: Path = RESULTS) -> dict:
    """``combos.json`` as :func:`save_combos` would write it now."""
    combos = read_combos(results)
    for split in cfg["splits"]:
        record = best_smote_record(cfg, split, results)
        if record is not None:
            combos[split] = record
    return combos


def save_combos(cfg: dict, results: Path = RESULTS) -> None:
    """Record the current choice of every split in ``combos.json`` (the runner
    does this before planning; the report only reads)."""
    combos = combos_view(cfg, results)
    if combos:
        results.mkdir(parents=True, exist_ok=True)
        # Atomic: two study processes started together (one per slot) read
        # and write this file at once; a plain write_text let one read the
        # other's truncated file and stop (seen 2026-12-03).
        write_json(results / COMBOS.name, combos)


def best_smote_record(cfg: dict, split: str, results: Path = RESULTS) -> dict | None:
    """The choice of :func:`choose_best_smote` with its evidence, as
    ``combos.json`` records it.

    Frozen once every SMOTE-based recipe of the matrix has a finished seed-0
    run, or once a combination has been launched (before that the choice is
    provisional and re-made).
    """
    frozen = read_combos(results)
    if frozen.get(split, {}).get("frozen"):
        return frozen[split]
    spec = cfg["splits"][split]
    if "recipes" in spec:  # a confirmation section: no combinations
        return None
    matrix = recipe_matrix(None, spec.get("tuning", []))
    candidates = [r for _, r in matrix if is_smote_based(r)]
    scores: dict[str, float] = {}
    complete = True
    for recipe in candidates:
        vals = []
        for seed in spec["seeds"]:
            d = Job(split, recipe, seed, spec["steps"], root=results).run_dir()
            if d is not None:
                vals.append(val_acsa(d))
            elif seed == spec["seeds"][0]:
                complete = False
        if vals:
            scores[recipe] = sum(vals) / len(vals)
    if not scores:
        return None
    best = max(scores, key=scores.get)
    return {
        "recipe": best,
        "val_acsa": scores[best],
        "candidates_val_acsa": scores,
        "frozen": complete,
        "rule": "best mean validation ACSA among SMOTE-based recipes",
    }


def freeze_combos(split: str, results: Path = RESULTS) -> None:
    """Keep the combinations' base once one of them has been launched."""
    frozen = read_combos(results)
    if split in frozen and not frozen[split].get("frozen"):
        frozen[split]["frozen"] = True
        frozen[split]["frozen_at"] = _now()
        write_json(results / COMBOS.name, frozen)


def plan_jobs(
    cfg: dict, splits, only, seeds, results: Path = RESULTS
) -> list[tuple[str, Job]]:
    """Every (group, job) in launch order: split, then seed, then recipe."""
    jobs = []
    for split, spec in cfg["splits"].items():
        if splits and split not in splits:
            continue
        matrix = section_matrix(cfg, split, results)
        train = train_split(cfg, split)
        for seed in spec["seeds"]:
            if seeds is not None and seed not in seeds:
                continue
            for group, recipe in matrix:
                if only and not any(fnmatch.fnmatchcase(recipe, o) for o in only):
                    continue
                job = Job(
                    split, recipe, seed, spec["steps"], train, results,
                    spec.get("keep", "best"),
                )  # fmt: skip
                jobs.append((group, job))
    return jobs


def _split_recipes(text: str) -> list[str]:
    """Split a comma-separated recipe list; ``key=value`` items continue a recipe
    (as in ``pixsmote bench --recipes``: ``smote:aug=mixup,k_neighbors=3``)."""
    out: list[str] = []
    for token in (t.strip() for t in text.split(",")):
        if token and "=" in token and ":" not in token and out:
            out[-1] += "," + token
        elif token:
            out.append(token)
    return out


def load1() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _record_machine(results: Path) -> None:
    """Add this machine to ``machine.json`` (keyed by host name)."""
    from _common import machine_info, versions

    path = results / "machine.json"
    known = read_json(path) if path.is_file() else {}
    info = machine_info()
    info.pop("threadpools", None)
    info["versions"] = versions("torch")
    known[platform.node()] = info
    write_json(path, known)


# ------------------------------------------------------------------ main
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", type=Path, default=CONFIG, help="(default study.toml)")
    p.add_argument("--list", action="store_true", help="print the plan and exit")
    p.add_argument(
        "--results", type=Path, default=RESULTS, help="results folder (%(default)s)"
    )
    p.add_argument(
        "--only",
        help="comma-separated recipe labels to run, shell-style wildcards allowed "
        "('smote*', 'none:loss=*'); default: the whole matrix",
    )
    p.add_argument("--splits", help="comma-separated splits (default: all in config)")
    p.add_argument("--seeds", help="comma-separated seeds (default: config's)")
    p.add_argument("--jobs", type=int, default=1, help="runs side by side (1)")
    p.add_argument(
        "--max-minutes",
        type=float,
        help="stop launching new runs after this many minutes (running ones finish)",
    )
    p.add_argument("--until", metavar="HH:MM", help="no new launch after HH:MM UTC")
    args = p.parse_args(argv)

    cfg = load_config(args.config)
    only = _split_recipes(args.only) if args.only else None
    splits = set(args.splits.split(",")) if args.splits else None
    seeds = {int(s) for s in args.seeds.split(",")} if args.seeds else None

    deadline = float("inf")
    t0 = time.time()
    if args.max_minutes is not None:
        deadline = t0 + 60 * args.max_minutes
    if args.until:
        hh, mm = map(int, args.until.split(":"))
        now = dt.datetime.now(dt.UTC)
        stop = now.replace(hour=hh, minute=mm, second=0, microsecond=0)
        deadline = min(deadline, stop.timestamp())

    results = args.results
    if args.list:
        save_combos(cfg, results)
        jobs = plan_jobs(cfg, splits, only, seeds, results)
        done = 0
        for group, job in jobs:
            d = job.run_dir()
            done += d is not None
            state = "done   " if d else "pending"
            print(f"{state} {job.split:17s} seed {job.seed}  {group:11s} {job.recipe}")
        print(f"\n{done}/{len(jobs)} runs done")
        return 0

    results.mkdir(parents=True, exist_ok=True)
    _record_machine(results)
    running: list[tuple[Job, subprocess.Popen, float, float, Path]] = []
    tried: set[Job] = set()
    n_ok = n_fail = 0
    logs = results / ".logs"
    logs.mkdir(exist_ok=True)
    while True:
        # reap finished runs
        for item in list(running):
            job, proc, start, load_start, log = item
            if proc.poll() is None:
                continue
            running.remove(item)
            wall = time.time() - start
            ok = proc.returncode == 0 and job.run_dir() is not None
            n_ok += ok
            n_fail += not ok
            entry = {
                "split": job.split, "recipe": job.recipe, "seed": job.seed,
                "steps": job.steps, "rc": proc.returncode, "wall_s": round(wall, 1),
                "finished": _now(), "load1_start": load_start, "load1_end": load1(),
                "jobs": args.jobs, "host": platform.node(),
            }  # fmt: skip
            if not ok:  # the exception line, so the reason is committed too
                lines = [x for x in log.read_text().splitlines() if x.strip()]
                entry["error"] = lines[-1][-300:] if lines else ""
            with open(results / RUNLOG.name, "a") as fh:
                fh.write(json.dumps(entry) + "\n")
            status = "ok" if ok else f"FAILED rc={proc.returncode}, see {log}"
            print(
                f"{_now()} done {job.split} seed {job.seed} {job.recipe}: "
                f"{wall:.0f} s, load {load1():.1f} [{status}]",
                flush=True,
            )
        # launch new ones (the plan is rebuilt: combinations follow results)
        save_combos(cfg, results)
        planned = plan_jobs(cfg, splits, only, seeds, results)
        groups = {j: g for g, j in planned}
        pending = [j for _, j in planned if j not in tried and j.run_dir() is None]
        busy = {(j.split, j.seed, j.recipe) for j, *_ in running}
        pending = [j for j in pending if (j.split, j.seed, j.recipe) not in busy]
        out_of_time = time.time() >= deadline
        while pending and len(running) < args.jobs and not out_of_time:
            job = pending.pop(0)
            tried.add(job)
            if groups.get(job) == "combination":
                freeze_combos(job.split, results)
            job.out.mkdir(parents=True, exist_ok=True)
            log = logs / f"{job.split}-{job.seed}-{job.recipe.replace(':', '_')}.log"
            with open(log, "w") as fh:
                proc = subprocess.Popen(
                    job.command(cfg), cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT
                )
            running.append((job, proc, time.time(), load1(), log))
            print(
                f"{_now()} start {job.split} seed {job.seed} {job.recipe} "
                f"(load {load1():.1f})",
                flush=True,
            )
        if not running:
            break
        time.sleep(5)
    reason = "time budget reached" if time.time() >= deadline else "nothing pending"
    print(
        f"{_now()} stopped ({reason}): {n_ok} run(s) finished, {n_fail} failed, "
        f"{(time.time() - t0) / 60:.1f} min"
    )
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
