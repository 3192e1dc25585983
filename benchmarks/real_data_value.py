"""What a perfect synthesiser could give: the small classes topped up with *real*
images instead of synthetic ones.

Every recipe of the study brings fmnist-deepsmote's small classes to the largest
one's count with copies or with images made from their few real ones. This
script asks what *new real* images of those classes would add, which bounds
what any synthesiser can add, since a synthetic image carries at most what a
real image of the class would. For each factor m, every class below the mean
training count per class (810 on fmnist-deepsmote: the balanced reference's
count at the same total) gets ``min(m * n_c, 810)`` training images: its own
``n_c`` plus real ones drawn from the official Fashion-MNIST training images
the split did not use (in neither its training nor its validation part, nor
equal to one of them byte for byte). The other classes, the validation part
and the test sets are the split's. Each training set is then trained as the
study's ``ros`` recipe -- copies up to the largest class, the bench defaults,
``--keep last`` -- through :func:`pixsmote.app.run_bench`, so factor 1 is the
anchor (the split itself, run here) and the table reads the gain of real
top-ups against it. The top-ups are nested: the images of factor 2 are among
those of factor 4.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/real_data_value.py --jobs 2
    python benchmarks/real_data_value.py --quick   # digits, a minute

``--quick`` runs digits-seed-3 (classes 3/5/8, the pool sklearn's other digit
images) for 60 steps: its numbers mean nothing. Writes
``benchmarks/results/real_data_value.json`` (or ``--out``); the bench run
folders go under ``--work`` (default a temporary folder, removed at the end);
with a ``--work`` folder a rerun resumes, as the bench skips every run whose
``results.json`` exists.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from _common import finish, fmt_mean_std
from pixsmote.report import markdown_table

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "real_data_value.json"


def _digest(image: np.ndarray) -> bytes:
    return hashlib.sha1(np.ascontiguousarray(image).tobytes()).digest()


def top_up(split, pool, factor: int, seed: int):
    """The split's training part with every class below the mean count topped
    up to ``min(factor * n_c, mean)`` with unused real images of `pool`.

    Returns ``(X, y, counts, added)``; `added` counts the real images added per
    class. The draw for a class is one permutation of its unused pool images
    (seeded by `seed`) read from the start, so a larger factor adds a superset.
    """
    X, y = np.asarray(split.train.X), np.asarray(split.train.y)
    names = [str(c) for c in split.train.class_names]
    pool_names = [str(c) for c in pool.class_names]
    used = {_digest(img) for img in X}
    used |= {_digest(img) for img in np.asarray(split.val.X)}
    for test in split.tests.values():
        used |= {_digest(img) for img in np.asarray(test.X)}
    counts = np.bincount(y, minlength=len(names))
    target = int(round(counts.sum() / len(names)))
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    pool_X, pool_y = np.asarray(pool.X), np.asarray(pool.y)
    parts_X, parts_y, added = [X], [y], np.zeros(len(names), dtype=np.int64)
    for c, name in enumerate(names):
        free = np.flatnonzero(pool_y == pool_names.index(name))
        free = free[[_digest(pool_X[i]) not in used for i in free]]
        order = rng.permutation(free)  # drawn for every class and factor alike
        want = min(factor * int(counts[c]), target) - int(counts[c])
        if want <= 0:
            continue
        if want > len(order):
            raise SystemExit(
                f"Class {name!r} needs {want} unused real images for factor "
                f"{factor}. Got {len(order)} instead."
            )
        parts_X.append(pool_X[order[:want]])
        parts_y.append(np.full(want, c, dtype=y.dtype))
        added[c] = want
    Xo, yo = np.concatenate(parts_X), np.concatenate(parts_y)
    return Xo, yo, np.bincount(yo, minlength=len(names)), added


#: Written into a --work folder this script made; a rerun adds only to those.
WORK_MARKER = ".real_data_value"


def claim_work_folder(work: Path) -> None:
    """Refuse a --work folder this script did not make (it writes .npz files
    and run folders there); mark a new or empty one as its own."""
    work = Path(work)
    if work.exists() and not work.is_dir():
        raise SystemExit(f"--work {work} must be a folder. Got a file instead.")
    if work.is_dir() and any(work.iterdir()) and not (work / WORK_MARKER).is_file():
        raise SystemExit(
            f"--work {work} holds files this script did not write (no "
            f"{WORK_MARKER}); it would write .npz files and run folders there. "
            "Choose a new or empty folder. Got a non-empty folder instead."
        )
    work.mkdir(parents=True, exist_ok=True)
    (work / WORK_MARKER).touch()


def _run_one(task: dict) -> dict:
    """One ros run of `pixsmote bench` on one factor's training set (one torch
    thread: the bench's ``threads=1``)."""
    from pixsmote.app import BenchConfig, run_bench

    config = BenchConfig(
        train=task["train"], val=task["val"], test=task["tests"], recipes=["ros"],
        model=task["model"], aug="basic", steps=task["steps"], seeds=[task["seed"]],
        out=task["out"], threads=1, keep="last", progress=False,
        title=f"real top-ups x{task['factor']}",
    )  # fmt: skip
    t0 = time.perf_counter()
    run_bench(config)
    (results,) = Path(task["out"]).glob("*/seed-*/results.json")
    doc = json.loads(results.read_text())
    return {
        "factor": task["factor"], "seed": task["seed"],
        "val_acsa": doc["val"]["acsa"],
        "test_acsa": {k: v["acsa"] for k, v in doc["test"].items()},
        "per_class_recall": doc["test"]["test"]["per_class_recall"],
        "time_s": time.perf_counter() - t0,
    }  # fmt: skip


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--factors", default="1,2,4",
                   help="top-up factors; 1 (the split itself) is the anchor")
    p.add_argument("--seeds", default="0", help="split and run seeds (as the study)")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--jobs", type=int, default=1, help="runs side by side")
    p.add_argument("--quick", action="store_true",
                   help="digits-seed-3, 60 steps (smoke run)")
    p.add_argument("--work", type=Path, default=None,
                   help="folder for the bench runs (default: temporary)")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)  # fmt: skip
    command = "OMP_NUM_THREADS=1 python benchmarks/real_data_value.py " + (
        shlex.join(sys.argv[1:] if argv is None else argv)
    )
    factors = [int(f) for f in args.factors.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    if 1 not in factors:
        raise SystemExit(
            f"--factors must hold 1, the anchor the gains are read against. "
            f"Got {args.factors!r} instead."
        )

    from pixsmote.data import load_digits, load_fashion_mnist, load_split

    split_name = "digits-seed-3" if args.quick else "fmnist-deepsmote"
    steps = 60 if args.quick else args.steps
    model = "small-cnn"
    pool = load_digits() if args.quick else load_fashion_mnist("train")
    started = time.perf_counter()
    if args.work is not None:
        claim_work_folder(args.work)
    with tempfile.TemporaryDirectory(prefix="pixsmote-real-") as tmp:
        work = args.work or Path(tmp)
        tasks, sets = [], {}
        for seed in seeds:
            split = load_split(split_name, seed=seed)
            names = np.array([str(c) for c in split.train.class_names])
            data = work / f"seed-{seed}"
            data.mkdir(parents=True, exist_ok=True)
            np.savez(data / "val.npz", X=split.val.X, y=split.val.y, class_names=names)
            tests = []
            for name, test in split.tests.items():
                np.savez(data / f"{name}.npz", X=test.X, y=test.y, class_names=names)
                tests.append(str(data / f"{name}.npz"))
            for factor in factors:
                X, y, counts, added = top_up(split, pool, factor, seed)
                train = data / f"train-x{factor}.npz"
                np.savez(train, X=X, y=y, class_names=names)
                sets[(factor, seed)] = {"counts": counts.tolist(),
                                        "added": added.tolist()}  # fmt: skip
                tasks.append({"factor": factor, "seed": seed, "train": str(train),
                              "val": str(data / "val.npz"), "tests": tests,
                              "model": model, "steps": steps,
                              "out": str(data / f"runs-x{factor}")})  # fmt: skip
        if args.jobs > 1:
            with ProcessPoolExecutor(args.jobs) as ex:
                runs = list(ex.map(_run_one, tasks))
        else:
            runs = [_run_one(t) for t in tasks]
    for run in runs:
        run.update(sets[(run["factor"], run["seed"])])
        print(f"x{run['factor']} seed {run['seed']}: test ACSA "
              f"{100 * run['test_acsa']['test']:.2f}", flush=True)  # fmt: skip

    anchor = {r["seed"]: r["test_acsa"]["test"] for r in runs if r["factor"] == 1}
    rows = []
    for factor in factors:
        mine = [r for r in runs if r["factor"] == factor]
        test = [100 * r["test_acsa"]["test"] for r in mine]
        diff = [100 * (r["test_acsa"]["test"] - anchor[r["seed"]]) for r in mine]
        counts = mine[0]["counts"]
        rows.append([f"x{factor}", "/".join(str(c) for c in counts),
                     str(sum(mine[0]["added"])),
                     fmt_mean_std([100 * r["val_acsa"] for r in mine]),
                     fmt_mean_std(test),
                     f"{np.mean(diff):+.2f} ({', '.join(f'{d:+.2f}' for d in diff)})"])
    table = markdown_table(
        ["top-up", f"train counts (seed {seeds[0]})", "real images added",
         "val ACSA %", "test ACSA %", "test minus x1, same seed (per seed)"],
        rows,
    )  # fmt: skip
    print(f"{split_name}, ros, {model}, {steps} steps, keep last, seeds {seeds}")
    print(table)
    result = {
        "benchmark": "real_data_value",
        "split": split_name,
        "recipe": "ros",
        "model": model,
        "steps": steps,
        "keep": "last",
        "seeds": seeds,
        "factors": factors,
        "quick": args.quick,
        "command": command.strip(),
        "runs": runs,
        "table": table,
    }
    return finish(args.out or OUT, result, started)


if __name__ == "__main__":
    main()
