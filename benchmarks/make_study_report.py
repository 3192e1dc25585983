"""Write docs/benchmarks.md from the study's run folders (no hand-typed numbers).

Reads ``benchmarks/results/study/`` (``results.json``, ``metrics.csv``,
``config.json`` of every run, ``runlog.jsonl``, ``machine.json``,
``combos.json``), DeepSMOTE's reported rows from the protocol
(``PROTOCOL.md``), and ``benchmarks/results/resample_cost.json`` when present,
and writes:

* ``docs/benchmarks.md`` -- the report, with the matrix's coverage;
* ``docs/figures/study-*.png`` -- small figures (curves, per-class recall,
  synthetic-image grids);
* ``benchmarks/results/which_method.md`` -- the "Which method should I use?"
  paragraph for the README, from the same numbers.

Usage::

    python benchmarks/make_study_report.py [--protocol PATH] [--no-grids]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import study  # noqa: E402

RESULTS = study.RESULTS
DOC = ROOT / "docs" / "benchmarks.md"
FIGURES = ROOT / "docs" / "figures"
WHICH = HERE / "results" / "which_method.md"
README = ROOT / "README.md"
#: README's "Which method should I use?" body sits between these markers and is
#: rewritten from the runs with the report, so it carries no hand-typed number.
MARKERS = ("<!-- which-method:start -->", "<!-- which-method:end -->")
RESAMPLE_COST = HERE / "results" / "resample_cost.json"
RESAMPLE_COST_1T = HERE / "results" / "resample_cost_1thread.json"
OVERLAP = HERE / "results" / "synthetic_overlap.json"
PROTOCOL_CANDIDATES = [
    ROOT / "shared" / "PROTOCOL.md",
    ROOT.parent / "shared" / "PROTOCOL.md",
]

#: Our test-set names -> DeepSMOTE's column in the protocol's table.
TESTS = {
    "test": ("official balanced test set", 1),
    "test-imbalanced": ("imbalanced cut of the official test set", 0),
}
TAIL = [6, 7, 8, 9]
METRICS = [
    ("acsa", "ACSA"),
    ("gm", "GM"),
    ("macro_f1", "macro-F1"),
    ("accuracy", "acc."),
]
#: Groups whose recipes synthesise images (pixsmote or imbalanced-learn SMOTE).
SMOTE_GROUPS = {"pixsmote", "online", "imblearn", "combination", "tuning"}
PIXSMOTE_GROUPS = SMOTE_GROUPS - {"imblearn"}
GROUP_NAMES = {
    "baseline": "baseline",
    "loss": "loss-side",
    "pixsmote": "pixsmote sampler",
    "imblearn": "imbalanced-learn",
    "online": "pixsmote online",
    "combination": "combination",
    "tuning": "SMOTE variant (tuning)",
}


# ------------------------------------------------------------------ reading
def load_study(cfg: dict):
    """{split: {recipe: [Run, ...]}} for finished runs, plus each recipe's group."""
    from pixsmote.report import load_runs

    by_split: dict[str, dict[str, list]] = {}
    groups: dict[str, str] = {}
    for split in cfg["splits"]:
        root = RESULTS / split
        runs = load_runs(root) if root.is_dir() else []
        runs = [r for r in runs if r.results.get("test")]
        table: dict[str, list] = defaultdict(list)
        for r in sorted(runs, key=lambda r: r.seed or 0):
            table[r.recipe].append(r)
        by_split[split] = table
        for group, recipe in study.section_matrix(cfg, split):
            if group != "confirm":  # a confirmation keeps the recipe's own kind
                groups.setdefault(_label(recipe), group)
        for recipe in table:  # runs of recipes no longer in the matrix
            groups.setdefault(recipe, _infer_group(recipe))
    return by_split, groups


def _infer_group(label: str) -> str:
    from pixsmote.app import parse_recipe

    r = parse_recipe(label)
    if r.spec.kind == "none":
        return "loss" if r.loss else "baseline"
    if r.aug or r.loss:
        return "combination"
    if r.spec.kind == "imblearn":
        return "imblearn"
    if r.spec.kind == "online":
        return "online" if not r.params else "tuning"
    if r.name in ("ros", "rus"):
        return "baseline"
    return "pixsmote"


def _label(recipe: str) -> str:
    from pixsmote.app import parse_recipe

    return parse_recipe(recipe).label


def read_protocol(
    path: Path | None,
) -> tuple[Path | None, list[tuple[str, list, list]]]:
    """DeepSMOTE's reported rows: (method, [imbalanced test], [balanced test])."""
    candidates = [path] if path else PROTOCOL_CANDIDATES
    for p in candidates:
        if p and p.is_file():
            rows = []
            for line in p.read_text().splitlines():
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                if len(cells) != 3 or "/" not in cells[1]:
                    continue
                try:
                    a = [float(x) for x in cells[1].split("/")]
                    b = [float(x) for x in cells[2].split("/")]
                except ValueError:
                    continue
                if len(a) == 3 and len(b) == 3:
                    rows.append((cells[0], a, b))
            return p, rows
    return None, []


def mean_std(values) -> tuple[float, float, int]:
    v = np.array([x for x in values if x is not None and math.isfinite(x)], float)
    if v.size == 0:
        return float("nan"), float("nan"), 0
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0, int(v.size)


def cell(values, digits: int = 1) -> str:
    m, s, n = mean_std(values)
    if n == 0:
        return "–"
    return f"{m:.{digits}f} ± {s:.{digits}f}" if n > 1 else f"{m:.{digits}f}"


