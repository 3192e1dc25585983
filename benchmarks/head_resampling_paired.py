"""Head-side resampling compared on the *same* frozen backbones, seed by seed.

The study's two-stage rows (``crt:backbone=ros``, ``feature-smote:backbone=ros``,
...) each train or reuse a stage-1 backbone through the cache; rows run on
different machines get different backbones (float kernels differ between CPU
models, so one seed's training differs), and then two rows differ by their
backbones as much as by their heads. This script holds the backbone fixed: for
each seed it loads the cached stage-1 backbone of ``--stage1`` (trained by the
study, ``benchmarks/study.py``) and retrains only the head once per head-side
recipe, exactly as ``pixsmote bench`` does (:func:`pixsmote.train.retrain_head`,
features extracted in eval mode without augmentation, ``head_epochs`` 10 at lr
0.1, the head's epoch chosen on validation ACSA, a fresh plan per head epoch).

The table gives validation and official-test ACSA per recipe (mean ± std over
seeds) and the mean *paired* difference to ``crt`` (same backbone, same seed),
which is free of the backbone's seed noise.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/head_resampling_paired.py
    python benchmarks/head_resampling_paired.py --quick   # digits, seconds
    # the keep-last sections' backbones (seeds 0-2 and 3-4), last head epoch:
    OMP_NUM_THREADS=1 python benchmarks/head_resampling_paired.py --keep last \
        --stage1 'online-svm-smote:synthetic_share=0.5' --seeds 0,1,2,3,4 \
        --heads crt,feature-smote,feature-svm-smote --backbones \
        benchmarks/results/study/fmnist-deepsmote-3000-keep-last/_backbones \
        benchmarks/results/study/fmnist-deepsmote-3000-keep-last-seeds-3-4/_backbones \
        --out benchmarks/results/head_resampling_paired_svm_share_last.json

(run from the repository's root: the command it records is printed in the
report as it was typed).

Needs the study's cached backbones
(``benchmarks/results/study/fmnist-deepsmote-3000/_backbones``, not in git;
the ``pixsmote bench`` command that trains a missing one into it, about 10
minutes on one core, is printed). ``--quick`` trains a
40-step backbone on ``digits-seed-3`` inline; its numbers mean nothing. Writes
``benchmarks/results/head_resampling_paired.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from _common import finish, fmt_mean_std
from pixsmote.report import markdown_table

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "head_resampling_paired.json"
CACHE = HERE / "results" / "study" / "fmnist-deepsmote-3000" / "_backbones"
HEADS = ("crt", "feature-smote", "feature-svm-smote", "feature-borderline1", "eos")


def find_backbone(
    roots, stage1: str, seed: int, steps: int, keep: str = "best"
) -> tuple[Path, str] | None:
    """Folder and key of the cached backbone of `stage1` for `seed`, `steps`
    and `keep` (the first of `roots` that holds one), or None."""
    for root in [roots] if isinstance(roots, (str, Path)) else roots:
        for record in sorted(Path(root).glob("*/backbone.json")):
            config = json.loads(record.read_text())["config"]
            # Backbones cached before `keep` existed kept their best epoch.
            found = (config.get("recipe"), config.get("seed"), config.get("steps"),
                     config.get("keep", "best"))  # fmt: skip
            if found == (stage1, seed, steps, keep):
                return Path(root), record.parent.name
    return None


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--stage1", default="ros", help="stage-1 recipe (default ros)")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--steps", type=int, default=3000, help="stage-1 steps")
    p.add_argument("--heads", default=",".join(HEADS),
                   help=f"head-side recipes (default {','.join(HEADS)})")
    p.add_argument("--backbones", type=Path, nargs="+", default=[CACHE],
                   help="stage-1 cache folder(s), searched in order (a study "
                        "section's _backbones; one per section of seeds)")
    p.add_argument("--keep", default="best", choices=("best", "last"),
                   help="which stage-1 backbone (its --keep) and which head "
                        "epoch to test: the best on validation or the last")
    p.add_argument("--quick", action="store_true",
                   help="digits, a 40-step backbone trained here (smoke run)")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)  # fmt: skip
    seeds = [int(s) for s in args.seeds.split(",")]
    heads = args.heads.split(",")
    command = "OMP_NUM_THREADS=1 python benchmarks/head_resampling_paired.py " + (
        shlex.join(sys.argv[1:] if argv is None else argv)
    )

    import torch

    from pixsmote.app import resolve_data
    from pixsmote.app._bench_recipes import DEFAULT_HEAD_EPOCHS
    from pixsmote.app._bench_stages import HEAD_LR, load_backbone
    from pixsmote.torch import feature_resampler
    from pixsmote.train import compute_metrics, extract_features, fit, retrain_head

    torch.set_num_threads(1)
    split = "digits-seed-3" if args.quick else "fmnist-deepsmote"
    scores: dict[str, dict[str, list[float]]] = {
        h: {"val": [], "test": []} for h in heads
    }
    per_seed = []
    started = time.perf_counter()
    keys = {}
    for seed in [] if args.quick else seeds:  # all found before any work
        keys[seed] = find_backbone(args.backbones, args.stage1, seed, args.steps,
                                   args.keep)  # fmt: skip
        if keys[seed] is None:
            # Not the study's command: the cache is not in git, and the study
            # skips a row it has results for. A bench run with the study's
            # settings (the bench defaults) trains into the same cache key.
            recipe = "crt" if args.stage1 == "none" else f"crt:backbone={args.stage1}"
            raise SystemExit(
                f"No cached {args.stage1!r} backbone of seed {seed} in "
                f"{args.backbones[0]} (keep {args.keep}). Train it with: "
                f"OMP_NUM_THREADS=1 pixsmote bench --train fmnist-deepsmote "
                f"--split-seed {seed} --seeds {seed}, --recipes '{recipe}' "
                f"--steps {args.steps} --threads 1 --keep {args.keep} "
                f"--backbones {args.backbones[0]} --out /tmp/pixsmote-backbone-{seed}"
            )
    for seed in seeds:
        data = resolve_data(split, split_seed=seed)
        if args.quick:
            net = fit((data.X, data.y), (data.X_val, data.y_val),
                      n_classes=data.n_classes, model="small-cnn", aug="basic",
                      steps=40, seed=seed, device="cpu", progress=False).model
            backbone = "trained here (40 steps)"  # fmt: skip
        else:
            folder, key = keys[seed]
            s1 = load_backbone(folder, key, "cpu")
            assert s1 is not None
            net, backbone = s1.model, key
        net.eval()
        feats = extract_features(net, data.X)
        val_feats = extract_features(net, data.X_val)
        Xt, yt = data.tests["test"]
        test_feats = extract_features(net, Xt)
        row = {"seed": seed, "backbone": backbone, "heads": {}}
        for h in heads:
            t0 = time.perf_counter()
            hr = retrain_head(net, feats, data.y, val_feats, data.y_val,
                              n_classes=data.n_classes, epochs=DEFAULT_HEAD_EPOCHS,
                              lr=HEAD_LR, seed=seed,
                              resample=feature_resampler(h, seed=seed),
                              keep=args.keep)  # fmt: skip
            with torch.no_grad():
                pred = hr.model.fc(torch.from_numpy(test_feats)).argmax(1).numpy()
            test = compute_metrics(yt, pred, data.n_classes)["acsa"]
            # The kept head's validation score (the last epoch's with
            # --keep last).
            val = hr.best_val["acsa"]
            scores[h]["val"].append(100 * val)
            scores[h]["test"].append(100 * test)
            row["heads"][h] = {"val_acsa": val, "test_acsa": test,
                               "best_head_epoch": hr.best_epoch,
                               "head_s": time.perf_counter() - t0}  # fmt: skip
            print(f"seed {seed} {h}: val {100 * val:.2f} test {100 * test:.2f}",
                  flush=True)  # fmt: skip
        per_seed.append(row)

    base = np.asarray(scores[heads[0]]["test"])
    rows = []
    for h in heads:
        diff = np.asarray(scores[h]["test"]) - base
        rows.append([h, fmt_mean_std(scores[h]["val"]), fmt_mean_std(scores[h]["test"]),
                     f"{diff.mean():+.2f} ({', '.join(f'{d:+.2f}' for d in diff)})"])
    table = markdown_table(
        ["head recipe", "val ACSA %", "test ACSA %",
         f"test minus {heads[0]}, same backbone (per seed)"], rows)  # fmt: skip
    stage1 = ("40 steps on the imbalanced data (smoke run)" if args.quick
              else f"{args.stage1!r}, {args.steps} steps")  # fmt: skip
    print(f"{split}, stage 1 {stage1}, seeds {seeds}")
    print(table)
    result = {
        "benchmark": "head_resampling_paired",
        "split": split,
        "stage1": "none" if args.quick else args.stage1,
        "steps": 40 if args.quick else args.steps,
        "seeds": seeds,
        "quick": args.quick,
        "head_epochs": DEFAULT_HEAD_EPOCHS,
        "head_lr": HEAD_LR,
        "keep": args.keep,
        "command": command.strip(),
        "per_seed": per_seed,
        "table": table,
    }
    return finish(args.out or OUT, result, started)


if __name__ == "__main__":
    main()
