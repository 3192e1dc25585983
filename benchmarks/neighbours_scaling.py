"""Neighbour search scaling: SMOTE's time and extra memory against the class size.

One minority class of N low-rank uint8 images and a majority of 2N, balanced
with ``SMOTE(random_state=0)`` (k_neighbors=5). Two image shapes: 28x28
(N = 2k ... 64k) and 64x64x3 (N = 1k ... 16k). Images are a per-pixel mean,
plus a rank-16 random combination of fixed patterns, plus pixel noise, rounded
and clipped to uint8 (deterministic from a seed).

Methods
-------
``pixsmote``         ``pixsmote.SMOTE`` with its defaults (``neighbors="auto"``).
``pixsmote-exact``   ``neighbors="exact"``: blocked brute force, bounded memory.
``pixsmote-approx``  ``neighbors="approx"``: faiss HNSW + exact re-ranking.
``imblearn``         Flatten, cast to float32, ``imblearn.over_sampling.SMOTE``,
                     round, clip and cast back to uint8 (the careful way).

Method of measurement
---------------------
Every (shape, N, method) runs in a fresh Python process (``--worker``). In the
worker: generate the data, warm up on a 64-image-per-class subset, then time
one ``fit_resample`` (casts included) with ``time.perf_counter``; extra memory
is the peak RSS during that call minus the RSS before it
(``benchmarks/_common.py::PeakRSS``), the output array included. A point is
skipped, and marked so in the JSON, when the method's previous point
extrapolated with exponent 2 predicts more than ``--max-point-s`` seconds.
recall@5 of the approximate search against exact search is measured in a
separate worker on the minority class at one N per shape. The fitted exponent
is the least-squares slope of log(time) against log(N).

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/neighbours_scaling.py
    .venv/bin/python benchmarks/neighbours_scaling.py --quick   # smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

import _common  # noqa: E402
from pixsmote.report import markdown_table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHAPES = {"28x28": (28, 28), "64x64x3": (64, 64, 3)}
SIZES = {"28x28": [2000, 4000, 8000, 16000, 32000, 64000],
         "64x64x3": [1000, 2000, 4000, 8000, 16000]}
QUICK_SIZES = {"28x28": [200, 400], "64x64x3": [100]}
RECALL_N = {"28x28": 16000, "64x64x3": 4000}
QUICK_RECALL_N = {"28x28": 400, "64x64x3": 100}
METHODS = ["pixsmote", "pixsmote-exact", "pixsmote-approx", "imblearn"]
RANK = 16


# ---------------------------------------------------------------------- data
def lowrank_images(n_min, shape, seed=0):
    """(X, y): n_min minority (label 1) and 2 n_min majority (label 0) images."""
    rng = np.random.default_rng(seed)
    d = int(np.prod(shape))
    n = 3 * n_min
    y = np.zeros(n, dtype=np.int64)
    y[rng.permutation(n)[:n_min]] = 1
    mean = rng.uniform(70, 180, (2, d)).astype(np.float32)
    basis = rng.normal(0, 18, (RANK, d)).astype(np.float32)
    X = np.empty((n, d), dtype=np.uint8)
    for s in range(0, n, 2048):
        m = min(2048, n - s)
        f = mean[y[s : s + m]] + rng.normal(0, 1, (m, RANK)).astype(np.float32) @ basis
        f += rng.normal(0, 10, (m, d)).astype(np.float32)
        X[s : s + m] = np.clip(np.rint(f), 0, 255)
    return X.reshape((n, *shape)), y


def resample(method, X, y):
    from pixsmote import SMOTE

    if method == "imblearn":
        from imblearn.over_sampling import SMOTE as ImbSMOTE

        X2 = X.reshape(len(X), -1).astype(np.float32)
        Xr, yr = ImbSMOTE(random_state=0).fit_resample(X2, y)
        Xr = np.clip(np.rint(Xr), 0, 255).astype(np.uint8).reshape((-1, *X.shape[1:]))
        return Xr, yr
    mode = {"pixsmote": "auto", "pixsmote-exact": "exact"}.get(method, "approx")
    return SMOTE(random_state=0, neighbors=mode).fit_resample(X, y)


def worker(shape_name, n, method, emit=True):
    import gc

    X, y = lowrank_images(n, SHAPES[shape_name])
    sub = np.concatenate([np.flatnonzero(y == 0)[:128], np.flatnonzero(y == 1)[:64]])
    resample(method, X[sub], y[sub])  # warm-up: imports, BLAS, faiss
    gc.collect()
    with _common.PeakRSS() as mem:
        t0, c0 = time.perf_counter(), time.process_time()
        Xr, _ = resample(method, X, y)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    result = {"wall_s": wall, "cpu_s": cpu, "extra_mib": mem.extra / _common.MIB,
              "input_mib": X.nbytes / _common.MIB,
              "output_mib": Xr.nbytes / _common.MIB, "mem_method": mem.method}
    if method == "pixsmote":
        from pixsmote.sampling._knn import BlockKNN, make_neighbors

        F = X[y == 1].reshape(n, -1)
        est = make_neighbors(6, F, "auto", images=True)
        result["auto_mode"] = est.neighbors if isinstance(est, BlockKNN) else "exact"
    if not emit:
        return result
    _common.emit_result(result)


def recall_worker(shape_name, n, emit=True):
    from pixsmote.sampling import BlockKNN

    X, y = lowrank_images(n, SHAPES[shape_name])
    F = X[y == 1].reshape(n, -1)
    t0 = time.perf_counter()
    ex = BlockKNN(6, neighbors="exact").fit(F).kneighbors(F, return_distance=False)
    t1 = time.perf_counter()
    ap = BlockKNN(6, neighbors="approx").fit(F).kneighbors(F, return_distance=False)
    t2 = time.perf_counter()
    hits = (ap[:, 1:, None] == ex[:, None, 1:]).any(axis=2)
    result = {"recall_at_5": float(hits.mean()), "exact_s": t1 - t0,
              "approx_s": t2 - t1, "n": n}
    if not emit:
        return result
    _common.emit_result(result)


# ------------------------------------------------------------------ driver
def fit_exponent(points):
    pts = [(p["n"], p["wall_s"]) for p in points if "wall_s" in p]
    if len(pts) < 2:
        return None
    n, t = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    return float(np.polyfit(n, t, 1)[0])


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    for col, shape_name in enumerate(SHAPES):
        for method in METHODS:
            pts = [p for p in results.get(shape_name, {}).get(method, [])
                   if "wall_s" in p]
            if not pts:
                continue
            n = [p["n"] for p in pts]
            axes[0, col].loglog(n, [p["wall_s"] for p in pts], "o-", label=method)
            axes[1, col].loglog(n, [p["extra_mib"] for p in pts], "o-", label=method)
        axes[0, col].set_title(f"{shape_name}: time of fit_resample")
        axes[0, col].set_ylabel("seconds")
        axes[1, col].set_title(f"{shape_name}: peak extra memory")
        axes[1, col].set_ylabel("MiB")
        for ax in axes[:, col]:
            ax.set_xlabel("minority class size N (majority 2N)")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    ap.add_argument("--max-point-s", type=float, default=120.0)
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--out-json", type=Path)
    ap.add_argument("--out-plot", type=Path)
    ap.add_argument("--shapes", default=",".join(SHAPES),
                    help="comma-separated shapes to measure (default: all); "
                         "the others keep their results from the existing JSON")
    ap.add_argument("--repeats", type=int, default=1,
                    help="processes per point; the fastest one is reported "
                         "(timeit's rule: the least disturbed run), all are kept")
    ap.add_argument("--worker", nargs=3, metavar=("SHAPE", "N", "METHOD"))
    ap.add_argument("--recall-worker", nargs=2, metavar=("SHAPE", "N"))
    args = ap.parse_args(argv)
    if args.worker:
        return worker(args.worker[0], int(args.worker[1]), args.worker[2])
    if args.recall_worker:
        return recall_worker(args.recall_worker[0], int(args.recall_worker[1]))
    tmp = Path(tempfile.mkdtemp()) if args.quick else None
    out_json = args.out_json or (
        tmp / "neighbours_scaling.json" if tmp
        else ROOT / "benchmarks/results/neighbours_scaling.json")
    out_plot = args.out_plot or (
        tmp / "neighbours_scaling.png" if tmp
        else ROOT / "docs/figures/neighbours_scaling.png")
    sizes = QUICK_SIZES if args.quick else SIZES
    recall_n = QUICK_RECALL_N if args.quick else RECALL_N
    script = str(Path(__file__).resolve())
    shapes = [x for x in args.shapes.split(",") if x]
    unknown = sorted(set(shapes) - set(SHAPES))
    if unknown or args.repeats < 1:
        ap.error(f"--shapes takes {', '.join(SHAPES)} and --repeats >= 1. "
                 f"Got --shapes {args.shapes!r} --repeats {args.repeats} instead.")
    old = (json.loads(out_json.read_text())
           if out_json.is_file() else {})
    keep = [x for x in SHAPES if x not in shapes and x in old.get("results", {})]
    results = {x: old["results"][x] for x in keep}
    recall = {x: old["recall_at_5"][x] for x in keep if x in old.get("recall_at_5", {})}
    runs = {x: old.get("shape_runs", {}).get(x, {}) for x in keep}
    t_start = time.perf_counter()
    for shape_name in shapes:
        runs[shape_name] = {
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "loadavg_at_start": os.getloadavg(), "repeats": args.repeats}
        results[shape_name] = {m: [] for m in METHODS}
        for n in sizes[shape_name]:
            for method in METHODS:
                pts = [p for p in results[shape_name][method] if "wall_s" in p]
                point = {"n": n}
                if pts:
                    predicted = pts[-1]["wall_s"] * (n / pts[-1]["n"]) ** 2
                    if predicted > args.max_point_s:
                        point["skipped"] = (
                            f"predicted {predicted:.0f} s (previous point x "
                            f"(N ratio)^2) > {args.max_point_s:.0f} s")
                        results[shape_name][method].append(point)
                        print(f"{shape_name} N={n} {method}: skipped", flush=True)
                        continue
                try:
                    tries = []
                    for _ in range(args.repeats):
                        if args.quick:  # smoke test: in this process, for speed
                            tries.append(worker(shape_name, n, method, emit=False))
                        else:
                            tries.append(_common.run_worker(
                                [script, "--worker", shape_name, str(n), method],
                                timeout=args.timeout))
                    point.update(min(tries, key=lambda t: t["wall_s"]))
                    if len(tries) > 1:
                        point["all_wall_s"] = [t["wall_s"] for t in tries]
                except Exception as exc:  # noqa: BLE001 (recorded, not hidden)
                    point["error"] = str(exc)[-500:]
                results[shape_name][method].append(point)
                print(f"{shape_name} N={n} {method}: "
                      + (f"{point['wall_s']:.2f} s, {point['extra_mib']:.0f} MiB"
                         if "wall_s" in point else point.get("error", "?")),
                      flush=True)
        if args.quick:
            recall[shape_name] = recall_worker(
                shape_name, recall_n[shape_name], emit=False)
        else:
            recall[shape_name] = _common.run_worker(
                [script, "--recall-worker", shape_name, str(recall_n[shape_name])],
                timeout=args.timeout)
    results = {x: results[x] for x in SHAPES if x in results}
    exponents = {s: {m: fit_exponent(results[s][m]) for m in METHODS} for s in results}
    targets = _targets(results) if not args.quick else {}
    doc = {
        "benchmark": "neighbours_scaling",
        "description": __doc__.split("\n\n")[1].replace("\n", " "),
        "quick": args.quick,
        "separate_processes": not args.quick,
        "k_neighbors": 5,
        "max_point_s": args.max_point_s,
        "machine": _common.machine_info(),
        "versions": _common.versions("faiss"),
        "note": "OMP_NUM_THREADS as in machine.env; shape_runs gives each shape's "
                "start time, load average (other jobs on the machine) and repeats. "
                "Skipped points are marked 'skipped' with the reason.",
        "shape_runs": runs,
        "results": results,
        "time_exponent": exponents,
        "recall_at_5": recall,
        "targets": targets,
        "total_s": time.perf_counter() - t_start,
    }
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(doc, indent=1))
    plot(results, out_plot)
    _print_table(results, exponents, recall, targets)
    print(f"wrote {out_json} and {out_plot}")


def _targets(results):
    if "28x28" not in results:
        return {}
    r = results["28x28"]

    def at(method, n):
        return next((p for p in r[method] if p["n"] == n and "wall_s" in p), None)

    out = {}
    p16, i16 = at("pixsmote", 16000), at("imblearn", 16000)
    if p16 and i16:
        out["time_ratio_16k_vs_imblearn"] = p16["wall_s"] / i16["wall_s"]
        out["memory_ratio_16k_vs_imblearn"] = p16["extra_mib"] / i16["extra_mib"]
    p32, p64 = at("pixsmote", 32000), at("pixsmote", 64000)
    if p32:
        out["extra_mib_32k"] = p32["extra_mib"]
    if p16 and p64:
        out["time_64k_over_16k"] = p64["wall_s"] / p16["wall_s"]
    return out


def _print_table(results, exponents, recall, targets):
    headers = ["shape", "N", *METHODS]
    rows = []
    for s in results:
        ns = sorted({p["n"] for m in METHODS for p in results[s][m]})
        for n in ns:
            cells = []
            for m in METHODS:
                p = next((p for p in results[s][m] if p["n"] == n), {})
                if "wall_s" in p:
                    mode = f" [{p['auto_mode']}]" if "auto_mode" in p else ""
                    t, mib = p["wall_s"], p["extra_mib"]
                    cells.append(f"{t:.2f} s / {mib:.0f} MiB{mode}")
                else:
                    cells.append("skipped" if "skipped" in p else "error")
            rows.append([s, n, *cells])
        rows.append([s, "exponent", *[
            "-" if exponents[s][m] is None else f"{exponents[s][m]:.2f}"
            for m in METHODS]])
    print(markdown_table(headers, rows))
    for s, r in recall.items():
        print(f"recall@5 {s} N={r['n']}: {r['recall_at_5']:.4f} "
              f"(exact {r['exact_s']:.2f} s, approx {r['approx_s']:.2f} s)")
    for key, val in targets.items():
        print(f"{key}: {val:.3f}")


if __name__ == "__main__":
    main()