def metric_values(runs, test: str, key: str) -> list[float]:
    out = []
    for r in runs:
        v = r.tests.get(test, {}).get(key)
        out.append(100.0 * float(v) if v is not None else float("nan"))
    return out


def passes(run) -> float:
    """Passes over the run's own (balanced) training data in its step budget."""
    cfg = run.config
    n = sum(cfg.get("train_counts_after") or []) or float("nan")
    return float(cfg.get("steps") or 0) * float(cfg.get("batch_size") or 0) / n


def recall_values(runs, test: str, c: int) -> list[float]:
    out = []
    for r in runs:
        rec = r.tests.get(test, {}).get("per_class_recall") or []
        v = rec[c] if c < len(rec) else None
        out.append(100.0 * float(v) if v is not None else float("nan"))
    return out


def md_table(header: list[str], rows: list[list[str]], right_from: int = 1) -> str:
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def fmt_minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds < 3600 else f"{seconds / 3600:.2f} h"


# ------------------------------------------------------------------ figures
def save_png(fig, name: str, dpi: int = 72) -> str:
    from pixsmote.report import figure_png

    FIGURES.mkdir(parents=True, exist_ok=True)
    path = FIGURES / name
    path.write_bytes(figure_png(fig, dpi=dpi))
    return f"figures/{name}"


def synthetic_grids(split: str, recipes: list[str]) -> list[tuple[str, str]]:
    """Grids of synthetic images (parents | child) for `recipes`, split seed 0."""
    from pixsmote.app import balance_training, parse_recipe, resolve_data
    from pixsmote.report import plot_synthetic_grid

    data = resolve_data(split, None, None, split_seed=0)
    out = []
    for recipe in recipes:
        b = balance_training(parse_recipe(recipe), data.X, data.y, 0)
        if b.plan is None or len(b.plan) == 0:
            continue
        X_synth = b.X[b.synthetic]
        if len(X_synth) != len(b.plan):
            from pixsmote.sampling import synthesize

            X_synth = synthesize(data.X, b.plan)
        # rows from the tail classes only: that is where synthesis matters
        keep = np.flatnonzero(np.isin(np.asarray(b.plan.cls), TAIL))
        plan = b.plan[keep] if len(keep) else b.plan
        xs = X_synth[keep] if len(keep) else X_synth
        fig = plot_synthetic_grid(data.X, plan, xs, n=6, class_names=data.class_names)
        slug = parse_recipe(recipe).slug
        out.append((recipe, save_png(fig, f"study-grid-{split}-{slug}.png", dpi=60)))
    return out


