"""The study report's decisions (benchmarks/_study/rank.py) are pure functions."""

import math

import pytest

from _study import rank

GROUPS = {
    "none": "baseline",
    "ros": "baseline",
    "rus": "baseline",
    "none:loss=focal": "loss",
    "smote": "pixsmote",
    "svm-smote": "pixsmote",
    "imblearn-smote": "imblearn",
    "online-smote": "online",
}


def test_best_of_takes_the_highest_mean_of_the_kinds_with_runs():
    scores = {
        "smote": (80.0, 1.0, 3),
        "svm-smote": (82.0, 1.0, 3),
        "imblearn-smote": (90.0, 1.0, 3),
        "online-smote": (95.0, math.nan, 0),  # no finished run: never best
    }
    assert rank.best_of(scores, GROUPS, rank.SMOTE_GROUPS) == (
        "imblearn-smote",
        (90.0, 1.0, 3),
    )
    assert rank.best_of(scores, GROUPS, rank.PIXSMOTE_GROUPS)[0] == "svm-smote"
    assert rank.best_of(scores, GROUPS, {"loss"}) is None
    assert rank.best_of(scores, GROUPS, rank.SMOTE_GROUPS, lambda r: "svm" in r)[
        0
    ] == "svm-smote"


def test_compare_needs_three_seeds_and_a_gap_beyond_two_std():
    a = ("a", (85.0, 0.5, 3))
    assert rank.compare(a, ("b", (80.0, 0.5, 3))) == "better"
    assert rank.compare(a, ("b", (90.0, 0.5, 3))) == "worse"
    assert rank.compare(a, ("b", (80.0, 0.5, 2))) == "level"  # too few seeds
    assert rank.compare(a, ("b", (82.0, 2.0, 3))) == "level"  # within 2 std
    assert rank.compare(a, ("b", (84.2, 0.1, 3))) == "level"  # under 1 point


def test_is_smote_excludes_the_random_samplers():
    assert rank.is_smote("smote") and rank.is_smote("svm-smote:k_neighbors=3")
    assert not rank.is_smote("ros") and not rank.is_smote("rus:aug=mixup")


def test_headline_bests_and_figure_recipes():
    scores = {
        "none": (70.0, 1.0, 3),
        "ros": (80.0, 1.0, 3),
        "none:loss=focal": (75.0, 1.0, 3),
        "smote": (78.0, 1.0, 3),
        "imblearn-smote": (79.0, 1.0, 3),
    }
    bests = rank.headline_bests(scores, GROUPS)
    assert {k: b and b[0] for k, b in bests.items()} == {
        "none": "none",
        "ros": "ros",
        "loss": "none:loss=focal",
        "smote": "imblearn-smote",
        "pixsmote": "smote",
    }
    assert rank.figure_recipes(list(scores), scores, GROUPS) == [
        "none",
        "ros",
        "none:loss=focal",
        "imblearn-smote",
    ]
    assert rank.order_by_mean(scores) == [
        "ros",
        "imblearn-smote",
        "smote",
        "none:loss=focal",
        "none",
    ]


def test_advice_compares_smote_with_the_best_one_line_baseline():
    scores = {
        "ros": (80.0, 0.5, 3),
        "none:loss=focal": (76.0, 0.5, 3),
        "smote": (84.0, 0.5, 3),
    }
    simple, smote, verdict = rank.advice(scores, GROUPS)
    assert [b[0] for b in simple] == ["ros", "none:loss=focal"]
    assert smote[0] == "smote" and verdict == "better"
    scores["smote"] = (80.5, 0.5, 3)
    assert rank.advice(scores, GROUPS)[2] == "level"
    scores["smote"] = (70.0, 0.5, 3)
    assert rank.advice(scores, GROUPS)[2] == "worse"
    assert rank.advice({"ros": (80.0, 0.5, 3)}, GROUPS)[1:] == (None, None)
    # no baseline finished: SMOTE cannot be said to beat anything
    assert rank.advice({"smote": (80.0, 0.5, 3)}, GROUPS)[2] == "worse"


