"""Training throughput of the harness (:func:`pixsmote.train.fit`) against a bare
PyTorch loop over the same model and tensors, in the same run.

Claim: the harness's data pipeline, augmentation and per-epoch validation
metrics cost at most 15 % over the bare loop on CPU.

The bare loop is the least a training step can do: slice a batch from a uint8
tensor by a random permutation, convert it to float, forward, cross-entropy,
backward, SGD step. The harness runs ``fit`` for the same number of steps
(default: one epoch of the 20k training images), including its model and
tensor setup, the LR schedule, train loss/accuracy bookkeeping, a validation
pass with all metrics on 2k images at the end of the epoch and the best-state
copy; with ``aug="none"`` and ``aug="basic"``. Each measurement is preceded by a
warm-up, and the three variants are interleaved in every repeat so that drift
in machine load hits them alike. Throughput is training images per second;
overhead is ``bare / harness - 1``.

Usage::

    .venv/bin/python benchmarks/train_throughput.py            # full run
    .venv/bin/python benchmarks/train_throughput.py --quick    # smoke test

Writes ``benchmarks/results/train_throughput.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from pixsmote._runfolder import versions
from pixsmote.train import fit, get_model

RESULTS = Path(__file__).parent / "results" / "train_throughput.json"


def make_data(n_train: int, n_val: int, size: int, n_classes: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, (n_train + n_val, size, size), dtype=np.uint8)
    y = rng.integers(0, n_classes, n_train + n_val).astype(np.int64)
    return (X[:n_train], y[:n_train]), (X[n_train:], y[n_train:])


def bare_loop(model_name, train, n_classes, steps, batch_size, lr, warmup):
    """Images per second of the minimal loop (timed after ``warmup`` steps)."""
    X_np, y_np = train
    torch.manual_seed(0)
    net = get_model(model_name, 1, n_classes, X_np.shape[1])
    opt = torch.optim.SGD(
        net.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4
    )
    X = torch.from_numpy(X_np[:, None])
    y = torch.from_numpy(y_np)
    gen = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(y), generator=gen)
    n_batches = len(y) // batch_size
    net.train()
    t0 = 0.0
    for step in range(warmup + steps):
        if step == warmup:
            t0 = time.perf_counter()
        i = step % n_batches
        idx = perm[i * batch_size : (i + 1) * batch_size]
        loss = F.cross_entropy(net(X[idx].float().div_(255.0)), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return steps * batch_size / (time.perf_counter() - t0)


def harness(model_name, aug, train, val, n_classes, steps, batch_size, lr):
    """Images per second of ``fit`` over ``steps`` steps (whole call timed)."""
    t0 = time.perf_counter()
    fit(
        train,
        val,
        n_classes=n_classes,
        model=model_name,
        aug=aug,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        progress=False,
        device="cpu",
    )
    return steps * batch_size / (time.perf_counter() - t0)


def machine() -> dict:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "loadavg": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--models", nargs="+", default=["small-cnn", "resnet20"])
    parser.add_argument("--augs", nargs="+", default=["none", "basic"])
    parser.add_argument("--n-train", type=int, default=20_000)
    parser.add_argument("--n-val", type=int, default=2_000)
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--n-classes", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--steps", type=int, default=None, help="timed steps (default: one epoch)"
    )
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch intra-op threads (default: leave torch's default)",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 1 repeat")
    parser.add_argument(
        "--tiny", action="store_true", help="smoke run: toy sizes, seconds"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.n_train, args.n_val, args.repeats, args.warmup = 2_560, 256, 1, 2
    if args.tiny:
        args.n_train, args.n_val, args.size, args.repeats = 128, 32, 12, 1
        args.warmup, args.batch_size, args.steps = 1, 32, 4
        args.models, args.augs = ["small-cnn"], ["none"]
    if args.threads:
        torch.set_num_threads(args.threads)
    steps = args.steps or args.n_train // args.batch_size
    lr = 0.05
    train, val = make_data(args.n_train, args.n_val, args.size, args.n_classes)

    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    config["steps"] = steps
    start = machine()
    print(
        f"{steps} steps x batch {args.batch_size}, {args.n_train} train / "
        f"{args.n_val} val images {args.size}x{args.size}, {args.repeats} repeats, "
        f"{torch.get_num_threads()} threads, load {start['loadavg']}"
    )
    results = {}
    for model_name in args.models:
        # Warm-up of the harness path (kornia kernels, allocator): a short fit.
        for aug in args.augs:
            harness(
                model_name,
                aug,
                train,
                val,
                args.n_classes,
                args.warmup,
                args.batch_size,
                lr,
            )
        runs: dict[str, list[float]] = {"bare": []} | {
            f"fit/{a}": [] for a in args.augs
        }
        for rep in range(args.repeats):
            runs["bare"].append(
                bare_loop(
                    model_name,
                    train,
                    args.n_classes,
                    steps,
                    args.batch_size,
                    lr,
                    args.warmup,
                )
            )
            for aug in args.augs:
                runs[f"fit/{aug}"].append(
                    harness(
                        model_name,
                        aug,
                        train,
                        val,
                        args.n_classes,
                        steps,
                        args.batch_size,
                        lr,
                    )
                )
            last = ", ".join(f"{k} {v[-1]:.0f}" for k, v in runs.items())
            print(f"  {model_name} repeat {rep + 1}: {last} images/s", flush=True)
        bare_mean = statistics.mean(runs["bare"])
        for variant, ips in runs.items():
            mean = statistics.mean(ips)
            std = statistics.stdev(ips) if len(ips) > 1 else 0.0
            results[f"{model_name}/{variant}"] = {
                "model": model_name,
                "variant": variant,
                "images_per_s": ips,
                "mean": mean,
                "std": std,
                "n": len(ips),
                "overhead_pct": 100.0 * (bare_mean / mean - 1.0),
            }

    print(
        f"\n{'model':<10} {'variant':<10} {'images/s (mean ± std, n)':>28} "
        f"{'overhead':>9}"
    )
    for r in results.values():
        cell = f"{r['mean']:8.1f} ± {r['std']:6.1f} (n={r['n']})"
        over = "—" if r["variant"] == "bare" else f"{r['overhead_pct']:+.1f} %"
        print(f"{r['model']:<10} {r['variant']:<10} {cell:>28} {over:>9}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "train_throughput",
        "claim": "fit() costs <= 15 % over a bare loop on CPU",
        "config": config,
        "machine": start | {"loadavg_end": machine()["loadavg"]},
        "versions": versions(),
        "results": results,
    }
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