# ------------------------------------------------------------------ report
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--protocol", type=Path, help="PROTOCOL.md with DeepSMOTE's rows")
    p.add_argument("--no-grids", action="store_true", help="skip synthetic grids")
    args = p.parse_args(argv)

    from pixsmote.report import plot_curves, plot_per_class_recall

    cfg = study.load_config()
    by_split, groups = load_study(cfg)
    protocol_path, reported = read_protocol(args.protocol)
    machine = _read_json(RESULTS / "machine.json")
    runlog = _read_runlog()
    combos = _read_json(study.COMBOS)

    md: list[str] = []
    say = md.append
    say("# Benchmarks: balancing recipes on Fashion-MNIST\n")
    say(
        "_Generated by `python benchmarks/make_study_report.py` from the run "
        "folders under `benchmarks/results/study/`; every number below is read "
        "from a `results.json`, `runlog.jsonl` or `resample_cost.json`. Do not "
        "edit by hand._\n"
    )

    # ---------------------------------------------------------- coverage
    say("## Coverage of the matrix\n")
    cover_rows = []
    total_done = total_planned = 0
    for split, spec in cfg["splits"].items():
        matrix = study.section_matrix(cfg, split)
        table = by_split.get(split, {})
        done_recipes = 0
        for _, recipe in matrix:
            n = len(table.get(_label(recipe), []))
            total_done += n
            done_recipes += n > 0
        total_planned += len(matrix) * len(spec["seeds"])
        cover_rows.append(
            [
                split,
                str(spec["steps"]),
                str(len(matrix)),
                str(done_recipes),
                ", ".join(map(str, spec["seeds"])),
                str(sum(len(table.get(_label(r), [])) for _, r in matrix)),
                str(len(matrix) * len(spec["seeds"])),
            ]
        )
    say(
        md_table(
            [
                "split",
                "steps/run",
                "recipes planned",
                "recipes with ≥1 run",
                "seeds planned",
                "runs done",
                "runs planned",
            ],
            cover_rows,
        )  # fmt: skip
    )
    say(
        f"\n**{total_done} of {total_planned} planned runs are done.** The study is "
        "resumable: `python benchmarks/study.py --jobs 2` launches only the runs "
        "whose `results.json` is missing. Cells below give the number of seeds "
        "behind each mean (`n`); a cell with `n = 1` has no spread and ranks are "
        "provisional. Pending recipes are listed at the end.\n"
    )

    # ---------------------------------------------------------- setup
    say("## Setup\n")
    say(
        f"- Model `{cfg['model']}`, augmentation `{cfg['aug']}` (unless a recipe "
        f"overrides it), batch {cfg['batch_size']}, peak lr {cfg['lr']} (SGD "
        f"Nesterov, {_fit('schedule')} schedule, weight decay "
        f"{_fit('weight_decay')}: the bench defaults), "
        f"{cfg['threads']} torch thread per run."
    )
    for split, spec in cfg["splits"].items():
        train = study.train_split(cfg, split)
        what = (
            f"trains on `{train}`; a confirmation of "
            + ", ".join(f"`{r}`" for r in spec["recipes"])
            + " (chosen before these runs on the screen's validation ACSA, see "
            "`benchmarks/study.toml`) at a longer budget: "
            if "recipes" in spec
            else ""
        )
        say(
            f"- `{split}`: {what}{spec['steps']} optimiser steps per run for every "
            f"recipe; seeds {spec['seeds']}. Seed *s* trains with seed *s* **on the "
            "split drawn with seed *s*** (`--split-seed s`), so the ± includes the "
            "spread over draws of the training set."
        )
    say(
        "- The kept checkpoint is the epoch with the best **validation** ACSA "
        "(held out of each class's training draw by the split); the test sets are "
        "evaluated once, with that checkpoint. Nothing was tuned on a test set.\n"
        "- Recipes come from the registries (`pixsmote.app.RECIPES`, "
        "`pixsmote.train.LOSSES`, `AUGMENTATIONS`): loss-side rows are "
        "`none:loss=<loss>` (imbalanced data, that loss); `:neighbor_space=pca` "
        "rows find SMOTE neighbours in a PCA space and interpolate pixels; "
        "`imblearn-smote` is imbalanced-learn's SMOTE on flattened uint8 pixels "
        "as users call it today.\n"
        "- Combinations: the SMOTE-based recipe with the best mean *validation* "
        "ACSA is combined with each mixing augmentation and with focal loss. "
        "Losses that read the class counts (weighted CE, class-balanced, "
        "logit-adjusted, LDAM-DRW) are not combined with a sampler: the bench "
        "gives a loss the counts of the *resampled* (balanced) training set, "
        "where those losses reduce to plain cross-entropy."
    )
    say(
        "- Budget: the step budget was fixed on `none` and `ros` (seed 0) so that "
        "one run stays inside the protocol's 10 minutes on the 2-core "
        "machine while other work shared it (their times are in the compute "
        "section). The learning rate, batch size, schedule and augmentation are "
        "the bench defaults and were **not** tuned. The screen's budget is short "
        "(see `passes`): its numbers are those of an under-trained small CNN. "
        "The longer confirmation budget is the most that keeps one run of "
        "`small-cnn` within the protocol's 10 minutes on one core of this machine."
    )
    for split, info in combos.items():
        if isinstance(info, dict) and info.get("recipe"):
            state = "frozen" if info.get("frozen") else "provisional"
            say(
                f"  On `{split}` the base of the combinations is "
                f"`{info['recipe']}` (validation ACSA "
                f"{100 * info['val_acsa']:.1f} %, {state})."
            )
    say("")

    # ---------------------------------------------------------- main tables
    headline = {}
    for split, table in by_split.items():
        if not table:
            continue
        say(f"## Results on `{split}`\n")
        tests = [
            t for t in TESTS if any(t in r.tests for rs in table.values() for r in rs)
        ]
        if not tests:
            tests = sorted({t for rs in table.values() for r in rs for t in r.tests})
        for test in tests:
            title = TESTS.get(test, (test, None))[0]
            sizes = _test_sizes(split).get(test)
            deepsmote = study.train_split(cfg, split) == "fmnist-deepsmote"
            if sizes:
                title += f", {sum(sizes):,} images {sizes}"
            say(f"### Test: {title} (`{test}`)\n")
            say("Mean ± sample std over seeds, in %. Sorted by ACSA.\n")
            rows = []
            order = sorted(
                table,
                key=lambda r: -mean_std(metric_values(table[r], test, "acsa"))[0],
            )
            for recipe in order:
                runs = table[recipe]
                rows.append(
                    [f"`{recipe}`", GROUP_NAMES.get(groups.get(recipe, ""), "other"),
                     str(len(runs))]
                    + [cell(metric_values(runs, test, k)) for k, _ in METRICS]
                    + [cell([passes(r) for r in runs])]
                )  # fmt: skip
            if deepsmote and reported and test in TESTS:
                col = TESTS[test][1]
                for method, imb, bal in reported:
                    vals = (imb, bal)[col]
                    star = "" if col == 0 else "*"
                    rows.append(
                        [f"{method} — **reported** by DeepSMOTE{star}",
                         "reported (ResNet-18)", "–"]
                        + [f"{v:.2f}" for v in vals] + ["–", "–"]
                    )  # fmt: skip
            header = ["recipe", "kind", "n", *[h for _, h in METRICS], "passes"]
            say(md_table(header, rows, 2))
            say(
                "\n`passes`: optimiser steps × batch size / training-set size after "
                "balancing, i.e. how many times the run went over its own training "
                "data. Every recipe gets the same steps, so recipes that grow the "
                "training set see each image fewer times."
            )
            if deepsmote and reported and test in TESTS:
                if TESTS[test][1] == 1:
                    say(
                        "\n\\* Reported rows are copied by the script from the "
                        "protocol's table (DeepSMOTE, Dablain et al., TNNLS 2022, "
                        'ResNet-18). **DeepSMOTE\'s "balanced test" came from '
                        "cross-validation folds of the training pool (PROTOCOL.md), "
                        "not the official test set**: compare with care."
                    )
                else:
                    say(
                        "\nReported rows: DeepSMOTE's Table I (imbalanced test, "
                        "same class proportions as this cut), ResNet-18, copied by "
                        "the script from the protocol. Their model, training "
                        "length and test images differ from ours."
                    )
            say("")
            headline[(split, test)] = {
                r: mean_std(metric_values(table[r], test, "acsa")) for r in table
            }

        # tail recall
        names = next(iter(table.values()))[0].class_names
        tail = [c for c in TAIL if c < len(names)]
        if tail and study.train_split(cfg, split) == "fmnist-deepsmote":
            for test in tests:
                say(
                    f"### Tail-class recall on `{test}` "
                    f"(labels {tail[0]}..{tail[-1]})\n"
                )
                counts = next(iter(table.values()))[0].config.get("train_counts_before")
                hdr = [
                    f"{c} {names[c]}" + (f" ({counts[c]} train)" if counts else "")
                    for c in tail
                ]
                rows = []
                order = sorted(
                    table,
                    key=lambda r: -mean_std(metric_values(table[r], test, "acsa"))[0],
                )
                for recipe in order:
                    rows.append(
                        [f"`{recipe}`", str(len(table[recipe]))]
                        + [cell(recall_values(table[recipe], test, c)) for c in tail]
                    )
                say(md_table(["recipe", "n", *hdr], rows, 1))
                say("")

        # figures
        all_runs = [r for rs in table.values() for r in rs]
        pick = _figure_recipes(table, headline.get((split, "test"), {}), groups)
        sub = [r for r in all_runs if r.recipe in pick]
        if sub:
            say(f"### Figures (`{split}`)\n")
            src = save_png(plot_curves(sub, seed=0), f"study-curves-{split}.png")
            say(
                f"![training curves]({src})\n\n*Loss and accuracy per epoch (seed 0; "
                "train dashed, validation solid) of the baseline, the best recipe of "
                "each kind (by official-test ACSA).*\n"
            )
            main_test = "test" if "test" in tests else tests[0]
            src = save_png(
                plot_per_class_recall(sub, main_test), f"study-recall-{split}.png"
            )
            say(f"![per-class recall]({src})\n\n*Per-class recall on `{main_test}`.*\n")
            if not args.no_grids and split == "fmnist-deepsmote":
                grid_recipes = [
                    r for r in ("smote", "smote:neighbor_space=pca") if r in table
                ]
                for recipe, src in synthetic_grids(split, grid_recipes):
                    say(
                        f"![synthetic images, {recipe}]({src})\n\n*`{recipe}`: "
                        "synthetic tail-class images (middle) between their two "
                        "parents (split seed 0).*\n"
                    )

    # ---------------------------------------------------------- ranking
    say("## Ranking: SMOTE against the simple baselines\n")
    ranked_any = False
    for section in _deepsmote_sections(cfg):
        ranking = _ranking(headline.get((section, "test"), {}), groups)
        if not ranking:
            continue
        ranked_any = True
        steps = cfg["splits"][section]["steps"]
        say(f"### `{section}` ({steps} steps per run)\n")
        say(ranking)
        say(_reference(cfg, section, headline))
        say(_why(section, by_split.get(section, {}), headline, groups, reported))
        say("")
    if not ranked_any:
        say("No finished runs yet.\n")
    overlap = _overlap_section()
    if overlap:
        say(overlap)

    # ---------------------------------------------------------- cost
    say("## Resampling cost\n")
    shown = False
    for path, what in (
        (
            RESAMPLE_COST_1T,
            "every method with one BLAS/OpenMP thread (the like-for-like "
            "comparison on this shared 2-core machine)",
        ),
        (
            RESAMPLE_COST,
            "library-default threads; measured while other processes held a core, "
            "where OpenBLAS's two threads spin on the busy one and pixsmote's "
            "Gram-matrix kNN pays for it most",
        ),
    ):
        if not path.is_file():
            continue
        try:
            import resample_cost

            data = json.loads(path.read_text())
            say(
                f"From `{path.relative_to(ROOT)}`, {what} "
                f"(`{data.get('command', 'python benchmarks/resample_cost.py')}`, "
                f"{data.get('date', '?')}):\n"
            )
            say(resample_cost.table(data))
            say("")
            shown = True
        except Exception as exc:  # a schema we cannot render: say so
            say(f"`{path.name}` exists but could not be rendered ({exc!r}).\n")
    if not shown:
        say(
            "Pending: no `benchmarks/results/resample_cost*.json` yet "
            "(`python benchmarks/resample_cost.py` writes it).\n"
        )

    # ---------------------------------------------------------- compute
    say("## Commands, compute time and machine\n")
    say("```sh")
    say("python benchmarks/study.py --list            # the plan, done / pending")
    say("python benchmarks/study.py --jobs 2          # run (resumes)")
    say("python benchmarks/make_study_report.py       # this page")
    say("```\n")
    say("Each run is one `pixsmote bench` process; for example:\n")
    example = study.Job(
        "fmnist-deepsmote", "smote", 0, cfg["splits"]["fmnist-deepsmote"]["steps"]
    )
    cmd = " ".join(_quote(a) for a in example.command(cfg)[1:])
    say(f"```sh\npixsmote {cmd}\n```\n")
    train_s = [
        float(r.results.get("time_s") or 0.0)
        for t in by_split.values()
        for rs in t.values()
        for r in rs
    ]
    wall = sum(float(e.get("wall_s", 0)) for e in runlog)
    say(
        f"- Training time summed over {len(train_s)} finished runs "
        f"(`results.json` `time_s`): **{fmt_minutes(sum(train_s))}**; per run "
        f"{cell(train_s, 0)} s."
    )
    slow = sorted(
        (float(r.results.get("time_s") or 0.0), split, r.recipe, r.seed)
        for split, t in by_split.items()
        for rs in t.values()
        for r in rs
        if float(r.results.get("time_s") or 0.0) > 600
    )
    if slow:
        side = {(e["split"], e["recipe"], e["seed"]): e.get("jobs", 1) for e in runlog}
        parts = []
        for t, split, r, s in slow:
            j = side.get((split, r, s)) or 1
            share = (
                f", {j} runs side by side: ≈ {t / j:.0f} s of the 2-core machine"
                if j > 1
                else ""
            )
            parts.append(f"`{split}` `{r}` seed {s} ({t:.0f} s{share})")
        say(
            "- Runs whose training took over 10 minutes of wall time: "
            + "; ".join(parts)
            + "."
        )
        if any(r.split(":")[0] == "rus" for _, _, r, _ in slow):
            say(
                "  `rus` shrinks the training set to epochs of 2 steps; it ran "
                "before the loop validated at most every `steps // 50` steps, "
                "so validation after each of its 300 epochs dominated its time."
            )
    if runlog:
        loads = [
            e.get("load1_start") for e in runlog if e.get("load1_start") is not None
        ]
        jobs = sorted({e.get("jobs") for e in runlog})
        say(
            f"- Wall time of the {len(runlog)} runs launched by `study.py` "
            f"(process start to exit, incl. data loading, resampling, testing and "
            f"the bench's own report): {fmt_minutes(wall)} summed; runs went "
            f"{'/'.join(map(str, jobs))} side by side. The machine was shared with "
            f"other work: 1-minute load average at launch {min(loads):.1f}–"
            f"{max(loads):.1f} on {_cores(machine)} cores, so times are pessimistic."
        )
    for host, info in machine.items():
        v = info.get("versions", {})
        say(
            f"- Machine `{host}`: {info.get('cpu_model')}, "
            f"{info.get('logical_cores')} logical cores, "
            f"{info.get('ram_gib')} GiB RAM; "
            f"{info.get('os')}; Python {v.get('python')}, torch {v.get('torch')}, "
            f"numpy {v.get('numpy')}, scikit-learn {v.get('sklearn')}, "
            f"imbalanced-learn {v.get('imblearn')}."
        )
    say("")

    last = {(e["split"], e["recipe"], e["seed"]): e for e in runlog}
    failed = [
        e
        for e in last.values()
        if e.get("rc") != 0
        and not study.Job(e["split"], e["recipe"], e["seed"], e["steps"]).run_dir()
    ]
    if failed:
        say("## Failed runs\n")
        for e in failed:
            say(
                f"- `{e['split']}` seed {e['seed']} `{e['recipe']}` (exit {e['rc']}, "
                f"{e['finished']}): {e.get('error') or 'see the run log'}"
            )
        say("")

    # ---------------------------------------------------------- pending
    say("## Pending runs\n")
    for split, spec in cfg["splits"].items():
        best = study.choose_best_smote(cfg, split)
        table = by_split.get(split, {})
        missing = []
        for _, recipe in study.section_matrix(cfg, split):
            have = {r.seed for r in table.get(_label(recipe), [])}
            lack = [s for s in spec["seeds"] if s not in have]
            if lack:
                missing.append(f"`{recipe}` (seeds {', '.join(map(str, lack))})")
        say(f"- `{split}`: " + ("; ".join(missing) if missing else "none") + ".")
        if best is None and "recipes" not in spec:
            say(
                f"- Combinations on `{split}` are planned once a SMOTE-based recipe "
                "has finished (their base is chosen on validation ACSA)."
            )
    say("")

    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text("\n".join(md).rstrip() + "\n")
    which = _which_method(headline, groups, by_split, cfg).rstrip() + "\n"
    WHICH.write_text(which)
    print(f"wrote {DOC.relative_to(ROOT)} and {WHICH.relative_to(ROOT)}")
    if _update_readme(which):
        print(f"updated the which-method section of {README.relative_to(ROOT)}")
    return 0


