"""How much of the imbalance gap is in the head, and how much in the representation?

Trains a ``small-cnn`` backbone (stage 1: plain cross-entropy, the bench's
``basic`` augmentation and defaults) and then retrains only its head on frozen
penultimate features (stage 2: :func:`pixsmote.train.retrain_head`, features
extracted in eval mode without augmentation, head re-initialised, SGD + cosine,
epoch chosen on validation ACSA):

(a) backbone trained on the imbalanced ``fmnist-deepsmote`` split, head on
    class-balanced *real* features (cRT): what a head-side method can give on
    this representation;
(b) backbone trained on ``fmnist-balanced`` (the same amount of data, 900 per
    class), head on the *imbalanced* features of ``fmnist-deepsmote``'s
    training images: how good the head can be when only the representation is
    balanced.

Controls in the same table: each backbone alone (stage 1), (a) with a head
retrained on the imbalanced features as they are (re-initialisation alone),
and (b) with a class-balanced head. Every row is tested on
``fmnist-deepsmote``'s test sets (the official balanced test set and its
imbalanced cut); validation is ``fmnist-deepsmote``'s.

Run (one torch thread, as the study; a full run trains two backbones of
``--steps`` steps, ~10 minutes each at 3000 steps on one core)::

    OMP_NUM_THREADS=1 python benchmarks/head_retraining_diagnostic.py
    OMP_NUM_THREADS=1 python benchmarks/head_retraining_diagnostic.py --steps 600
    python benchmarks/head_retraining_diagnostic.py --quick   # digits, seconds

``--quick`` is a smoke run on scikit-learn's digits (``digits-seed-3``); its
"balanced" backbone is trained on random over-sampled copies of the same
imbalanced images (digits has no balanced twin split), so its numbers mean
nothing. Writes ``benchmarks/results/head_retraining_diagnostic.json`` (or
``--out``) and prints a table.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from _common import finish, labels_of
from pixsmote.report import markdown_table

HERE = Path(__file__).resolve().parent

OUT = HERE / "results" / "head_retraining_diagnostic.json"


def load(quick: bool, seed: int):
    """(imbalanced split, balanced training arrays, description)."""
    from pixsmote.data import load_split

    if quick:
        split = load_split("digits-seed-3", seed=seed)
        X, y = np.asarray(split.train.X), np.asarray(split.train.y)
        from pixsmote import RandomOverSampler

        Xb, yb = RandomOverSampler(random_state=seed).fit_resample(X, y)
        return split, (Xb, yb), "digits-seed-3; balanced = ROS copies (smoke run)"
    split = load_split("fmnist-deepsmote", seed=seed)
    bal = load_split("fmnist-balanced", seed=seed)
    Xb, yb = np.asarray(bal.train.X), np.asarray(bal.train.y)
    return split, (Xb, yb), "fmnist-deepsmote; balanced = fmnist-balanced"


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=None,
                   help="stage-1 steps per backbone (default 3000; 40 with --quick)")
    p.add_argument("--seed", type=int, default=0, help="split and training seed")
    p.add_argument("--head-epochs", type=int, default=10)
    p.add_argument("--head-lr", type=float, default=0.1)
    p.add_argument("--quick", action="store_true",
                   help="tiny smoke run on digits (numbers are meaningless)")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--out", type=Path, default=None,
                   help=f"JSON path (default {OUT.relative_to(HERE.parent)})")
    args = p.parse_args(argv)  # fmt: skip
    steps = args.steps or (40 if args.quick else 3000)

    import torch

    from pixsmote.torch._feature_resampling import feature_resampler
    from pixsmote.train import compute_metrics, extract_features, fit, retrain_head

    torch.set_num_threads(args.threads)
    split, (Xb, yb), described = load(args.quick, args.seed)
    classes, conv = labels_of(split)
    X, y = conv(split.train)
    Xv, yv = conv(split.val)
    tests = {name: conv(ds) for name, ds in split.tests.items()}
    yb = np.array([int(np.flatnonzero(classes == v)[0]) for v in yb])
    n_classes = len(classes)

    def stage1(Xtr, ytr):
        t0 = time.perf_counter()
        res = fit((Xtr, ytr), (Xv, yv), n_classes=n_classes, model="small-cnn",
                  aug="basic", steps=steps, seed=args.seed, device="cpu",
                  progress=False, test_sets=tests)  # fmt: skip
        return res, time.perf_counter() - t0

    def score(net):
        out = {}
        for name, (Xt, yt) in tests.items():
            with torch.no_grad():
                f = torch.from_numpy(extract_features(net, Xt))
                pred = net.eval().fc(f).argmax(1).numpy()
            out[name] = compute_metrics(yt, pred, n_classes)["acsa"]
        return out

    rows, record = [], []

    def add(backbone, head_data, net, val_acsa, extra_s, best_epoch=None):
        test = score(net)
        accs = [f"{100 * test[n]:.2f}" for n in tests]
        rows.append([backbone, head_data, f"{100 * val_acsa:.2f}", *accs,
                     f"{extra_s:.1f}"])  # fmt: skip
        record.append({"backbone": backbone, "head": head_data,
                       "val_acsa": val_acsa, "test_acsa": test,
                       "stage_s": extra_s, "best_head_epoch": best_epoch})  # fmt: skip

    started = time.perf_counter()
    backbones = {"imbalanced": (X, y), "balanced": (Xb, yb)}
    for label, (Xtr, ytr) in backbones.items():
        res, s1 = stage1(Xtr, ytr)
        net = res.model.cpu()
        add(label, "stage 1 alone", net, res.val["acsa"], s1)
        t0 = time.perf_counter()
        feats = extract_features(net, X)  # the imbalanced training images
        vfeats = extract_features(net, Xv)
        t_feat = time.perf_counter() - t0
        heads = {
            "imbalanced real features": None,
            "class-balanced real features (cRT)": feature_resampler(
                "crt", seed=args.seed
            ),
        }
        for head_data, resample in heads.items():
            t0 = time.perf_counter()
            hr = retrain_head(
                net, feats, y, vfeats, yv, epochs=args.head_epochs,
                lr=args.head_lr, seed=args.seed, resample=resample,
            )  # fmt: skip
            stage_s = t_feat + time.perf_counter() - t0
            add(label, head_data, hr.model, hr.best_val["acsa"], stage_s,
                best_epoch=hr.best_epoch)  # fmt: skip

    headers = ["backbone", "head trained on", "val ACSA",
               *[f"{n} ACSA" for n in tests], "stage time (s)"]  # fmt: skip
    table = markdown_table(headers, rows)
    print(f"data: {described}; small-cnn, {steps} stage-1 steps, seed {args.seed}, "
          f"head {args.head_epochs} epochs at lr {args.head_lr}")  # fmt: skip
    print(table)
    result = {
        "data": described,
        "steps": steps,
        "seed": args.seed,
        "head_epochs": args.head_epochs,
        "head_lr": args.head_lr,
        "quick": args.quick,
        "threads": args.threads,
        "rows": record,
        "table": table,
    }
    return finish(args.out or OUT, result, started)


if __name__ == "__main__":
    main()
