"""The sentences of the study report that judge: the ranking of SMOTE
against the baselines, the balanced-data reference, why one recipe beat
another, where synthetic images land. Decisions come from :mod:`.rank`; the
text here only states them with their numbers."""

from __future__ import annotations

import math

import numpy as np

import study
import synthetic_overlap
from _study import rank
from _study.load import Study, optional_json, passes, recall_values
from pixsmote.report import mean_std

__all__ = [
    "deepsmote_sections",
    "describe",
    "head_diagnostic_section",
    "paired_heads_section",
    "pooled_seeds",
    "overlap_excess",
    "overlap_section",
    "real_data_section",
    "ranking",
    "synthesis_verdict",
    "reference",
    "why",
]


def describe(best) -> str:
    r, (m, s, n) = best
    spread = f" ± {s:.1f}" if n > 1 else ""
    return f"`{r}` ({m:.1f}{spread} % ACSA, n = {n})"


def synthesis_verdict(scores: dict) -> str:
    """The study's goal in one paragraph: the best synthesis recipe against
    the best non-synthetic one (none, ros, rus, loss-side, ``crt``, any
    deferred recipe; :func:`rank.is_synthetic`), with the gap."""
    synth, rest, gap = rank.synthesis_vs_rest(scores)
    if synth is None or rest is None:
        return ""
    margin = rank.SYNTHESIS_MARGIN
    text = (
        f"\n**Best synthesis recipe vs best non-synthetic recipe**: "
        f"{describe(synth)} vs {describe(rest)}: gap "
        # Two decimals where one would print a signless-looking "+0.0" beside
        # a verdict that depends on the sign.
        f"**{gap:+.{2 if abs(gap) < 0.05 else 1}f} points**. "
    )
    if gap >= margin and rank.compare(synth, rest) == "better":
        text += f"Synthesis wins by at least {margin:.1f} point, beyond seed noise."
    elif gap >= margin:
        text += (
            f"Above the {margin:.1f}-point goal, but within seed noise or on too "
            "few seeds to rank."
        )
    elif gap >= 0:
        text += f"Synthesis is ahead, by less than the {margin:.1f}-point goal."
    else:
        text += "**A non-synthetic recipe wins.**"
    # The rule above counts every crt as a baseline. Where a crt on a
    # synthesis backbone is what sets the bar, say the other reading too.
    synth2, rest2, gap2 = rank.synthesis_vs_rest(scores, crt_by_backbone=True)
    if rest2 is not None and gap2 is not None and rest2[0] != rest[0]:
        text += (
            " That `crt` trains its stage 1 on synthetic images. Counting a "
            "`crt` by its stage 1 instead (on a synthesis backbone it is "
            f"synthesis), the best non-synthetic recipe is {describe(rest2)}, "
            f"against {describe(synth2)}: gap "
            f"**{gap2:+.{2 if abs(gap2) < 0.05 else 1}f} points**."
        )
    return text