def _update_readme(which: str) -> bool:
    """Put `which` (less its heading) between README's markers, if it has them."""
    if not README.is_file():
        return False
    text = README.read_text()
    start, end = MARKERS
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        return False
    body = which.split("\n", 1)[1].strip("\n")
    new = text[: i + len(start)] + "\n" + body + "\n" + text[j:]
    if new != text:
        README.write_text(new)
    return True


def _fit(key: str):
    """A training setting from the first run's ``config.json``."""
    for path in sorted(RESULTS.glob("*/split-*/*/seed-*/config.json")):
        value = _read_json(path).get(key)
        if value is not None:
            return value
    return "?"


def _test_sizes(split: str) -> dict[str, list[int]]:
    """Test-set class counts from a ``bench.json`` of the split (seed 0 first)."""
    for path in sorted((RESULTS / split).glob("split-*/bench.json")):
        counts = _read_json(path).get("test_counts")
        if counts:
            return counts
    return {}


def _quote(a: str) -> str:
    import shlex

    return shlex.quote(a)


def _cores(machine: dict) -> str:
    cores = sorted({str(i.get("logical_cores")) for i in machine.values()})
    return "/".join(cores) or "?"


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def _read_runlog() -> list[dict]:
    if not study.RUNLOG.is_file():
        return []
    return [json.loads(x) for x in study.RUNLOG.read_text().splitlines() if x.strip()]


