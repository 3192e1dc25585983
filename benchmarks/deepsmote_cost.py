"""What DeepSMOTE costs and gives: training/decoding time and image quality.

Fits :class:`pixsmote.DeepSMOTE` (default networks and epochs unless given) on
the training part of the ``fmnist-deepsmote`` split (8,100 images, DeepSMOTE's
4000..40 counts less the validation hold-out; what the study's recipes fit
on), balances it and reports the time of each part, the per-epoch losses and
three quality figures: the reconstruction RMSE (grey levels) of the split's
validation images (never trained on; no test image is touched, so these
figures may choose the networks' settings), the share of synthetic images
whose nearest real training image (pixels) is of their own class, and the
mean absolute difference of a synthetic image from its base image.

Run (the budget is "under 3 minutes on 2 CPU cores")::

    OMP_NUM_THREADS=1 python benchmarks/deepsmote_cost.py --threads 1
    OMP_NUM_THREADS=1 python benchmarks/deepsmote_cost.py --penalty-mode released \
        --out benchmarks/results/deepsmote_cost_released.json
    OMP_NUM_THREADS=1 python benchmarks/deepsmote_cost.py --penalty-mode released \
        --decoding residual --out benchmarks/results/deepsmote_cost_residual.json

Writes ``benchmarks/results/deepsmote_cost.json`` (or ``--out``) and prints a
table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from _common import machine_info, versions
from pixsmote.report import markdown_table

HERE = Path(__file__).resolve().parent

OUT = HERE / "results" / "deepsmote_cost.json"


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--width", type=int, default=None)
    p.add_argument("--latent-dim", type=int, default=None)
    p.add_argument("--penalty-mode", choices=["paper", "released"], default=None)
    p.add_argument("--decoding", choices=["direct", "residual"], default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument(
        "--tiny",
        action="store_true",
        help="smoke run: scikit-learn's digits (digits-seed-3), tiny networks, "
        "1 epoch",
    )
    args = p.parse_args(argv)
    if args.tiny:
        args.epochs, args.width, args.latent_dim = 1, 4, 8

    import os

    import torch

    from pixsmote.data import load_split
    from pixsmote.torch import DeepSMOTE

    torch.set_num_threads(args.threads)
    split_name = "digits-seed-3" if args.tiny else "fmnist-deepsmote"
    split = load_split(split_name, seed=args.seed)
    X, y = np.asarray(split.train.X), np.asarray(split.train.y)
    params = {
        k: v
        for k, v in {
            "epochs": args.epochs,
            "width": args.width,
            "latent_dim": args.latent_dim,
            "penalty_mode": args.penalty_mode,
            "decoding": args.decoding,
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
    X_syn = sampler.synthesize(X, plan)
    t_synth = time.perf_counter() - t0
    load_after = os.getloadavg()[0]
    quality = measure_quality(sampler, X, y, X_syn, plan, split)
    rows = [
        ["train (all epochs)", f"{t_train:.1f}"],
        ["encode + latent kNN + plan", f"{t_fit - t_train:.1f}"],
        [f"decode {len(plan)} synthetic images", f"{t_synth:.1f}"],
        ["total", f"{t_fit + t_synth:.1f}"],
    ]
    rows += [
        ["validation reconstruction RMSE (grey levels)",
         f"{quality['val_rmse']:.1f}"],
        ["synthetic: nearest real image of its class",
         f"{100 * quality['nearest_same_class']:.1f} %"],
        ["synthetic: mean |image - base image| (grey levels)",
         f"{quality['mean_abs_from_base']:.1f}"],
    ]  # fmt: skip
    table = markdown_table(["part", "time (s) / value"], rows)
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
        "quality": quality,
        "history": sampler.history_,
        "table": table,
        "machine": machine_info(),
        "versions": versions("torch"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"wrote {args.out}")
    return result


def measure_quality(sampler, X, y, X_syn, plan, split) -> dict:
    """Validation reconstruction RMSE and the synthetic images' nearest-real
    class."""
    from sklearn.neighbors import NearestNeighbors

    X_val = np.asarray(split.val.X)
    rec = sampler.decode(sampler.encode(X_val), X_val.dtype, X_val.shape[1:])
    rmse = float(np.sqrt(np.mean((rec.astype(np.float64) - X_val) ** 2)))
    flat = X.reshape(len(X), -1).astype(np.float32)
    nn = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(flat)
    syn = X_syn.reshape(len(X_syn), -1).astype(np.float32)
    nearest = y[nn.kneighbors(syn, return_distance=False)[:, 0]]
    same = nearest == plan.cls
    per_class = {
        int(c): float(same[plan.cls == c].mean()) for c in np.unique(plan.cls)
    }
    # How far a synthetic image is from the real image it was drawn from:
    # direct decodings carry the decoder's blur, residual ones only the
    # latent interpolation's change.
    from_base = np.abs(X_syn.astype(np.float64) - X[plan.base]).mean()
    return {
        "val_rmse": rmse,
        "mean_abs_from_base": float(from_base),
        "nearest_same_class": float(same.mean()),
        "nearest_same_class_per_class": per_class,
    }


if __name__ == "__main__":
    main()
