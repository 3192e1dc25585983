"""Online SMOTE (:class:`pixsmote.torch.ResampledDataset`) against offline
``fit_resample`` + ``TensorDataset``: peak memory and items per second.

Claim: on the fmnist-deepsmote split (8 100 training images resampled by SMOTE
to 36 000), the online dataset adds a few MiB where the offline tensors add
hundreds, its memory stays flat when four times as many synthetic images are
asked for, and it feeds a ``DataLoader`` at least as fast.

Method. Every (case, method, loader) runs in a fresh Python process
(``--worker``), so neither allocator state nor cached arrays leak between them.
In the worker the split is loaded first (``pixsmote.data.load_split``, or the
IDX files directly if ``pixsmote.data`` is missing); then one
:class:`_common.PeakRSS` block covers the setup (offline: ``fit_resample``, the
float32 ``C x H x W`` tensor in [0, 1] that a model consumes, a
``TensorDataset``; online: building the ``ResampledDataset``, i.e. the
neighbour graph) and the iteration of ``1 + epochs`` epochs through
``DataLoader(batch_size=256, shuffle=True, num_workers=W)`` with ``W=0``, ``W=2``
and ``W=2, persistent_workers=True``. The first epoch is a warm-up; items per
second are timed over the next ``epochs`` epochs (online draws a fresh plan
each). Memory is the main process's RSS over its RSS after loading the data:
``held`` after the setup (what stays resident while training), ``peak extra``
the peak over setup and iteration (one ``_common.PeakRSS`` block each). For
``W=2`` the workers' lifetime peak RSS (``RUSAGE_CHILDREN``, which includes the
pages they share with the parent by fork) is reported too. Cases: ``x1``
balances every class to the largest (the usual SMOTE target); ``x4`` asks for
four times that per class.

Usage::

    .venv/bin/python benchmarks/online_resampling.py           # full run
    .venv/bin/python benchmarks/online_resampling.py --quick   # smoke test

Writes ``benchmarks/results/online_resampling.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shlex
import sys
import time
from pathlib import Path

import numpy as np

import _common
from pixsmote.data import load_split
from pixsmote.report import markdown_table, mean_std

RESULTS = Path(__file__).parent / "results" / "online_resampling.json"


def load_train(seed: int, split: str = "fmnist-deepsmote"):
    """The split's training images and labels, and where they came from."""
    train = load_split(split, seed).train
    return train.X, train.y, f"pixsmote.data.load_split({split!r})"


def _items_per_s(loader, n_epochs, before_epoch):
    rates = []
    for epoch in range(1 + n_epochs):
        before_epoch(epoch)
        t0 = time.perf_counter()
        n = 0
        for xb, _ in loader:
            n += len(xb)
        if epoch:  # epoch 0 is the warm-up
            rates.append(n / (time.perf_counter() - t0))
    return rates, n


def worker(spec: dict) -> None:
    # "import torch.utils.data" binds torch too; a bare "import torch" would be
    # sorted as first-party by ruff, which mistakes tests/torch for the package.
    import torch.utils.data

    from pixsmote import SMOTE
    from pixsmote.torch import ResampledDataset

    torch.set_num_threads(1)  # the loader, not intra-op threads, is measured
    X, y, source = load_train(spec["seed"], spec.get("split", "fmnist-deepsmote"))
    counts = np.bincount(y)
    target = {c: int(counts.max()) * spec["factor"] for c in range(len(counts))}
    sampler = SMOTE(k_neighbors=5, sampling_strategy=target, random_state=spec["seed"])
    with _common.PeakRSS() as setup_mem:
        t0 = time.perf_counter()
        if spec["method"] == "offline":
            X_res, y_res = sampler.fit_resample(X, y)
            images = torch.from_numpy(X_res).to(torch.float32).div_(255).unsqueeze(1)
            del X_res
            ds = torch.utils.data.TensorDataset(
                images, torch.from_numpy(y_res.astype(np.int64))
            )

            def before_epoch(epoch):
                pass
        else:
            ds = ResampledDataset(X, y, sampler=sampler, seed=spec["seed"])
            before_epoch = ds.set_epoch
        setup_s = time.perf_counter() - t0
    held = _common.rss_bytes() - setup_mem.baseline
    with _common.PeakRSS() as iter_mem:
        loader = torch.utils.data.DataLoader(
            ds,
            batch_size=spec["batch_size"],
            shuffle=True,
            num_workers=spec["workers"],
            persistent_workers=spec["persistent"],
            generator=torch.Generator().manual_seed(0),
        )
        rates, n_items = _items_per_s(loader, spec["epochs"], before_epoch)
        del loader  # joins persistent workers, so RUSAGE_CHILDREN counts them
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    _common.emit_result(
        {
            **spec,
            "source": source,
            "n_train": len(y),
            "items_per_epoch": n_items,
            "setup_s": setup_s,
            "items_per_s": rates,
            "rss_baseline_mib": setup_mem.baseline / _common.MIB,
            "setup_peak_extra_mib": setup_mem.extra / _common.MIB,
            "held_after_setup_mib": held / _common.MIB,
            "iter_peak_extra_mib": iter_mem.extra / _common.MIB,
            # Peak over the data alone, for the whole setup + training loop.
            "peak_extra_mib": max(setup_mem.extra, held + iter_mem.extra) / _common.MIB,
            "rss_method": setup_mem.method,
            "worker_peak_rss_mib": children / _common.MIB if spec["workers"] else None,
        }
    )


