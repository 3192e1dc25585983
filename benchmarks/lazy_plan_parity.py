"""Does a lazy folder source give the same plan as the same images in memory?

``ResampledDataset`` computes the neighbour features of a lazy source (a
folder decoded on demand) in chunks; an in-memory array gets them from the
sampler. Both now go through one implementation
(``pixsmote.sampling.compute_features`` over an array or a row reader), so
the plans must be identical. This script writes a folder of synthetic PNG
images, builds both datasets with the same sampler and seed, and counts the
planned neighbours (and bases, gaps) that differ, per neighbour space.

Run (one thread, so timings are comparable on a shared machine)::

    OMP_NUM_THREADS=1 python benchmarks/lazy_plan_parity.py
    OMP_NUM_THREADS=1 python benchmarks/lazy_plan_parity.py --counts 300,60,60 --size 16

Writes ``benchmarks/results/lazy_plan_parity.json`` (or ``--out``) and prints
a table.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from pixsmote import SMOTE
from pixsmote.data import read_folder
from pixsmote.torch import ResampledDataset

OUT = Path(__file__).resolve().parent / "results" / "lazy_plan_parity.json"


def write_folder(root: Path, counts, size: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    common = rng.uniform(0.2, 0.8, size=(size, size, 3))
    for c, n in enumerate(counts):
        (root / f"c{c}").mkdir()
        proto = common + rng.normal(0, 0.05, size=common.shape)
        for i in range(n):
            img = np.clip(proto + rng.normal(0, 0.2, size=common.shape), 0, 1)
            Image.fromarray(np.rint(img * 255).astype(np.uint8)).save(
                root / f"c{c}" / f"{i:05d}.png"
            )


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counts", default="2400,350,350", help="images per class")
    ap.add_argument("--size", type=int, default=64, help="image side (RGB)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    counts = [int(c) for c in args.counts.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_folder(root, counts, args.size, args.seed)
        lazy = read_folder(root)
        X = lazy.read(np.arange(len(lazy)))
        for space in ("pixel", "pca"):
            sampler = SMOTE(neighbor_space=space)
            t0 = time.perf_counter()
            a = ResampledDataset(lazy, sampler=sampler, seed=args.seed)
            t_lazy = time.perf_counter() - t0
            t0 = time.perf_counter()
            b = ResampledDataset(X, lazy.y, sampler=sampler, seed=args.seed)
            t_mem = time.perf_counter() - t0
            pa, pb = a.plan, b.plan
            rows.append(
                {
                    "neighbor_space": space,
                    "planned": len(pb),
                    "neighbor_differ": int((pa.neighbor != pb.neighbor).sum()),
                    "base_differ": int((pa.base != pb.base).sum()),
                    "gap_differ": int((pa.gap != pb.gap).sum()),
                    "lazy_s": round(t_lazy, 2),
                    "in_memory_s": round(t_mem, 2),
                }
            )
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "images": {"counts": counts, "shape": [args.size, args.size, 3]},
                "seed": args.seed,
                "machine": platform.platform(),
                "rows": rows,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
