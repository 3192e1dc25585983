"""Where do synthetic images land? Nearest real neighbour of every synthetic image.

The study (docs/benchmarks.md) found SMOTE no better than random over-sampling
on fmnist-deepsmote, losing mostly on the confusable Shirt class. One candidate
reason is interpolation artefacts: a sample halfway between two shirts can look
more like a T-shirt or a pullover than like either parent. This script measures
that directly, without training anything.

For every sampler and seed it balances the fmnist-deepsmote training split (as
the bench does) and asks, for each synthetic image, which class its nearest
*real* training image belongs to (Euclidean distance on pixels), **leaving out
its two parents** (the images it was interpolated between: the nearest real
image is otherwise almost always a parent, which says nothing). The share of
synthetic images whose nearest such image is of **another** class is compared
with the same share for the real images of that class (leave-one-out: nearest
*other* real image), the overlap the data has anyway. A sampler whose share is
well above the real images' puts its samples in other classes' territory.
imbalanced-learn's SMOTE on flattened ``uint8`` pixels (as users call it, with
wrapped-around pixels) is included for contrast: it draws exactly pixsmote's
SMOTE plan (same random sequence), so the same parents are left out.

Run::

    python benchmarks/synthetic_overlap.py                  # seeds 0,1,2
    python benchmarks/synthetic_overlap.py --seeds 0 --samplers smote,svm-smote

Writes ``benchmarks/results/synthetic_overlap.json`` and prints a table; the
study report (``make_study_report.py``) renders the JSON.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from _common import machine_info, versions
from pixsmote._runfolder import write_json
from pixsmote.report import markdown_table

HERE = Path(__file__).resolve().parent

OUT = HERE / "results" / "synthetic_overlap.json"
#: The row label of the real images' own (leave-one-out) overlap.
REAL = "real (leave-one-out)"
#: sampler label -> (registered sampler, its parameters); "imblearn-naive" is
#: imbalanced-learn's SMOTE on uint8 pixels.
SAMPLERS = {
    "smote": ("smote", {}),
    "smote:neighbor_space=pca": ("smote", {"neighbor_space": "pca"}),
    "borderline1": ("borderline1", {}),
    "borderline2": ("borderline2", {}),
    "svm-smote": ("svm-smote", {}),
    "adasyn": ("adasyn", {}),
    "imblearn-naive": (None, {}),
    # With the synthetic share the study's best rows use: every class, the
    # largest too, gets synthetic images.
    "smote:synthetic_share=0.5": ("smote", {"synthetic_share": 0.5}),
    "svm-smote:synthetic_share=0.5": ("svm-smote", {"synthetic_share": 0.5}),
}


def nearest_labels(queries, reference, ref_labels, exclude):
    """Label of each query's nearest reference row not in its `exclude` row.

    `exclude` is an int array ``(n_queries, m)`` of reference indices to skip
    (the query itself, or a synthetic image's two parents).
    """
    from sklearn.neighbors import NearestNeighbors

    m = exclude.shape[1]
    nn = NearestNeighbors(n_neighbors=m + 1, algorithm="brute").fit(reference)
    _, idx = nn.kneighbors(queries)
    keep = ~(idx[:, :, None] == exclude[:, None, :]).any(axis=2)
    first = keep.argmax(axis=1)  # m + 1 candidates, at most m excluded
    return ref_labels[idx[np.arange(len(idx)), first]]


def resample(label: str, X: np.ndarray, y: np.ndarray, seed: int):
    """(synthetic images, their labels, their parents ``(n, 2)``) of `label`."""
    from pixsmote.sampling import get_sampler

    name, params = SAMPLERS[label]
    sampler = get_sampler(name or "smote", random_state=seed, **params)
    Xr, yr = sampler.fit_resample(X, y)
    plan = sampler.plan_
    parents = np.stack([plan.base, plan.neighbor], axis=1)
    # Over-samplers return the input rows first, then (with a share) copies,
    # then the synthetic ones.
    Xs, ys = Xr[len(Xr) - len(plan) :], yr[len(yr) - len(plan) :]
    if name is None:
        from imblearn.over_sampling import SMOTE

        Xr, yr2 = SMOTE(random_state=seed).fit_resample(X.reshape(len(X), -1), y)
        assert np.array_equal(yr2[len(X) :], ys)  # the same plan, row for row
        Xs = Xr[len(X) :].reshape(-1, *X.shape[1:])
    return Xs, ys, parents


def measure(
    labels: list[str], seeds: list[int], fmnist_dir=None, split_name="fmnist-deepsmote"
) -> dict:
    from pixsmote.data import load_split

    rows = []
    for seed in seeds:
        split = load_split(split_name, seed=seed, fashion_mnist_dir=fmnist_dir)
        X, y = split.train.X, split.train.y
        n_classes = len(split.train.class_names)
        flat = X.reshape(len(X), -1).astype(np.float32)
        real_nn = nearest_labels(flat, flat, y, np.arange(len(y))[:, None])
        real = [
            float(np.mean(real_nn[y == c] != c)) if np.any(y == c) else None
            for c in range(n_classes)
        ]
        rows.append({"sampler": REAL, "seed": seed, "other": real})
        for label in labels:
            t0 = time.perf_counter()
            Xs, ys, parents = resample(label, X, y, seed)
            t_res = time.perf_counter() - t0
            queries = Xs.reshape(len(Xs), -1).astype(np.float32)
            got = nearest_labels(queries, flat, y, parents)
            other = [
                float(np.mean(got[ys == c] != c)) if np.any(ys == c) else None
                for c in range(n_classes)
            ]
            # How far each synthetic image moved from its base image: how much
            # new variety a class gets (0 would be a copy).
            moved = np.linalg.norm(queries - flat[parents[:, 0]], axis=1)
            from_base = [
                float(np.mean(moved[ys == c])) if np.any(ys == c) else None
                for c in range(n_classes)
            ]
            rows.append(
                {
                    "sampler": label,
                    "seed": seed,
                    "other": other,
                    "from_base": from_base,
                    "overall": float(np.mean(got != ys)) if len(ys) else None,
                    "n_synthetic": int(len(ys)),
                    "resample_s": round(t_res, 2),
                }
            )
            print(
                f"seed {seed} {label}: {len(ys)} synthetic, "
                f"{100 * rows[-1]['overall']:.1f} % nearest non-parent real image of "
                "another class "
                f"({t_res:.1f} s)",
                flush=True,
            )
    return {
        "benchmark": "synthetic_overlap",
        "split": split_name,
        "class_names": split.train.class_names,
        "train_counts": np.bincount(y, minlength=n_classes).tolist(),
        "metric": "share of images whose nearest real training image (pixel L2), "
        "other than itself (real) or its two parents (synthetic), is of another "
        "class",
        "from_base": "per class, the mean pixel L2 distance (grey levels) of a "
        "synthetic image from its base image",
        "rows": rows,
    }


def class_means(result: dict) -> tuple[list[int], dict[str, tuple[int, list[float]]]]:
    """(over-sampled classes, {images: (n seeds, mean % per such class)})."""
    counts = result["train_counts"]
    cols = [c for c in range(len(counts)) if counts[c] < max(counts)]
    by: dict[str, list] = {}
    for row in result["rows"]:
        by.setdefault(row["sampler"], []).append(row)
    means = {}
    for label, rows in by.items():
        per = []
        for c in cols:
            vals = [r["other"][c] for r in rows if r["other"][c] is not None]
            per.append(100 * float(np.mean(vals)) if vals else float("nan"))
        means[label] = (len(rows), per)
    return cols, means


def table(result: dict) -> str:
    """Markdown: one row per sampler, mean over seeds, % per over-sampled class."""
    names, counts = result["class_names"], result["train_counts"]
    cols, means = class_means(result)
    out = [
        [f"`{label}`", str(n), *[f"{v:.1f}" if v == v else "–" for v in per]]
        for label, (n, per) in means.items()
    ]
    header = ["images", "seeds", *[f"{c} {names[c]} ({counts[c]})" for c in cols]]
    return markdown_table(header, out)


def spread_table(result: dict) -> str:
    """Markdown: one row per sampler, mean over seeds of each class's mean
    distance (pixel L2) of a synthetic image from its base image."""
    names, counts = result["class_names"], result["train_counts"]
    by: dict[str, list] = {}
    for row in result["rows"]:
        if row.get("from_base") is not None:
            by.setdefault(row["sampler"], []).append(row["from_base"])
    out = []
    for label, per_seed in by.items():
        cells = []
        for c in range(len(counts)):
            vals = [v[c] for v in per_seed if v[c] is not None]
            cells.append(f"{np.mean(vals):.0f}" if vals else "–")
        out.append([f"`{label}`", str(len(per_seed)), *cells])
    classes = [f"{c} {names[c]} ({counts[c]})" for c in range(len(counts))]
    header = ["images", "seeds", *classes]
    return markdown_table(header, out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", default="0,1,2", help="split/sampler seeds (0,1,2)")
    p.add_argument(
        "--samplers",
        default=",".join(SAMPLERS),
        help=f"comma-separated, from {list(SAMPLERS)}",
    )
    p.add_argument("--fashion-mnist-dir", help="folder of the IDX files")
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument(
        "--tiny",
        action="store_true",
        help="smoke run: scikit-learn's digits (digits-seed-3), seed 0, no download",
    )
    args = p.parse_args(argv)
    split_name = "digits-seed-3" if args.tiny else "fmnist-deepsmote"
    if args.tiny:
        args.seeds = "0"
    labels = [s for s in args.samplers.split(",") if s]
    unknown = [s for s in labels if s not in SAMPLERS]
    if unknown:
        p.error(f"unknown sampler(s) {unknown}; expected some of {list(SAMPLERS)}")
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    t0 = time.perf_counter()
    result = measure(labels, seeds, args.fashion_mnist_dir, split_name)
    result.update(
        command="python benchmarks/synthetic_overlap.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        date=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        seconds=round(time.perf_counter() - t0, 1),
        machine=machine_info(),
        versions=versions(),
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # Atomic: an interrupted run leaves the previous results whole.
    write_json(args.out, result)
    print("\n" + table(result))
    print("\nDistance of a synthetic image from its base image (pixel L2):\n")
    print(spread_table(result))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
