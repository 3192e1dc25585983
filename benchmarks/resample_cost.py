"""Resampling cost: pixsmote's SMOTE against imbalanced-learn's on uint8 images.

Claim (the target of docs/protocol.md, "Resampling cost"): balancing
300/1920/800 images of 128x128x3 to the majority count, pixsmote's SMOTE in
pixel neighbour space takes <= 0.4x the wall time and <= 0.25x the extra peak
memory of imbalanced-learn used the careful way, with the same plan of
synthetic samples. The numbers behind it are in ``results/resample_cost.json``
and ``results/resample_cost.md``.

Cases
-----
``seed3-224``  30 / 192 / 80 images of 224x224x3 (the seed-3 shape, upscaled).
``x10-128``    300 / 1920 / 800 images of 128x128x3.
``fmnist``     The fmnist-deepsmote split's train part: Fashion-MNIST 28x28,
               [4000, 2000, ..., 40] drawn per class of which 10 % (>= 2) is
               held out for validation (``pixsmote.data.load_split``), i.e.
               3600 ... 36 train images, balanced to 36,000.
The first two are smooth synthetic uint8 images (a low-frequency random field
per class, a per-image low-frequency field and pixel noise), not uniform noise,
so neighbours are meaningful; generation is deterministic from a fixed seed.

Methods (each ``sampling_strategy="auto"``, ``k_neighbors=5``, ``random_state=0``)
----------------------------------------------------------------------------
``pixsmote-pixel``  ``pixsmote.SMOTE`` on the (N, H, W, C) uint8 array.
``pixsmote-pca``    The same with ``neighbor_space="pca"`` (50 components).
``imblearn-careful``  Flatten, cast to float32, ``imblearn.over_sampling.SMOTE``,
                    round, clip and cast back to uint8, reshape: what a user
                    must do to get correct images out of imbalanced-learn.
``imblearn-naive``  Flatten and pass the uint8 array directly. imbalanced-learn
                    subtracts in uint8 (wrap-around) and truncates the result;
                    its pixel error against the careful way is reported.

Method of measurement
---------------------
Every (case, method, repeat) runs in a fresh Python process (``--worker``), so
no allocator state, cache or import of one method changes another's numbers;
repeats are interleaved across methods so drift hits all of them alike. In the
worker: generate (or load) the data, warm up by resampling a 12-image-per-class
subset with the same method (imports, BLAS threads, page faults of code), then
time one full ``fit_resample`` (including the careful way's casts) with
``time.perf_counter``. Memory is the peak RSS during that call minus the RSS
just before it: the kernel's high-water mark is reset at the start of the call
(``/proc/self/clear_refs``) so the data's generation does not count, and a
5 ms RSS sampling thread cross-checks it (``benchmarks/_common.py::PeakRSS``).
The output array is part of the extra memory for every method. CPU time
(``time.process_time``, all threads) is reported beside wall time because the
machine may be shared: under contention wall time swings, CPU time much less.
Reported: mean ± sample std over the repeats, and ratios of the means against
``imblearn-careful`` from the same run. A run past ``--timeout`` is stopped,
reported as "> limit" and not repeated.

Usage::

    .venv/bin/python benchmarks/resample_cost.py                  # all cases
    .venv/bin/python benchmarks/resample_cost.py --cases x10-128 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import _common
from pixsmote.data import load_split
from pixsmote.report import markdown_table, mean_std

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
APT_HINT = "apt-get update && apt-get install -y dataset-fashion-mnist"

CASES = {
    "seed3-224": {"counts": [30, 192, 80], "shape": (224, 224, 3), "seed": 3},
    "x10-128": {"counts": [300, 1920, 800], "shape": (128, 128, 3), "seed": 10},
    "fmnist": {"split": "fmnist-deepsmote"},
}
#: ``--tiny``: a case small enough for the test suite's smoke run (the numbers
#: mean nothing; it checks that every step of the script still runs).
TINY_CASES = {"tiny": {"counts": [12, 30, 16], "shape": (16, 16, 3), "seed": 0}}
METHODS = ["pixsmote-pixel", "pixsmote-pca", "imblearn-careful", "imblearn-naive"]
ANCHOR = "imblearn-careful"
K_NEIGHBORS = 5


# ---------------------------------------------------------------------- data
def _interp_matrix(n: int, grid: int) -> np.ndarray:
    """(n, grid) linear interpolation from a coarse lattice to n pixels."""
    t = np.linspace(0.0, grid - 1.0, n)
    i0 = np.minimum(np.floor(t).astype(int), grid - 2)
    frac = t - i0
    m = np.zeros((n, grid), dtype=np.float32)
    m[np.arange(n), i0] = 1.0 - frac
    m[np.arange(n), i0 + 1] = frac
    return m


def smooth_images(counts, shape, seed, grid=8):
    """Deterministic smooth uint8 images: class field + image field + noise."""
    rng = np.random.default_rng(seed)
    h, w, c = shape
    uh, uw = _interp_matrix(h, grid), _interp_matrix(w, grid)
    y = rng.permutation(np.repeat(np.arange(len(counts)), counts))
    class_fields = rng.normal(128.0, 45.0, size=(len(counts), grid, grid, c))
    X = np.empty((len(y), h, w, c), dtype=np.uint8)
    for s in range(0, len(y), 64):  # chunks keep generation's temporaries small
        yb = y[s : s + 64]
        coarse = class_fields[yb] + rng.normal(0.0, 25.0, (len(yb), grid, grid, c))
        coarse = coarse.astype(np.float32)
        f = np.einsum("hi,nijc->nhjc", uh, coarse)
        f = np.einsum("nhjc,wj->nhwc", f, uw)
        f += rng.normal(0.0, 6.0, f.shape).astype(np.float32)
        X[s : s + 64] = np.clip(np.rint(f), 0, 255)
    return X, y


def fmnist_available() -> bool:
    return (FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").is_file()


def make_data(case: str):
    """(X, y, source) for a case, generated or loaded deterministically."""
    spec = {**CASES, **TINY_CASES}[case]
    if "split" in spec:
        train = load_split(spec["split"], seed=0).train
        source = f"pixsmote.data.load_split({spec['split']!r}, seed=0).train"
        return np.ascontiguousarray(train.X), np.asarray(train.y), source
    X, y = smooth_images(spec["counts"], spec["shape"], spec["seed"])
    return X, y, f"smooth_images(seed={spec['seed']})"


# ------------------------------------------------------------------- methods
def resample(method: str, X, y):
    """Balance (X, y) to the majority count with `method`; uint8 out."""
    if method.startswith("pixsmote"):
        from pixsmote import SMOTE

        space = "pca" if method == "pixsmote-pca" else "pixel"
        sampler = SMOTE(k_neighbors=K_NEIGHBORS, random_state=0, neighbor_space=space)
        return sampler.fit_resample(X, y)
    from imblearn.over_sampling import SMOTE

    sampler = SMOTE(k_neighbors=K_NEIGHBORS, random_state=0)
    if method == "imblearn-careful":
        X_res, y_res = sampler.fit_resample(X.reshape(len(X), -1).astype(np.float32), y)
        X_res = np.clip(np.rint(X_res), 0, 255).astype(np.uint8)
        return X_res.reshape(-1, *X.shape[1:]), y_res
    if method == "imblearn-naive":
        X_res, y_res = sampler.fit_resample(X.reshape(len(X), -1), y)
        return X_res.reshape(-1, *X.shape[1:]), y_res
    raise ValueError(f"method must be one of {METHODS}. Got {method!r} instead.")


def worker(spec: dict) -> None:
    """Measure one (case, method) in this process; emit a JSON result."""
    if spec.get("threads"):
        # Same BLAS/OpenMP pool size for every method. On a shared machine
        # OpenBLAS's spinning threads inflate time 5-10x when other processes hold
        # the cores (measured: dual PCA 3 s on 1 thread vs 26 s on 2 at load 5).
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=spec["threads"])
    X, y, source = make_data(spec["case"])
    method = spec["method"]
    # Warm-up: a small subset through the same code path (> k + 1 per class).
    sub = np.concatenate([np.flatnonzero(y == c)[:12] for c in np.unique(y)])
    resample(method, X[sub], y[sub])
    load_before = os.getloadavg()[0]
    with _common.PeakRSS() as mem:
        t0, c0 = time.perf_counter(), time.process_time()
        X_res, y_res = resample(method, X, y)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert X_res.dtype == np.uint8 and X_res.shape[1:] == X.shape[1:]
    counts = np.bincount(y_res)
    assert (counts == counts.max()).all(), counts
    if spec.get("save"):  # the synthetic rows, for the pixel-error comparison
        np.save(spec["save"], X_res[len(X) :])
    _common.emit_result(
        {
            "case": spec["case"],
            "method": method,
            "time_s": elapsed,
            "cpu_s": cpu,
            "loadavg_1min_before_after": [load_before, os.getloadavg()[0]],
            "rss_baseline_mib": mem.baseline / _common.MIB,
            "peak_extra_mib": mem.extra / _common.MIB,
            "peak_extra_sampled_mib": (mem.sampled_peak - mem.baseline) / _common.MIB,
            "memory_method": mem.method,
            "data_source": source,
            "image_shape": list(X.shape[1:]),
            "class_counts_in": np.bincount(y).tolist(),
            "n_in": int(len(X)),
            "n_out": int(len(X_res)),
            "n_synthetic": int(len(X_res) - len(X)),
            "input_mib": X.nbytes / _common.MIB,
        }
    )


# ------------------------------------------------------------------- parent
def compare(path_a: str, path_b: str, chunk: int = 256) -> dict:
    """Pixel disagreement of two saved uint8 arrays of synthetic images."""
    a = np.load(path_a, mmap_mode="r")
    b = np.load(path_b, mmap_mode="r")
    if a.shape != b.shape:
        return {"error": f"shapes differ: {a.shape} vs {b.shape}"}
    n_diff, abs_sum, max_abs = 0, 0, 0
    for s in range(0, len(a), chunk):
        d = np.abs(a[s : s + chunk].astype(np.int16) - b[s : s + chunk])
        n_diff += int(np.count_nonzero(d))
        abs_sum += int(d.sum(dtype=np.int64))
        max_abs = max(max_abs, int(d.max(initial=0)))
    return {
        "frac_pixels_differing": n_diff / a.size,
        "mean_abs_error": abs_sum / a.size,
        "max_abs_error": max_abs,
        "n_pixels": int(a.size),
    }


def summarize(runs: list[dict]) -> dict:
    runs = [r for r in runs if not r.get("timed_out")]
    if not runs:
        return {"n": 0}
    out = {"n": len(runs)}
    for key in ("time_s", "cpu_s", "peak_extra_mib"):
        out[f"{key}_mean"], out[f"{key}_std"] = mean_std([r[key] for r in runs])[:2]
    return out


def run_case(case, repeats, methods, tmp, timeout, threads=None) -> dict:
    runs = {m: [] for m in methods}
    saved = {}
    for r in range(repeats):
        for m in methods:
            if any(x.get("timed_out") for x in runs[m]):
                continue  # one run past the limit says enough; don't repeat it
            spec = {"case": case, "method": m, "threads": threads}
            if r == 0 and m in ("pixsmote-pixel", ANCHOR, "imblearn-naive"):
                spec["save"] = saved[m] = str(Path(tmp) / f"{case}-{m}.npy")
            args = [__file__, "--worker", json.dumps(spec)]
            try:
                res = _common.run_worker(args, timeout=timeout)
            except subprocess.TimeoutExpired:
                print(f"  {case:9s} {m:16s} run {r + 1}: > {timeout} s, stopped")
                runs[m].append({"timed_out": True, "timeout_s": timeout})
                saved.pop(m, None)
                continue
            print(
                f"  {case:9s} {m:16s} run {r + 1}/{repeats}: {res['time_s']:.3f} s "
                f"(cpu {res['cpu_s']:.2f} s), +{res['peak_extra_mib']:.0f} MiB "
                f"(sampled +{res['peak_extra_sampled_mib']:.0f})",
                flush=True,
            )
            runs[m].append(res)
    first = next(x for m in methods for x in runs[m] if not x.get("timed_out"))
    out = {
        key: first[key]
        for key in (
            "data_source", "image_shape", "class_counts_in", "n_in", "n_out",
            "n_synthetic", "input_mib",
        )
    }  # fmt: skip
    out["methods"] = {m: {**summarize(runs[m]), "runs": runs[m]} for m in methods}
    anchor = out["methods"].get(ANCHOR, {})
    if anchor.get("n"):
        for m in methods:
            s = out["methods"][m]
            if not s["n"]:
                continue
            for key, name in (
                ("time_s", "time_ratio_vs_careful"),
                ("cpu_s", "cpu_ratio_vs_careful"),
                ("peak_extra_mib", "extra_mem_ratio_vs_careful"),
            ):
                s[name] = s[f"{key}_mean"] / anchor[f"{key}_mean"]
        for m in ("imblearn-naive", "pixsmote-pixel"):
            if m in saved:
                px = compare(saved[m], saved[ANCHOR])
                out["methods"][m]["pixels_vs_careful"] = px
    for p in saved.values():
        Path(p).unlink(missing_ok=True)
    return out


def table(results: dict) -> str:
    rows = []
    for case, res in results["cases"].items():
        if "skipped" in res:
            rows.append([case, "skipped", res["skipped"], *[""] * 7])
            continue
        for m, s in res["methods"].items():
            if not s["n"]:
                limit = s["runs"][0]["timeout_s"]
                rows.append([case, m, f"> {limit:.0f}", "", "", "", "", "", "0", ""])
                continue
            px = s.get("pixels_vs_careful")
            err = (
                f"{100 * px['frac_pixels_differing']:.3g} % px differ, "
                f"MAE {px['mean_abs_error']:.3g}, max {px['max_abs_error']}"
                if px and "error" not in px
                else ""
            )
            rows.append(
                [
                    case,
                    m,
                    f"{s['time_s_mean']:.2f} ± {s['time_s_std']:.2f}",
                    f"{s['cpu_s_mean']:.2f} ± {s['cpu_s_std']:.2f}",
                    f"{s['peak_extra_mib_mean']:.0f} ± {s['peak_extra_mib_std']:.0f}",
                    f"{s.get('time_ratio_vs_careful', float('nan')):.2f}",
                    f"{s.get('cpu_ratio_vs_careful', float('nan')):.2f}",
                    f"{s.get('extra_mem_ratio_vs_careful', float('nan')):.2f}",
                    str(s["n"]),
                    err,
                ]
            )
    headers = [
        "case", "method", "wall s", "CPU s", "peak extra MiB", "wall × careful",
        "CPU × careful", "extra mem × careful", "n", "synthetic pixels vs careful",
    ]  # fmt: skip
    return markdown_table(headers, rows)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--cases",
        default=",".join(CASES),
        help=f"comma-separated subset of {', '.join(CASES)} (default: all)",
    )
    p.add_argument(
        "--methods",
        default=",".join(METHODS),
        help=f"comma-separated subset of {', '.join(METHODS)} (default: all)",
    )
    p.add_argument("--repeats", type=int, default=3, help="runs per method (3)")
    p.add_argument(
        "--out",
        default="benchmarks/results/resample_cost.json",
        help="results JSON (default: benchmarks/results/resample_cost.json)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="seconds before a run is stopped and reported as '> limit' (600)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="BLAS/OpenMP threads in every worker, the same for all methods "
        "(default: the libraries' own, i.e. all cores)",
    )
    p.add_argument(
        "--tiny", action="store_true", help="smoke run: one tiny case, one repeat"
    )
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(json.loads(args.worker))
        return 0
    if args.tiny:
        args.cases, args.repeats = ",".join(TINY_CASES), 1
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for name, choices in (("case", cases), ("method", methods)):
        known = {**CASES, **TINY_CASES} if name == "case" else METHODS
        bad = [c for c in choices if c not in known]
        if bad:
            p.error(f"unknown {name}(s) {bad}; choose from {list(known)}")
    if args.repeats < 1:
        p.error(f"--repeats must be >= 1. Got {args.repeats} instead.")

    results = {
        "benchmark": "resample_cost",
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": _common.machine_info(),
        "versions": _common.versions(),
        "settings": {
            "k_neighbors": K_NEIGHBORS,
            "random_state": 0,
            "sampling_strategy": "auto",
            "repeats": args.repeats,
            "threads": args.threads,
            "anchor": ANCHOR,
            "memory": "peak RSS during fit_resample minus RSS before it (VmHWM reset)",
        },
        "cases": {},
    }
    with tempfile.TemporaryDirectory(prefix="resample_cost-") as tmp:
        for case in cases:
            if "split" in CASES.get(case, {}) and not fmnist_available():
                msg = f"Fashion-MNIST missing; install with `{APT_HINT}`"
                print(f"skipping {case}: {msg}", file=sys.stderr)
                results["cases"][case] = {"skipped": msg}
                continue
            print(f"{case}:", flush=True)
            results["cases"][case] = run_case(
                case, args.repeats, methods, tmp, args.timeout, args.threads
            )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print()
    print(table(results))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