def _best_of(scores: dict, groups: dict, kinds: set[str], pred=None):
    cands = {
        r: s
        for r, s in scores.items()
        if groups.get(r) in kinds and (pred is None or pred(r)) and s[2] > 0
    }
    if not cands:
        return None
    r = max(cands, key=lambda k: cands[k][0])
    return r, cands[r]


def _smote_pred(recipe: str) -> bool:
    return "ros" != recipe.split(":")[0] and "rus" != recipe.split(":")[0]


def _describe(best) -> str:
    r, (m, s, n) = best
    spread = f" ± {s:.1f}" if n > 1 else ""
    return f"`{r}` ({m:.1f}{spread} % ACSA, n = {n})"


def _compare(a, b) -> str:
    """'better', 'worse' or 'level': a gap counts only beyond 2 std (>= 1 point)
    and with >= 3 seeds on both sides."""
    (_, (ma, sa, na)), (_, (mb, sb, nb)) = a, b
    margin = max(1.0, 2 * max(sa, sb))
    if min(na, nb) < 3 or abs(ma - mb) < margin:
        return "level"
    return "better" if ma > mb else "worse"


def _ranking(scores: dict, groups: dict) -> str:
    """Sentences comparing the best SMOTE-based recipe with the baselines."""
    if not scores:
        return ""
    smote = _best_of(scores, groups, SMOTE_GROUPS, _smote_pred)
    loss = _best_of(scores, groups, {"loss"})
    ros = _best_of(scores, groups, {"baseline"}, lambda r: r == "ros")
    none = _best_of(scores, groups, {"baseline"}, lambda r: r == "none")
    pix = _best_of(scores, groups, PIXSMOTE_GROUPS, _smote_pred)
    lines = ["On the official (balanced) Fashion-MNIST test set:\n"]
    for name, b in (
        ("no balancing", none),
        ("random over-sampling", ros),
        ("best loss-side method", loss),
        ("best SMOTE-based recipe (any implementation)", smote),
        ("best pixsmote recipe", pix),
    ):
        lines.append(f"- {name}: " + (_describe(b) if b else "not run yet"))
    simple = [b for b in (ros, loss) if b]
    if smote and simple:
        top = max(simple, key=lambda b: b[1][0])
        gap = smote[1][0] - top[1][0]
        if _compare(smote, top) == "level":
            verdict = (
                f"\nThe best SMOTE-based recipe and the best simple baseline "
                f"{_describe(top)} are **level** (difference {gap:+.1f} points, "
                "within seed noise or on too few seeds to rank)."
            )
        elif gap >= 0:
            verdict = (
                f"\nThe best SMOTE-based recipe is **{gap:.1f} points above** the best "
                f"simple baseline {_describe(top)}."
            )
        else:
            verdict = (
                f"\n**A simple baseline wins**: {_describe(top)} is {-gap:.1f} points "
                "above the best SMOTE-based recipe."
            )
        ns = {smote[1][2], top[1][2]}
        if min(ns) < 3:
            verdict += (
                " With fewer than 3 seeds behind these means, a gap smaller than a "
                "few points is not a ranking."
            )
        lines.append(verdict)
    if pix:
        bar = 90.0
        met = pix[1][0] >= bar
        lines.append(
            f"\nThe issue's bar (best pixsmote recipe ≥ {bar:.0f} % ACSA on the "
            f"official test set) is **{'met' if met else 'not met'}** by this "
            f"budget: {_describe(pix)}."
        )
    return "\n".join(lines)


