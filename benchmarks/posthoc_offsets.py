"""Can a threshold fix the rare classes? Per-class logit offsets fitted on validation.

A trained network's mistakes on a rare class may be a *threshold* (the class's
logit is too low everywhere: an offset per class fixes it) or a
*representation* (its test images land among another class's features: no
offset helps without costing that class as much). This script takes trained
``small-cnn`` backbones, fits one additive offset per class logit on the
validation split by coordinate search on validation ACSA (each class in turn,
offsets on a grid of ``--grid`` points in ``[-3, 3]``, three sweeps, a change
kept only if it raises validation ACSA), and reports the official-test ACSA
and per-class recall before and after. Nothing is tuned on a test set.

Sources of backbones:

* ``--backbones DIR --recipe LABEL``: every backbone of that recipe in a stage-1
  cache (``pixsmote bench --backbones``; the study keeps one per split under
  ``benchmarks/results/study/<section>/_backbones``). Each is scored on the split
  of its own seed (the study draws split ``s`` for seed ``s``).
* ``--quick``: one backbone trained here for 40 steps on scikit-learn's digits
  (``digits-seed-3``), a smoke run whose numbers mean nothing.

Run::

    OMP_NUM_THREADS=1 python benchmarks/posthoc_offsets.py \\
        --backbones benchmarks/results/study/fmnist-deepsmote-3000/_backbones \\
        --recipe 'online-svm-smote:synthetic_share=0.5,out_step=1.0'
    python benchmarks/posthoc_offsets.py --quick

Writes ``benchmarks/results/posthoc_offsets.json`` (or ``--out``) and prints a
table.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from _common import finish, labels_of
from pixsmote.report import markdown_table

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "posthoc_offsets.json"


def acsa(y: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    """Mean per-class recall over the classes present in `y`."""
    present = [c for c in range(n_classes) if np.any(y == c)]
    return float(np.mean([np.mean(pred[y == c] == c) for c in present]))


def recalls(y: np.ndarray, pred: np.ndarray, n_classes: int) -> list[float | None]:
    return [
        float(np.mean(pred[y == c] == c)) if np.any(y == c) else None
        for c in range(n_classes)
    ]


def fit_offsets(logits: np.ndarray, y: np.ndarray, grid: np.ndarray, sweeps: int = 3):
    """Per-class offsets raising ACSA on (`logits`, `y`), by coordinate search."""
    n_classes = logits.shape[1]
    offsets = np.zeros(n_classes)
    best = acsa(y, logits.argmax(1), n_classes)
    for _ in range(sweeps):
        for c in range(n_classes):
            for value in grid:
                trial = offsets.copy()
                trial[c] = value
                score = acsa(y, (logits + trial).argmax(1), n_classes)
                if score > best + 1e-12:  # strictly better: ties keep the offset
                    best, offsets = score, trial
    return offsets, best


def _logits(net, X) -> np.ndarray:
    import torch

    from pixsmote.train import extract_features

    feats = torch.from_numpy(extract_features(net, X))
    with torch.no_grad():
        return net.eval().fc(feats).numpy()


def _cached(folder: Path, recipe: str):
    """(seed, net) of every backbone of `recipe` under the cache `folder`."""
    from pixsmote.app._bench_stages import load_backbone

    found = []
    for entry in sorted(Path(folder).iterdir()):
        record = entry / "backbone.json"
        if not record.is_file():
            continue
        config = json.loads(record.read_text())["config"]
        if config.get("recipe") != recipe:
            continue
        stage1 = load_backbone(folder, entry.name, "cpu")
        if stage1 is not None:
            found.append((int(config["seed"]), stage1.model))
    return sorted(found, key=lambda pair: pair[0])


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backbones", type=Path, help="a stage-1 cache folder")
    p.add_argument("--recipe", help="the one-stage recipe label whose backbones to use")
    p.add_argument("--split", default="fmnist-deepsmote",
                   help="the protocol split the backbones were trained on")
    p.add_argument("--grid", type=int, default=25, help="offsets tried per class")
    p.add_argument("--quick", action="store_true",
                   help="a 40-step backbone on digits (numbers are meaningless)")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--out", type=Path, default=None,
                   help=f"JSON path (default {OUT.relative_to(HERE.parent)})")
    args = p.parse_args(argv)  # fmt: skip
    if not args.quick and (args.backbones is None or args.recipe is None):
        p.error("give --backbones and --recipe, or --quick")

    import torch

    from pixsmote.data import load_split

    torch.set_num_threads(args.threads)
    grid = np.linspace(-3.0, 3.0, args.grid)
    if args.quick:
        from pixsmote.train import fit

        split_name = "digits-seed-3"
        split = load_split(split_name, seed=0)
        _, conv = labels_of(split)
        res = fit(conv(split.train), conv(split.val), n_classes=3, steps=40,
                  seed=0, device="cpu", progress=False)  # fmt: skip
        nets = [(0, res.model.cpu())]
        recipe = "none (40 steps, digits)"
    else:
        split_name, recipe = args.split, args.recipe
        nets = _cached(args.backbones, recipe)
        if not nets:
            raise SystemExit(
                f"posthoc_offsets: no backbone of recipe {recipe!r} in "
                f"{args.backbones}. Got none instead."
            )

    rows, record = [], []
    for seed, net in nets:
        split = load_split(split_name, seed=seed)
        classes, conv = labels_of(split)
        n_classes = len(classes)
        Xv, yv = conv(split.val)
        Xt, yt = conv(split.tests["test"])
        lv, lt = _logits(net, Xv), _logits(net, Xt)
        offsets, val_after = fit_offsets(lv, yv, grid)
        before, after = lt.argmax(1), (lt + offsets).argmax(1)
        entry = {
            "seed": seed,
            "offsets": offsets.tolist(),
            "val_acsa": [acsa(yv, lv.argmax(1), n_classes), val_after],
            "test_acsa": [acsa(yt, before, n_classes), acsa(yt, after, n_classes)],
            "test_recall": [recalls(yt, before, n_classes),
                            recalls(yt, after, n_classes)],
        }  # fmt: skip
        record.append(entry)
        rows.append([
            seed, *(f"{100 * v:.2f}" for v in entry["val_acsa"]),
            *(f"{100 * v:.2f}" for v in entry["test_acsa"]),
            f"{100 * (entry['test_acsa'][1] - entry['test_acsa'][0]):+.2f}",
        ])  # fmt: skip
    headers = ["seed", "val ACSA", "val, offsets", "test ACSA", "test, offsets",
               "test change"]  # fmt: skip
    table = markdown_table(headers, rows)
    print(f"{recipe} on {split_name}: per-class offsets fitted on validation")
    print(table)
    result = {
        "recipe": recipe,
        "split": split_name,
        "grid": grid.tolist(),
        "quick": args.quick,
        "rows": record,
        "table": table,
    }
    return finish(args.out or OUT, result)


if __name__ == "__main__":
    main()