def ranking(scores: dict, groups: dict) -> str:
    """Sentences comparing the best SMOTE-based recipe with the baselines."""
    if not scores:
        return ""
    bests = rank.headline_bests(scores, groups)
    none, ros, loss = bests["none"], bests["ros"], bests["loss"]
    smote, pix = bests["smote"], bests["pixsmote"]
    lines = ["On the official (balanced) Fashion-MNIST test set:\n"]
    for name, b in (
        ("no balancing", none),
        ("random over-sampling", ros),
        ("best loss-side method", loss),
        ("best SMOTE-based recipe (any implementation)", smote),
        ("best pixsmote recipe", pix),
    ):
        lines.append(f"- {name}: " + (describe(b) if b else "not run yet"))
    simple = [b for b in (ros, loss) if b]
    if smote and simple:
        top = max(simple, key=lambda b: b[1][0])
        gap = smote[1][0] - top[1][0]
        if rank.compare(smote, top) == "level":
            verdict = (
                f"\nThe best SMOTE-based recipe and the best simple baseline "
                f"{describe(top)} are **level** (difference {gap:+.1f} points, "
                "within seed noise or on too few seeds to rank)."
            )
        elif gap >= 0:
            verdict = (
                f"\nThe best SMOTE-based recipe is **{gap:.1f} points above** the best "
                f"simple baseline {describe(top)}."
            )
        else:
            verdict = (
                f"\n**A simple baseline wins**: {describe(top)} is {-gap:.1f} points "
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
        bar = rank.TARGET_ACSA
        met = pix[1][0] >= bar
        lines.append(
            f"\nThe target of docs/protocol.md (best pixsmote recipe ≥ {bar:.0f} % "
            "ACSA on the "
            f"official test set) is **{'met' if met else 'not met'}** by this "
            f"budget: {describe(pix)}."
        )
    return "\n".join(lines)


def pooled_seeds(s: Study, section: str, headline: dict, test: str = "test") -> str:
    """The synthesis verdict's pairs again on every seed of `section` and of the
    sections that extend it with more seeds (``extends`` in study.toml): the
    best synthesis recipe of `section` against its best non-synthetic recipe
    under both readings and against ``ros``, paired by seed."""
    exts = study.extensions(s.cfg, section)
    scores = headline.get((section, test), {})
    synth, rest, _ = rank.synthesis_vs_rest(scores)
    _, rest2, _ = rank.synthesis_vs_rest(scores, crt_by_backbone=True)
    if not exts or synth is None:
        return ""

    def by_seed(recipe: str) -> dict[int, float]:
        out: dict[int, float] = {}
        for sec in (section, *exts):
            for run in s.by_split.get(sec, {}).get(recipe, []):
                v = run.tests.get(test, {}).get("acsa")
                if v is not None and run.seed is not None:
                    out[int(run.seed)] = 100.0 * float(v)
        return out

    others = [r for r in (rest and rest[0], rest2 and rest2[0], "ros") if r]
    others = list(dict.fromkeys(o for o in others if o != synth[0]))
    mine = by_seed(synth[0])
    rows = []
    for other in others:
        p = rank.paired_gap(mine, by_seed(other))
        if p is None:
            continue
        n = len(p.seeds)
        rows.append(
            f"| `{other}` | {n} ({', '.join(map(str, p.seeds))}) | "
            f"{p.mean:+.2f} ± {p.sd:.2f} | "
            + ", ".join(f"{d:+.2f}" for d in p.diffs)
            + f" | {p.ahead} of {n} | "
            + (f"{p.t:.1f}" if p.t is not None else "–")
            + " |"
        )
    if not rows:
        return ""
    names = ", ".join(f"`{e}`" for e in exts)
    return (
        f"\n**Pooled over the seeds of {names}**: `{synth[0]}` minus each recipe "
        "below, official-test ACSA points, paired by seed (seed *s* trains on "
        "the split drawn with *s*, for both recipes of a pair).\n\n"
        "| against | seeds | mean ± sd | per seed | ahead | paired t |\n"
        "|:---|:---|---:|:---|---:|---:|\n" + "\n".join(rows) + "\n"
    )


def reference(cfg: dict, section: str, headline: dict) -> str:
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


def head_diagnostic_section(s: Study) -> str:
    """Head against representation (benchmarks/head_retraining_diagnostic.py),
    if it was run (not its ``--quick`` smoke run)."""
    path = s.bench_results / "head_retraining_diagnostic.json"
    data = optional_json(path)
    if not data.get("rows") or data.get("quick"):
        return ""
    acsa = {
        (r["backbone"], r["head"]): 100 * r["test_acsa"]["test"] for r in data["rows"]
    }
    lines = [
        "### Where the gap is: the head or the representation\n",
        f"From `{s.path_label(path)}` (`OMP_NUM_THREADS=1 python "
        "benchmarks/head_retraining_diagnostic.py`; one seed, "
        f"{data['steps']} stage-1 steps, head {data['head_epochs']} epochs at lr "
        f"{data['head_lr']}, its epoch chosen on validation ACSA): a `small-cnn` "
        "backbone trained on the imbalanced split or on `fmnist-balanced` (the "
        "same number of images, 900 per class), then only its head retrained "
        "on frozen penultimate features of the imbalanced training images. "
        "Test columns are ACSA on fmnist-deepsmote's test sets.\n",
        data["table"],
        "",
    ]
    a0 = acsa.get(("imbalanced", "stage 1 alone"))
    a = acsa.get(("imbalanced", "class-balanced real features (cRT)"))
    b0 = acsa.get(("balanced", "stage 1 alone"))
    b = acsa.get(("balanced", "imbalanced real features"))
    bc = acsa.get(("balanced", "class-balanced real features (cRT)"))
    if None not in (a0, a, b0, b, bc):
        lines.append(
            f"(a) On the imbalanced backbone a class-balanced head takes the "
            f"official-test ACSA from {a0:.1f} to {a:.1f} % ({a - a0:+.1f}): the "
            f"share a head-side method can recover. (b) The balanced backbone "
            f"reaches {b0:.1f} % alone, {bc:.1f} % with a class-balanced head and "
            f"{b:.1f} % with a head fitted to the imbalanced features (an "
            f"imbalanced head costs {b0 - b:.1f} points even on a good "
            f"representation). With a balanced head on both, the balanced "
            f"representation is worth **{bc - a:+.1f} points**: the part of the "
            "gap that no head-side recipe (`crt`, `feature-<sampler>`, `eos`) "
            "can close, only a better stage 1.\n"
        )
    return "\n".join(lines)


def paired_heads_section(s: Study) -> str:
    """Head-side recipes on the same backbones
    (benchmarks/head_resampling_paired.py), one part per stage-1 recipe it was
    run on (``head_resampling_paired*.json``; the ``ros`` one first), if it was
    run (not ``--quick``)."""
    default = s.bench_results / "head_resampling_paired.json"
    paths = sorted(
        s.bench_results.glob("head_resampling_paired*.json"),
        key=lambda p: (p != default, p.name),
    )
    parts = [part for p in paths if (part := _paired_part(s, p, p == default))]
    if not parts:
        return ""
    lines = [
        "### Head-side recipes on the same backbones\n",
        "From `benchmarks/head_resampling_paired.py`: for each seed one of the "
        "study's cached stage-1 backbones is frozen and only the head "
        "retrained, once per recipe, so the last column compares heads on one "
        "representation, free of the backbones' seed noise. Test is the "
        "official test set. The backbones are the cache's; a backbone trained "
        "again on another CPU model differs slightly (its float kernels do), "
        "which is why a seed's row here can differ from the study's table.\n",
    ]
    return "\n".join(lines + parts)


def _paired_part(s: Study, path, default: bool) -> str:
    data = optional_json(path)
    if not data.get("per_seed") or data.get("quick"):
        return ""
    seeds = data["seeds"]
    heads = list(data["per_seed"][0]["heads"])
    command = data.get("command")
    if command is None:  # written before the script recorded its command
        command = "OMP_NUM_THREADS=1 python benchmarks/head_resampling_paired.py"
        if not default:
            command += f" --stage1 '{data['stage1']}' --out {s.path_label(path)}"
    last = data.get("keep") == "last"
    kept = (
        "the last head epoch tested, on backbones that kept their last epoch "
        "(`--keep last`)"
        if last
        else "epoch chosen on validation ACSA"
    )
    lines = [
        f"#### On the `{data['stage1']}` backbone"
        + (" (last epochs kept)" if last else "")
        + "\n",
        f"From `{s.path_label(path)}` (`{command}`): {data['steps']} stage-1 "
        f"steps, head {data['head_epochs']} epochs at lr {data['head_lr']}, "
        f"{kept}; seeds {', '.join(map(str, seeds))}.\n",
        data["table"],
        "",
    ]
    diffs = {
        h: [100 * (r["heads"][h]["test_acsa"] - r["heads"][heads[0]]["test_acsa"])
            for r in data["per_seed"]]
        for h in heads[1:]
    }  # fmt: skip
    if diffs:
        best = max(diffs, key=lambda h: sum(diffs[h]))
        mean = sum(diffs[best]) / len(diffs[best])
        verdict = (
            " A head trained on synthetic features between (or beyond) the "
            "backbone's own training features does not add what a balanced "
            "representation has."
            if mean < 0.5
            else ""
        )
        lines.append(
            f"Best other head against `{heads[0]}` on the same backbones: "
            f"`{best}`, {mean:+.2f} points on average over {len(seeds)} "
            f"seed(s).{verdict}\n"
        )
    return "\n".join(lines)


def real_data_section(s: Study) -> str:
    """What new real images of the small classes add
    (benchmarks/real_data_value.py), if it was run (not ``--quick``)."""
    path = s.bench_results / "real_data_value.json"
    data = optional_json(path)
    if not data.get("runs") or data.get("quick"):
        return ""
    runs = data["runs"]
    anchor = {r["seed"]: r["test_acsa"]["test"] for r in runs if r["factor"] == 1}
    gains = {
        f: [100 * (r["test_acsa"]["test"] - anchor[r["seed"]])
            for r in runs if r["factor"] == f and r["seed"] in anchor]
        for f in data["factors"] if f != 1
    }  # fmt: skip
    gains = {f: g for f, g in gains.items() if g}
    command = data.get("command") or (  # written before it recorded its command
        "OMP_NUM_THREADS=1 python benchmarks/real_data_value.py --factors "
        f"{','.join(map(str, data['factors']))} --seeds "
        f"{','.join(map(str, data['seeds']))} --jobs 2"
    )
    lines = [
        "### What real images of the small classes would add\n",
        f"From `{s.path_label(path)}` (`{command}`): `{data['recipe']}` "
        f"(copies up to the largest class), `{data['model']}`, {data['steps']} "
        "steps, the last epoch kept, on the split with every class below the "
        "mean training count per class topped up to *m* times its count (at "
        "most that mean) with real Fashion-MNIST training images the split did "
        "not use; ×1 is the split itself, run alongside as the anchor. A "
        "synthesiser works from the split's own images, so it can add at most "
        "what new real images of the class would.\n",
        data["table"],
        "",
    ]
    if gains:
        means = {f: sum(g) / len(g) for f, g in gains.items()}
        said = ", ".join(f"×{f} {m:+.2f}" for f, m in sorted(means.items()))
        enough = [f for f in sorted(means) if means[f] >= 1.0]
        bound = (
            f"a recipe 1.0 point above `{data['recipe']}` would have to be worth "
            f"as much as ×{enough[0]} real images of every small class"
            if enough
            else "no top-up run here is worth 1.0 point over it, so a recipe 1.0 "
            f"point above `{data['recipe']}` would have to be worth more than "
            f"×{max(means)} real images of every small class"
        )
        lines.append(
            f"Real top-ups against the split, test ACSA, mean over seeds "
            f"{', '.join(map(str, data['seeds']))}: {said} points; {bound}.\n"
        )
    return "\n".join(lines)


def overlap_section(s: Study) -> str:
    """Where synthetic images land (benchmarks/synthetic_overlap.py), if run."""
    path = s.bench_results / "synthetic_overlap.json"
    data = optional_json(path)
    if not data.get("rows"):
        return ""
    lines = [
        "### Where the synthetic images land\n",
        f"From `{s.path_label(path)}` (`{data.get('command')}`): the "
        "share (%) of images whose nearest real training image, by pixel "
        "distance, is of **another class** -- for real images leaving out "
        "themselves, for synthetic images leaving out their two parents. Rows "
        "are means over split seeds; columns the over-sampled classes (training "
        "count).\n",
        synthetic_overlap.table(data),
        "",
    ]
    excess = overlap_excess(data)
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
    if any(r.get("from_base") for r in data["rows"]):
        lines += [
            "How far a synthetic image moves from its base image (pixel L2 "
            "distance, grey levels; mean per class over the split seeds): the "
            "new variety each class gets. With a synthetic share the largest "
            "class gets synthetic images too.\n",
            synthetic_overlap.spread_table(data),
            "",
        ]
    return "\n".join(lines)


def overlap_excess(data: dict) -> dict[str, tuple[float, str, float]]:
    """label -> (mean excess over the real images' overlap in points, the class
    where it is largest, that excess), from synthetic_overlap.json's `data`."""
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


def deepsmote_sections(cfg: dict) -> list[str]:
    """Study sections that train on fmnist-deepsmote, longest budget first
    (not the sections that only add seeds to another: :func:`pooled_seeds`
    reads those)."""
    names = [
        s
        for s in cfg["splits"]
        if study.train_split(cfg, s) == "fmnist-deepsmote"
        and "extends" not in cfg["splits"][s]
    ]
    return sorted(names, key=lambda s: -cfg["splits"][s]["steps"])


def why(
    section: str, table: dict, headline: dict, groups: dict, reported: list
) -> str:
    """Where the best SMOTE-based recipe loses to (or beats) over-sampling, and
    how both compare with DeepSMOTE's reported numbers, from the runs."""
    scores = headline.get((section, "test"), {})
    smote = rank.best_of(scores, groups, rank.SMOTE_GROUPS, rank.is_smote)
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
        if r != "smote" and groups.get(r) in rank.PIXSMOTE_GROUPS
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