def _reference(cfg: dict, section: str, headline: dict) -> str:
    """The balanced-data reference at `section`'s budget, if it has runs."""
    steps = cfg["splits"][section]["steps"]
    out = []
    for ref, spec in cfg["splits"].items():
        if study.train_split(cfg, ref) != "fmnist-balanced" or spec["steps"] != steps:
            continue
        for test in ("test", "test-imbalanced"):
            scores = headline.get((ref, test), {})
            if "none" not in scores:
                continue
            m, sd, n = scores["none"]
            spread = f" ± {sd:.1f}" if n > 1 else ""
            out.append(f"`{test}` {m:.1f}{spread} % ACSA (n = {n})")
        if out:
            return (
                f"\n**Reference** (`{ref}`): the same model and budget trained, with "
                "no recipe, on `fmnist-balanced` -- as many real training images "
                "(9,000 drawn, 10 % held out for validation) but 900 of every "
                "class, i.e. what perfectly balanced real data of this size "
                "reaches: " + "; ".join(out) + ". Rebalancing the imbalanced split "
                "cannot add the information of real tail-class images, so this is "
                "the ceiling to read the recipes and the 90 % bar against."
            )
    return ""


def _overlap_section() -> str:
    """Where synthetic images land (benchmarks/synthetic_overlap.py), if run."""
    if not OVERLAP.is_file():
        return ""
    import synthetic_overlap

    data = _read_json(OVERLAP)
    if not data.get("rows"):
        return ""
    lines = [
        "### Where the synthetic images land\n",
        f"From `{OVERLAP.relative_to(ROOT)}` (`{data.get('command')}`): the "
        "share (%) of images whose nearest real training image, by pixel "
        "distance, is of **another class** -- for real images leaving out "
        "themselves, for synthetic images leaving out their two parents. Rows "
        "are means over split seeds; columns the over-sampled classes (training "
        "count).\n",
        synthetic_overlap.table(data),
        "",
    ]
    excess = _overlap_excess()
    if excess:
        diffs = [
            f"`{label}` {mean:+.1f} points on average (most on {name}, {worst:+.1f})"
            for label, (mean, name, worst) in excess.items()
        ]
        lines.append(
            "Against the real images' own overlap: " + "; ".join(diffs) + ". "
            "Near zero means the synthetic images sit among their class as much "
            "as real ones do; well above, that they sit in other classes' "
            "territory (interpolation artefacts, or samples placed on purpose "
            "near the border).\n"
        )
    return "\n".join(lines)


