"""What DeepSMOTE costs: training, encoding and decoding time on fmnist-deepsmote.

Fits :class:`pixsmote.DeepSMOTE` (default networks and epochs unless given) on
the 9,000 images of the ``fmnist-deepsmote`` split (training and validation
parts together: DeepSMOTE's own 4000..40 counts), balances them (31,000
synthetic images) and reports the time of each part and the per-epoch losses.

Run (the budget is "under 3 minutes on 2 CPU cores")::

    OMP_NUM_THREADS=1 python benchmarks/deepsmote_cost.py --threads 1
    python benchmarks/deepsmote_cost.py --threads 2 --epochs 5

Writes ``benchmarks/results/deepsmote_cost.json`` (or ``--out``) and prints a
table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import machine_info, markdown_table, versions  # noqa: E402

OUT = HERE / "results" / "deepsmote_cost.json"


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--width", type=int, default=None)
    p.add_argument("--latent-dim", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)

    import os

    import torch

    from pixsmote.data import load_split
    from pixsmote.torch import DeepSMOTE

    torch.set_num_threads(args.threads)
    split = load_split("fmnist-deepsmote", seed=args.seed)
    X = np.concatenate([np.asarray(split.train.X), np.asarray(split.val.X)])
    y = np.concatenate([np.asarray(split.train.y), np.asarray(split.val.y)])
    params = {
        k: v
        for k, v in {
            "epochs": args.epochs,
            "width": args.width,
            "latent_dim": args.latent_dim,
        }.items()
        if v is not None
    }
    sampler = DeepSMOTE(random_state=args.seed, **params)
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    _, plan = sampler.fit_plan(X, y)
    t_fit = time.perf_counter() - t0
    t_train = sum(h["time_s"] for h in sampler.history_)
    t0 = time.perf_counter()
    sampler.synthesize(X, plan)
    t_synth = time.perf_counter() - t0
    load_after = os.getloadavg()[0]
    rows = [
        ["train (all epochs)", f"{t_train:.1f}"],
        ["encode + latent kNN + plan", f"{t_fit - t_train:.1f}"],
        [f"decode {len(plan)} synthetic images", f"{t_synth:.1f}"],
        ["total", f"{t_fit + t_synth:.1f}"],
    ]
    table = markdown_table(["part", "time (s)"], rows)
    print(f"DeepSMOTE {sampler.get_params(deep=False)}")
    print(f"{len(X)} images {X.shape[1:]}, {args.threads} torch thread(s), "
          f"load average {load_before:.1f} -> {load_after:.1f}")  # fmt: skip
    print(table)
    result = {
        "params": {k: v for k, v in sampler.get_params(deep=False).items()
                   if k not in ("encoder", "decoder")},  # fmt: skip
        "n_images": len(X),
        "n_synthetic": len(plan),
        "threads": args.threads,
        "load_average": [load_before, load_after],
        "train_s": t_train,
        "fit_plan_s": t_fit,
        "synthesize_s": t_synth,
        "history": sampler.history_,
        "table": table,
        "machine": machine_info(),
        "versions": versions("torch"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    main()
