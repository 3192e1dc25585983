"""The README's "Which method should I use?" paragraph, from the same runs as
docs/benchmarks.md, and its placement between the README's markers."""

from __future__ import annotations

from pathlib import Path

import study
from _study import rank, verdicts
from _study.load import Study, optional_json

__all__ = ["MARKERS", "update_readme", "which_method"]

#: README's "Which method should I use?" body sits between these markers and is
#: rewritten from the runs with the report, so it carries no hand-typed number.
MARKERS = ("<!-- which-method:start -->", "<!-- which-method:end -->")


def update_readme(readme: Path, which: str) -> bool:
    """Put `which` (less its heading) between README's markers, if it has them."""
    if not readme.is_file():
        return False
    text = readme.read_text()
    start, end = MARKERS
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        return False
    body = which.split("\n", 1)[1].strip("\n")
    new = text[: i + len(start)] + "\n" + body + "\n" + text[j:]
    if new != text:
        readme.write_text(new)
    return True


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


def which_method(s: Study, headline: dict) -> str:
    """The README's "Which method should I use?" section, from the runs."""
    groups, by_split, cfg = s.groups, s.by_split, s.cfg
    out = ["## Which method should I use?\n"]
    sections = [
        sec for sec in verdicts.deepsmote_sections(cfg) if headline.get((sec, "test"))
    ]
    if not sections:
        out.append("No benchmark results yet; see docs/benchmarks.md.")
        return "\n".join(out)
    main = sections[0]  # the longest budget with results
    scores = headline[(main, "test")]
    steps = cfg["splits"][main]["steps"]
    ranked = sorted(scores.items(), key=lambda kv: -kv[1][0])
    n_planned = len(study.section_matrix(cfg, main, s.results))
    out.append(
        f"On Fashion-MNIST with DeepSMOTE's imbalance ({_imbalance(by_split)}), "
        f"a `{cfg['model']}` trained for {steps} steps with each recipe "
        f"ranked as follows on the official test set (ACSA, mean ± std over "
        f"seeds; {len(ranked)} of the {n_planned} recipes of this budget run):\n"
    )
    for r, (m, sd, n) in ranked:
        spread = f" ± {sd:.1f}" if n > 1 else ""
        out.append(f"- `{r}`: {m:.1f}{spread} % (n = {n} seed{'s' if n > 1 else ''})")
    bests = rank.headline_bests(scores, groups)
    loss, ros = bests["loss"], bests["ros"]
    out.append("")
    advice = []
    simple, smote, verdict = rank.advice(scores, groups)
    if simple:
        names = {"ros": "random over-sampling"}
        first = simple[0]
        text = (
            f"Start with the best one-line baseline here, "
            f"{names.get(first[0], 'the loss-side method')} {verdicts.describe(first)}"
        )
        if len(simple) > 1:
            other = simple[1]
            text += (
                f"; {names.get(other[0], 'the best loss-side method')} "
                f"{verdicts.describe(other)} reached less"
            )
        advice.append(text + ".")
    if smote:
        best = verdicts.describe(smote)
        if verdict == "better":
            advice.append(
                f"SMOTE on images ({best}) beat it; use it when the "
                "tail classes matter most."
            )
        elif verdict == "level":
            advice.append(
                f"The best SMOTE on images ({best}) was level with it "
                "(within seed noise, or on too few seeds to tell); it is a "
                "reasonable alternative, not a clear improvement."
            )
        else:
            advice.append(
                f"SMOTE on images ({best}) did not beat it; reach for "
                "it after the one-line baselines, not instead."
            )
    two = rank.best_of(scores, groups, {"two-stage"})
    if two and simple:
        gain = two[1][0] - simple[0][1][0]
        phrase = {
            "better": f"beat it beyond seed noise ({gain:+.1f} points)",
            "level": f"was level with it ({gain:+.1f} points, within seed noise "
            "or on too few seeds)",
            "worse": f"fell short of it ({gain:+.1f} points)",
        }[rank.compare(two, simple[0])]
        advice.append(
            "Retraining only the classifier head on the frozen backbone "
            "(two-stage recipes: `crt` draws real penultimate features "
            "class-balanced, `feature-<sampler>` and `eos` add synthetic "
            "features, `:backbone=ros` trains the backbone on over-sampled "
            f"images first): the best, {verdicts.describe(two)}, {phrase}, "
            "for a feature pass "
            "and a few head epochs more (seconds on this data)."
        )
    out.append(" ".join(advice))
    verdict_text = verdicts.synthesis_verdict(scores).strip()
    if verdict_text:
        out.append("\n" + verdict_text)
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
    overlap = optional_json(s.bench_results / "synthetic_overlap.json")
    far = {k: v for k, v in verdicts.overlap_excess(overlap).items() if v[0] >= 10}
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
    mine = list(dict.fromkeys(b[0] for b in (ros, two, smote, loss) if b))
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