def _overlap_excess() -> dict[str, tuple[float, str, float]]:
    """label -> (mean excess over the real images' overlap in points, the class
    where it is largest, that excess), from synthetic_overlap.json."""
    import synthetic_overlap

    data = _read_json(OVERLAP)
    if not data.get("rows"):
        return {}
    cols, means = synthetic_overlap.class_means(data)
    if synthetic_overlap.REAL not in means:
        return {}
    real = means.pop(synthetic_overlap.REAL)[1]
    out = {}
    for label, (_, per) in means.items():
        d = [a - b for a, b in zip(per, real, strict=True)]
        worst = max(range(len(cols)), key=lambda i: d[i])
        out[label] = (float(np.nanmean(d)), data["class_names"][cols[worst]], d[worst])
    return out


def _deepsmote_sections(cfg: dict) -> list[str]:
    """Study sections that train on fmnist-deepsmote, longest budget first."""
    names = [
        s for s in cfg["splits"] if study.train_split(cfg, s) == "fmnist-deepsmote"
    ]
    return sorted(names, key=lambda s: -cfg["splits"][s]["steps"])


def _why(
    section: str, table: dict, headline: dict, groups: dict, reported: list
) -> str:
    """Where the best SMOTE-based recipe loses to (or beats) over-sampling, and
    how both compare with DeepSMOTE's reported numbers, from the runs."""
    scores = headline.get((section, "test"), {})
    smote = _best_of(scores, groups, SMOTE_GROUPS, _smote_pred)
    out = ["\n#### Why, as far as the runs show\n"]
    if smote and "ros" in table:
        names = table["ros"][0].class_names
        diffs = []
        for c, name in enumerate(names):
            a = mean_std(recall_values(table["ros"], "test", c))[0]
            b = mean_std(recall_values(table[smote[0]], "test", c))[0]
            diffs.append((a - b, name, a, b))
        diffs.sort(reverse=True)
        big = [d for d in diffs if abs(d[0]) >= 2.0]
        if big:
            out.append(
                f"Per-class recall on the official test set, `ros` against "
                f"`{smote[0]}` (means over their seeds), classes that differ by 2 "
                "points or more: "
                + "; ".join(f"{n} {a:.1f} vs {b:.1f}" for _, n, a, b in big)
                + "."
            )
        p_ros = mean_std([passes(r) for r in table["ros"]])[0]
        p_none = mean_std([passes(r) for r in table.get("none", [])])[0]
        late = total = 0
        for recipe, runs in table.items():
            if groups.get(recipe) != "loss":
                continue
            for r in runs:
                total += 1
                late += int(r.results.get("best_epoch") or 0) >= len(r.history) - 1
        if math.isfinite(p_ros) and math.isfinite(p_none):
            out.append(
                f"\nAt the same step budget a balanced training set is gone over "
                f"{p_ros:.1f} times, the imbalanced one {p_none:.1f} times (table "
                "column `passes`). The loss-side runs train on the imbalanced set; "
                f"in {late} of {total} of them the kept (best-validation) epoch is "
                "the last or the one before"
                + (
                    ", i.e. they were still improving when the budget ran out: "
                    "this ranking is that of a short budget."
                    if total and late / total >= 0.5
                    else "."
                )
            )
    tried = [
        r
        for r in scores
        if r != "smote" and groups.get(r) in SMOTE_GROUPS - {"imblearn"}
    ]
    if "smote" in scores and tried:
        base = scores["smote"]
        out.append(
            f"\nTried to improve on plain `smote` ({base[0]:.1f} % ACSA, "
            f"n = {base[2]}), official test, ACSA change against it: "
            + "; ".join(
                f"`{r}` {scores[r][0] - base[0]:+.1f} (n = {scores[r][2]})"
                for r in sorted(tried, key=lambda r: -scores[r][0])
            )
            + "."
        )
        if any(":aug=" in r for r in tried):
            out.append(
                "The mixing augmentations (MixUp, CutMix, SamplePairing) are "
                "usually trained for far more passes than this budget's; their rows "
                "measure them at this budget only."
            )
    for test, col in (("test-imbalanced", 0), ("test", 1)):
        sc = headline.get((section, test), {})
        if not sc or not reported:
            continue
        best_r = max(sc, key=lambda r: sc[r][0])
        deep = [row for row in reported if row[0].lower().startswith("deepsmote")]
        if deep:
            ref = deep[0][1 + col][0]
            star = "" if col == 0 else " (their balanced test is not ours, see above)"
            rel = "above" if sc[best_r][0] >= ref else "below"
            out.append(
                f"\nOn `{test}` our best recipe `{best_r}` "
                f"({sc[best_r][0]:.1f} % ACSA) is {rel} DeepSMOTE's reported "
                f"{ref:.2f} %{star}."
            )
    return "\n".join(out)


