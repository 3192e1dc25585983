"""Recall of the approximate neighbour search on real images, against exact search.

``benchmarks/neighbours_scaling.py`` measures recall on its own low-rank images,
which are kinder to a PCA + HNSW index than photographs. This script measures it
where users meet it: Fashion-MNIST (the 60,000 train images searched as one
set, as Borderline-SMOTE, SVM-SMOTE and ADASYN search all classes; and each
class of 6,000 searched alone, as SMOTE does) and scikit-learn's digits.

Method
------
For each set ``F`` (uint8 images, flattened), ``BlockKNN(k + 1,
neighbors="approx")`` answers the self-search every sampler makes
(``kneighbors(F)`` with the fitted array itself); ``--queries`` rows drawn with
seed 0 are checked against exact search (``neighbors="exact"``) of the same
rows among all of ``F``. The query itself is removed from both lists by index.
Two recalls:

``recall@k``       the share of the exact k neighbours' indices that the
                   approximate k contain (what ``neighbours_scaling.py``
                   reports);
``dist-recall@k``  the share of the approximate k whose distance is at most the
                   exact k-th distance, which does not count a tie at equal
                   distance (duplicate images) as a miss.

The approximate search's wall time is that of the whole self-search
(``time.perf_counter``), on this process's threads (set ``OMP_NUM_THREADS``).

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/neighbours_recall.py
    .venv/bin/python benchmarks/neighbours_recall.py --quick   # digits only

Needs Debian's ``dataset-fashion-mnist`` except with ``--quick``
(``apt-get install -y dataset-fashion-mnist``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402
from pixsmote.report import markdown_table  # noqa: E402
from pixsmote.sampling import BlockKNN  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT_JSON = ROOT / "benchmarks" / "results" / "neighbours_recall.json"
K = 5


def measure(F: np.ndarray, queries: int, k: int = K) -> dict:
    """recall@k and dist-recall@k of the approximate self-search of ``F``."""
    n = F.shape[0]
    q = np.sort(np.random.RandomState(0).choice(n, min(queries, n), replace=False))
    t0 = time.perf_counter()
    est = BlockKNN(k + 1, neighbors="approx").fit(F)
    # ``F`` itself as the query: the self-search path the samplers take.
    approx = est.kneighbors(F, return_distance=False)
    approx_s = time.perf_counter() - t0
    exact_est = BlockKNN(k + 2, neighbors="exact").fit(F)
    d_ex, i_ex = exact_est.kneighbors(F[q])
    hits = dist_hits = 0
    for row, query in enumerate(q):
        keep = i_ex[row] != query
        ex_i, ex_d = i_ex[row][keep][:k], d_ex[row][keep][:k]
        ap_i = approx[query][approx[query] != query][:k]
        hits += np.isin(ex_i, ap_i).sum()
        ap_d = np.sqrt(((F[ap_i].astype(np.float64) - F[query]) ** 2).sum(axis=1))
        # A float32-rounding margin: distances of uint8 images are exact
        # square roots of integers, so 1e-6 relative separates real misses.
        dist_hits += (ap_d <= ex_d[-1] * (1 + 1e-6)).sum()
    total = len(q) * k
    return {
        "n": int(n),
        "d": int(F.shape[1]),
        "queries": int(len(q)),
        f"recall_at_{k}": float(hits / total),
        f"dist_recall_at_{k}": float(dist_hits / total),
        "approx_s": approx_s,
    }


def sets(quick: bool):
    """(name, images) pairs to measure, largest first."""
    from pixsmote.data import load_digits, load_fashion_mnist

    out = []
    if not quick:
        train = load_fashion_mnist("train")
        X = train.X.reshape(len(train.X), -1)
        out.append(("fashion-mnist train, all classes", X))
        for c in (0, 6):  # T-shirt/top and Shirt, the confusable pair
            name = f"fashion-mnist train, class {train.class_names[c]}"
            out.append((name, X[train.y == c]))
    digits = load_digits()
    out.append(("digits, all classes", digits.X.reshape(len(digits.X), -1)))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="digits only (smoke test)")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--out-json", type=Path, default=OUT_JSON)
    args = ap.parse_args(argv)

    rows, results = [], {}
    for name, F in sets(args.quick):
        r = measure(np.ascontiguousarray(F), args.queries)
        results[name] = r
        rows.append([name, f"{r['n']:,}", f"{r[f'recall_at_{K}']:.4f}",
                     f"{r[f'dist_recall_at_{K}']:.4f}", f"{r['approx_s']:.2f}"])
        print(f"{name}: recall@{K} {r[f'recall_at_{K}']:.4f}", file=sys.stderr)
    print(markdown_table(
        ["set", "N", f"recall@{K}", f"dist-recall@{K}", "approx search s"], rows))
    doc = {
        "benchmark": "neighbours_recall",
        "command": "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/neighbours_recall.py"
        + (" --quick" if args.quick else ""),
        "quick": args.quick,
        "k": K,
        "machine": _common.machine_info(),
        "versions": _common.versions("faiss"),
        "results": results,
    }
    _common.write_json(args.out_json, doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
