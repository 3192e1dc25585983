"""Throughput of ``pixsmote balance`` on Dask workers against the single-process writer.

Claim: ``balance(..., client=...)`` spreads copying, synthesis, PNG encoding and
writing over a Dask cluster's workers and writes the same bytes as the
single-process pipeline; its throughput grows with the workers up to the
cores the machine has. The numbers are in ``results/distributed_balance.json``.

Case
----
``default``: a generated folder of 2,000 RGB PNGs of 64x64 in 10 class
folders with a long tail (600 down to 30 images, a factor 20), smooth random
content (a 6x6 random field per image, upsampled bicubically). SMOTE
(``k_neighbors=5``, pixel space, seed 0) brings every class to 600: 6,000
images written, 2,000 originals copied and 4,000 synthetic images encoded.

Method of measurement
---------------------
The dataset is read once (``load_dataset``: headers only); each configuration
balances it into a fresh folder, ``--repeats`` times, and the best wall time
counts (the machine is shared: the load average before each run is recorded).
Throughput is images written (originals + synthetic) per second of the
``balance`` call: decoding the over-sampled classes, fitting the plan, writing,
the manifest and the commit. Starting the cluster is timed apart (a
``LocalCluster`` of N processes of one thread each, until every worker has
imported pixsmote). The single-process writer
is ``balance`` without a client (its default writer threads). Every output is
compared file by file with the single-process one (``identical``).

Workers beyond the cores cannot add throughput: with 2 cores, 4 workers
time-share them (and pay for two more interpreters).

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/distributed_balance.py
    .venv/bin/python benchmarks/distributed_balance.py --quick     # smoke run
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import machine_info, versions  # noqa: E402
from pixsmote.report import markdown_table  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def long_tail(n_images: int, n_classes: int, ratio: float) -> list[int]:
    """Class sizes falling geometrically by `ratio` overall, summing to `n_images`."""
    r = (1.0 / ratio) ** (1.0 / max(1, n_classes - 1))
    weights = r ** np.arange(n_classes)
    counts = np.maximum(2, np.floor(weights / weights.sum() * n_images)).astype(int)
    counts[0] += n_images - counts.sum()
    return counts.tolist()


def generate(root: Path, counts, size: int, seed: int = 0) -> None:
    from PIL import Image

    for label, n in enumerate(counts):
        folder = root / f"class{label:02d}"
        folder.mkdir(parents=True)
        rng = np.random.default_rng([seed, label])
        tint = np.array([20 * label, 0, -20 * label])
        for j in range(n):
            field = np.clip(rng.integers(0, 256, (6, 6, 3)) + tint, 0, 255)
            image = Image.fromarray(field.astype(np.uint8)).resize(
                (size, size), Image.Resampling.BICUBIC
            )
            image.save(folder / f"{j:05d}.png", compress_level=1)


def digest(root: Path) -> dict:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def timed(fn, repeats: int, workdir: Path, tag: str):
    """Best wall time of `repeats` calls of ``fn(dst)``; the last output's digest."""
    times, loads = [], []
    for k in range(repeats):
        dst = workdir / f"{tag}-{k}"
        loads.append(round(os.getloadavg()[0], 2))
        start = time.perf_counter()
        result = fn(dst)
        times.append(time.perf_counter() - start)
        files = digest(dst)
        shutil.rmtree(dst)
    return min(times), times, loads, files, result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--images", type=int, default=2000)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--ratio", type=float, default=20.0, help="largest / smallest")
    p.add_argument("--size", type=int, default=64, help="image side (RGB)")
    p.add_argument("--workers", default="1,2,4", help="LocalCluster sizes")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--workdir", default=None, help="default: a temporary folder")
    p.add_argument("--out", default=None, help="results JSON (default: results/)")
    p.add_argument("--quick", action="store_true", help="a tiny smoke run")
    args = p.parse_args(argv)
    if args.quick:
        args.images, args.classes, args.size, args.ratio = 120, 4, 16, 4.0
        args.workers, args.repeats = "2", 1
    workers = [int(w) for w in args.workers.split(",")]

    import distributed

    from pixsmote.app import balance
    from pixsmote.data import load_dataset

    counts = long_tail(args.images, args.classes, args.ratio)
    n_out = max(counts) * len(counts)
    work = Path(tempfile.mkdtemp(prefix="distbal-", dir=args.workdir))
    rows, runs = [], []
    try:
        src = work / "src"
        start = time.perf_counter()
        generate(src, counts, args.size)
        gen_s = time.perf_counter() - start
        dataset = load_dataset(src)

        def single(dst):
            return balance(dataset, dst, "smote", seed=0, k_neighbors=5)

        best, times, loads, reference, _ = timed(single, args.repeats, work, "single")
        runs.append({"config": "single process", "workers": None,
                     "best_s": round(best, 3), "times_s": [round(t, 3) for t in times],
                     "loadavg_1min_before": loads, "identical": True})  # fmt: skip
        for n in workers:
            start = time.perf_counter()
            with distributed.LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True,
                dashboard_address=":0", silence_logs=40,
            ) as cluster, distributed.Client(cluster) as client:  # fmt: skip
                client.wait_for_workers(n)
                # a fresh worker imports pixsmote (seconds) on its first task:
                # part of starting the cluster, not of the steady throughput
                client.run(importlib.import_module, "pixsmote.app")
                startup = time.perf_counter() - start

                def on_dask(dst, client=client):
                    return balance(dataset, dst, "smote", seed=0, k_neighbors=5,
                                   client=client)  # fmt: skip

                best, times, loads, files, _ = timed(
                    on_dask, args.repeats, work, f"dask{n}"
                )
            runs.append({"config": f"dask, {n} worker(s)", "workers": n,
                         "best_s": round(best, 3),
                         "times_s": [round(t, 3) for t in times],
                         "cluster_start_s": round(startup, 2),
                         "loadavg_1min_before": loads,
                         "identical": files == reference})  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)

    base = runs[0]["best_s"]
    for run in runs:
        run["images_per_s"] = round(n_out / run["best_s"], 1)
        run["speedup_vs_single"] = round(base / run["best_s"], 2)
        rows.append([
            run["config"], f"{run['best_s']:.2f}", f"{run['images_per_s']:.0f}",
            f"{run['speedup_vs_single']:.2f}",
            "" if run["workers"] is None else f"{run['cluster_start_s']:.1f}",
            " / ".join(f"{v:.1f}" for v in run["loadavg_1min_before"]),
            "yes" if run["identical"] else "NO",
        ])  # fmt: skip
    cores = os.cpu_count()
    table = markdown_table(
        ["configuration", "best s", "images/s", "vs single", "cluster start s",
         "load avg before", "identical"],
        rows,
    )  # fmt: skip
    print(table)
    print(
        f"\n{n_out} images written per run ({sum(counts)} originals, "
        f"{n_out - sum(counts)} synthetic, {args.size}x{args.size} RGB). "
        f"{cores} cores: the ceiling is the cores, so workers beyond {cores} "
        "time-share them."
    )
    result = {
        "benchmark": "distributed_balance",
        "claim": "the same bytes as the single-process writer; throughput grows "
        "with workers up to the machine's cores",
        "quick": args.quick,
        "counts": counts,
        "image_shape": [args.size, args.size, 3],
        "n_images_in": sum(counts),
        "n_images_written": n_out,
        "method": "smote k_neighbors=5 seed=0 pixel space",
        "generate_s": round(gen_s, 2),
        "repeats": args.repeats,
        "runs": runs,
        "all_identical": all(r["identical"] for r in runs),
        "cores": cores,
        "ceiling": f"{cores} cores: workers beyond {cores} share them",
        "loadavg_after": [round(v, 2) for v in os.getloadavg()],
        "machine": machine_info(),
        "versions": versions("PIL", "distributed", "fsspec"),
    }
    out = Path(args.out) if args.out else RESULTS / "distributed_balance.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results: {out}")
    return 0 if result["all_identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