def _figure_recipes(table: dict, scores: dict, groups: dict) -> list[str]:
    pick = [r for r in ("none", "ros") if r in table]
    for kinds, pred in (
        ({"loss"}, None),
        (SMOTE_GROUPS, _smote_pred),
    ):
        b = _best_of(scores, groups, kinds, pred)
        if b and b[0] not in pick:
            pick.append(b[0])
    return pick


def _imbalance(by_split: dict) -> str:
    """'3600 down to 36 training images per class' from a run's config."""
    for runs in by_split.get("fmnist-deepsmote", {}).values():
        counts = runs[0].config.get("train_counts_before")
        if counts:
            return (
                f"{max(counts)} down to {min(counts)} training images per class "
                "after the validation hold-out"
            )
    return "the fmnist-deepsmote split"


def _which_method(headline: dict, groups: dict, by_split: dict, cfg: dict) -> str:
    out = ["## Which method should I use?\n"]
    sections = [s for s in _deepsmote_sections(cfg) if headline.get((s, "test"))]
    if not sections:
        out.append("No benchmark results yet; see docs/benchmarks.md.")
        return "\n".join(out)
    main = sections[0]  # the longest budget with results
    scores = headline[(main, "test")]
    steps = cfg["splits"][main]["steps"]
    ranked = sorted(scores.items(), key=lambda kv: -kv[1][0])
    n_planned = len(study.section_matrix(cfg, main))
    out.append(
        f"On Fashion-MNIST with DeepSMOTE's imbalance ({_imbalance(by_split)}), "
        f"a `{cfg['model']}` trained for {steps} steps with each recipe "
        f"ranked as follows on the official test set (ACSA, mean ± std over "
        f"seeds; {len(ranked)} of the {n_planned} recipes of this budget run):\n"
    )
    for r, (m, sd, n) in ranked:
        spread = f" ± {sd:.1f}" if n > 1 else ""
        out.append(f"- `{r}`: {m:.1f}{spread} % (n = {n} seed{'s' if n > 1 else ''})")
    loss = _best_of(scores, groups, {"loss"})
    smote = _best_of(scores, groups, SMOTE_GROUPS, _smote_pred)
    ros = _best_of(scores, groups, {"baseline"}, lambda r: r == "ros")
    out.append("")
    advice = []
    simple = sorted([b for b in (ros, loss) if b], key=lambda b: -b[1][0])
    if simple:
        names = {"ros": "random over-sampling"}
        first = simple[0]
        text = (
            f"Start with the best one-line baseline here, "
            f"{names.get(first[0], 'the loss-side method')} {_describe(first)}"
        )
        if len(simple) > 1:
            other = simple[1]
            text += (
                f"; {names.get(other[0], 'the best loss-side method')} "
                f"{_describe(other)} reached less"
            )
        advice.append(text + ".")
    if smote:
        top = simple[0] if simple else None
        verdict = _compare(smote, top) if top else "worse"
        if verdict == "better":
            advice.append(
                f"SMOTE on images ({_describe(smote)}) beat it; use it when the "
                "tail classes matter most."
            )
        elif verdict == "level":
            advice.append(
                f"The best SMOTE on images ({_describe(smote)}) was level with it "
                "(within seed noise, or on too few seeds to tell); it is a "
                "reasonable alternative, not a clear improvement."
            )
        else:
            advice.append(
                f"SMOTE on images ({_describe(smote)}) did not beat it; reach for "
                "it after the one-line baselines, not instead."
            )
    out.append(" ".join(advice))
    if len(sections) > 1:
        screen = sections[-1]
        sc = headline[(screen, "test")]
        top = sorted(sc.items(), key=lambda kv: -kv[1][0])[:4]
        out.append(
            f"\nThe shorter screen ({cfg['splits'][screen]['steps']} steps, "
            f"{len(sc)} recipes: every sampler in pixel and PCA neighbour space, "
            "loss-side methods, mixing augmentations) ranked "
            + ", ".join(
                f"`{r}` {m:.1f}" + (f" ± {sd:.1f}" if n > 1 else "") + f" (n = {n})"
                for r, (m, sd, n) in top
            )
            + " on top."
        )
    far = {k: v for k, v in _overlap_excess().items() if v[0] >= 10}
    if far and len(sections) > 1:
        sc = headline[(sections[-1], "test")]
        parts = []
        for label, (mean, _, _) in far.items():
            # the overlap script's name for imbalanced-learn on uint8 pixels
            recipe = {"imblearn-naive": "imblearn-smote"}.get(label, label)
            acsa = f", {sc[recipe][0]:.1f} % in the screen" if recipe in sc else ""
            parts.append(f"`{recipe}` (+{mean:.0f} points{acsa})")
        out.append(
            "\nAvoid samplers that place their images in other classes' territory "
            "on images like these: " + ", ".join(parts) + " -- the share of their "
            "synthetic images whose nearest real image is of another class, above "
            "the real images' own (`benchmarks/synthetic_overlap.py`)."
        )
    mine = [b[0] for b in (ros, smote, loss) if b]
    if mine:
        out.append(
            "\nOn your own data, compare these on your validation split: "
            f"`pixsmote bench --train <your data> --recipes {','.join(mine)}`."
        )
    out.append(
        "\nFull tables, per-class recall, curves and the resampling cost: "
        "[docs/benchmarks.md](docs/benchmarks.md). Differences of a point or "
        "two are within seed noise."
    )
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