def test_is_synthetic_classifies_the_learned_space_and_deferred_recipes():
    synthetic = [
        "smote", "borderline1", "svm-smote", "online-smote", "imblearn-smote",
        "feature-smote", "feature-smote:backbone=ros", "eos", "eos:backbone=ros",
        "deepsmote", "online-deepsmote:penalty_mode=released", "smote:aug=remix",
        "ros:feature_aug=gaussian-pooled", "none:feature_aug=gaussian",
        "online-svm-smote:synthetic_share=0.5,feature_aug=gaussian",
    ]  # fmt: skip
    not_synthetic = [
        "none", "ros", "rus", "undersample", "none:loss=logit-adjusted",
        "none:loss=ldam-drw", "crt", "crt:backbone=ros", "crt:backbone=smote",
        "ros:defer=0.75", "smote:defer=0.75", "online-smote:defer=0.75",
        "feature-smote:defer=0.5", "ros:aug=remix", "ros:feature_aug=none",
        "ros:feature_aug=gaussian,defer=0.5",
        "crt:backbone=ros(feature_aug=gaussian)",
    ]  # fmt: skip
    assert [r for r in synthetic if not rank.is_synthetic(r)] == []
    assert [r for r in not_synthetic if rank.is_synthetic(r)] == []
    # The other reading: a crt counts as its backbone does.
    by_backbone = {
        "crt": False, "crt:backbone=ros": False, "crt:backbone=smote": True,
        "crt:backbone=online-svm-smote(synthetic_share=0.5)": True,
        "crt:backbone=smote,defer=0.5": False, "feature-smote": True, "ros": False,
        "crt:backbone=ros(feature_aug=gaussian)": True,
    }  # fmt: skip
    got = {r: rank.is_synthetic(r, crt_by_backbone=True) for r in by_backbone}
    assert got == by_backbone


def test_synthesis_vs_rest_states_the_gap():
    from _study import verdicts

    scores = {
        "ros": (86.5, 0.9, 3),
        "crt:backbone=ros": (87.1, 0.3, 3),
        "smote:defer=0.75": (88.0, 0.3, 3),  # deferred: a baseline
        "feature-smote": (87.6, 0.2, 3),
        "eos": (90.0, math.nan, 0),  # no finished run
    }
    synth, rest, gap = rank.synthesis_vs_rest(scores)
    assert synth[0] == "feature-smote" and rest[0] == "smote:defer=0.75"
    assert gap == pytest.approx(-0.4)
    text = verdicts.synthesis_verdict(scores)
    assert "-0.4 points" in text and "non-synthetic recipe wins" in text
    scores["eos"] = (89.5, 0.2, 3)
    text = verdicts.synthesis_verdict(scores)
    assert "`eos`" in text and "+1.5 points" in text and "Synthesis wins" in text
    tiny = verdicts.synthesis_verdict({"crt": (86.9, 0.6, 3), "eos": (86.87, 0.5, 3)})
    assert "-0.03 points" in tiny and "non-synthetic recipe wins" in tiny
    assert "stage 1" not in text  # the bar is not a crt on synthesis
    # A crt on a synthesis backbone sets the bar: both readings are said.
    tied = {
        "crt:backbone=ros": (86.87, 0.6, 3),
        "crt:backbone=online-svm-smote(synthetic_share=0.5)": (87.34, 0.6, 3),
        "online-svm-smote:synthetic_share=0.5": (87.35, 0.2, 3),
    }
    text = verdicts.synthesis_verdict(tied)
    assert "gap **+0.01 points**" in text and "by less than" in text
    assert "Counting a `crt` by its stage 1" in text
    assert "`crt:backbone=ros` (86.9 ± 0.6" in text and "gap **+0.5 points**" in text
    assert rank.synthesis_vs_rest(tied, crt_by_backbone=True)[0][0] == (
        "online-svm-smote:synthetic_share=0.5"
    )
    assert rank.synthesis_vs_rest({"ros": (80.0, 1.0, 3)})[2] is None
    assert verdicts.synthesis_verdict({"ros": (80.0, 1.0, 3)}) == ""


def test_paired_gap_pairs_by_seed_and_ignores_unshared_seeds():
    a = {0: 87.0, 1: 88.0, 2: 86.0, 3: 90.0}
    b = {0: 86.0, 1: 86.0, 2: 86.5, 5: 10.0}
    p = rank.paired_gap(a, b)
    assert p.seeds == [0, 1, 2] and p.ahead == 2
    assert p.diffs == pytest.approx([1.0, 2.0, -0.5])
    assert p.mean == pytest.approx(2.5 / 3)
    sd = math.sqrt(sum((d - 2.5 / 3) ** 2 for d in p.diffs) / 2)
    assert p.sd == pytest.approx(sd) and p.t == pytest.approx((2.5 / 3) / (sd / 3**0.5))
    one = rank.paired_gap({0: 1.0}, {0: 0.5})
    assert one.seeds == [0] and one.t is None and one.sd == 0.0
    assert rank.paired_gap({0: 1.0}, {1: 1.0}) is None