#: (num_workers, persistent_workers) of the DataLoaders measured.
LOADERS = [(0, False), (2, False), (2, True)]


def _loader_name(r):
    if not r["workers"]:
        return "workers=0"
    return f"workers={r['workers']}" + (" persistent" if r["persistent"] else "")


def _key(r):
    return r["factor"], r["workers"], r["persistent"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="1 timed epoch, case x1 only")
    p.add_argument("--epochs", type=int, default=3, help="timed epochs (default 3)")
    p.add_argument("--seed", type=int, default=0, help="split and SMOTE seed (0)")
    p.add_argument("--out", type=Path, default=RESULTS, help=f"(default {RESULTS})")
    p.add_argument(
        "--tiny",
        action="store_true",
        help="smoke run: digits-seed-3, 1 epoch, workers=0 only (no download)",
    )
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(json.loads(args.worker))
        return 0

    epochs = 1 if args.quick or args.tiny else args.epochs
    factors = [1] if args.quick or args.tiny else [1, 4]
    loaders = LOADERS[:1] if args.tiny else LOADERS
    split = "digits-seed-3" if args.tiny else "fmnist-deepsmote"
    results = []
    for factor in factors:
        for workers, persistent in loaders:
            for method in ("offline", "online"):
                spec = {
                    "method": method,
                    "factor": factor,
                    "workers": workers,
                    "persistent": persistent,
                    "epochs": epochs,
                    "batch_size": 256,
                    "seed": args.seed,
                    "split": split,
                }
                print(
                    f"running x{factor} {method} {_loader_name(spec)} ...", flush=True
                )
                results.append(
                    _common.run_worker([__file__, "--worker", json.dumps(spec)])
                )

    rows = []
    for r in results:
        base = next(
            o for o in results if o["method"] == "offline" and _key(o) == _key(r)
        )
        rate = mean_std(r["items_per_s"])[0]
        rows.append(
            [
                f"x{r['factor']}",
                r["method"],
                _loader_name(r),
                r["items_per_epoch"],
                f"{r['setup_s']:.2f}",
                f"{r['held_after_setup_mib']:.1f}",
                f"{r['peak_extra_mib']:.1f}",
                "-"
                if r["worker_peak_rss_mib"] is None
                else f"{r['worker_peak_rss_mib']:.0f}",
                _common.fmt_mean_std(r["items_per_s"], 0),
                f"{rate / mean_std(base['items_per_s'])[0]:.2f}",
            ]
        )
    table = markdown_table(
        [
            "case",
            "method",
            "loader",
            "items/epoch",
            "setup s",
            "held MiB",
            "peak extra MiB",
            "worker peak RSS MiB",
            f"items/s (n={epochs})",
            "speed vs offline",
        ],
        rows,
    )
    print(table)
    import torch.utils.data

    out = {
        "benchmark": "online_resampling",
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "claim": __doc__.split("\n\n")[1].replace("\n", " "),
        "machine": _common.machine_info(),
        "versions": {**_common.versions(), "torch": torch.__version__},
        "config": {"epochs": epochs, "factors": factors, "seed": args.seed},
        "results": results,
        "table_markdown": table,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
