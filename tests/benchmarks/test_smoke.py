"""Every script of benchmarks/ runs end to end in its tiny mode, writing only
under tmp_path (the numbers of such runs mean nothing: these are smoke runs)."""

import json
import re
import tomllib

import numpy as np
import pytest

from pixsmote._runfolder import RunWriter, write_json

NAMES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat"]
#: Three recipes of one study section (a confirmation: an explicit list).
STUDY_TOML = """
model = "small-cnn"
aug = "basic"
batch_size = 32
lr = 0.05
threads = 1

[splits.fmnist-deepsmote]
steps = 40
seeds = [0, 1, 2]
recipes = ["none", "ros", "smote"]
"""


def _write_study(results, recipes, seeds, section="fmnist-deepsmote"):
    """A results tree as benchmarks/study.py leaves it, through the run-folder
    writer of the training loop."""
    rng = np.random.default_rng(0)
    counts = [400, 200, 100, 60, 40]
    for i, recipe in enumerate(recipes, start=1):
        for seed in seeds:
            run = results / section / f"split-{seed}" / f"{i:02d}-{recipe}"
            writer = RunWriter(run / f"seed-{seed}")
            config = {
                "recipe": recipe,
                "class_names": NAMES,
                "seed": seed,
                "steps": 40,
                "batch_size": 32,
                "schedule": "cosine",
                "weight_decay": 5e-4,
                "train_counts_before": counts,
                "train_counts_after": counts if recipe == "none" else [400] * 5,
            }
            writer.start(config)
            for epoch in (1, 2):
                writer.append(
                    {
                        "epoch": epoch, "step": 20 * epoch, "lr": 0.01,
                        "train_loss": 1.0 / epoch, "train_acc": 0.5 + 0.1 * epoch,
                        "val_loss": 1.1 / epoch, "val_acc": 0.5, "val_acsa": 0.5,
                        "val_gm": 0.4, "val_macro_f1": 0.45, "time_s": epoch,
                    }
                )  # fmt: skip
            recall = np.clip(0.6 + 0.05 * i + rng.normal(0, 0.02, 5), 0, 1)
            metrics = {
                "loss": 1.0,
                "accuracy": float(recall.mean()),
                "acsa": float(recall.mean()),
                "gm": float(recall.prod() ** 0.2),
                "macro_f1": float(recall.mean()) - 0.01,
                "per_class_recall": recall.tolist(),
                "confusion_matrix": np.eye(5, dtype=int).tolist(),
            }
            writer.finish(
                config, seed=seed, best_epoch=2, time_s=12.0, versions={},
                steps=40, val=metrics,
                test={"test": metrics, "test-imbalanced": metrics},
            )  # fmt: skip


def _snapshot(root):
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_make_study_report_on_a_tiny_results_tree(tmp_path):
    import make_study_report
    import study

    results = tmp_path / "results" / "study"
    _write_study(results, ["none", "ros", "smote"], [0, 1, 2])
    config = tmp_path / "study.toml"
    config.write_text(STUDY_TOML)
    assert study.load_config(config) == tomllib.loads(STUDY_TOML)
    rows = [
        {"backbone": bb, "head": head, "val_acsa": 0.8, "test_acsa": {"test": acc}}
        for bb, head, acc in [
            ("imbalanced", "stage 1 alone", 0.797),
            ("imbalanced", "class-balanced real features (cRT)", 0.863),
            ("balanced", "stage 1 alone", 0.887),
            ("balanced", "imbalanced real features", 0.850),
            ("balanced", "class-balanced real features (cRT)", 0.889),
        ]
    ]
    (tmp_path / "results" / "head_retraining_diagnostic.json").write_text(json.dumps(
        {"rows": rows, "quick": False, "steps": 3000, "head_epochs": 10,
         "head_lr": 0.1, "table": "| backbone | head trained on |"}
    ))  # fmt: skip
    per_seed = [
        {"seed": seed, "heads": {"crt": {"test_acsa": 0.870 + d},
                                 "feature-smote": {"test_acsa": 0.867 + d}}}
        for seed, d in enumerate([0.0, 0.002, -0.001])
    ]  # fmt: skip
    (tmp_path / "results" / "head_resampling_paired.json").write_text(json.dumps(
        {"per_seed": per_seed, "quick": False, "seeds": [0, 1, 2], "stage1": "ros",
         "steps": 3000, "head_epochs": 10, "head_lr": 0.1,
         "table": "| head recipe | val ACSA % |"}
    ))  # fmt: skip
    (tmp_path / "results" / "head_resampling_paired_none.json").write_text(
        json.dumps({"per_seed": per_seed, "quick": False, "seeds": [0, 1, 2],
                    "stage1": "none", "steps": 3000, "head_epochs": 10,
                    "head_lr": 0.1, "table": "| head recipe | val ACSA % |"})
    )  # fmt: skip
    (tmp_path / "results" / "head_resampling_paired_share_last.json").write_text(
        json.dumps({"per_seed": per_seed, "quick": False, "seeds": [0, 1, 2],
                    "stage1": "share", "steps": 3000, "head_epochs": 10,
                    "head_lr": 0.1, "keep": "last",
                    "command": "python head_resampling_paired.py --keep last",
                    "table": "| head recipe | val ACSA % |"})
    )  # fmt: skip
    real_runs = [
        {"factor": f, "seed": seed, "test_acsa": {"test": 0.87 + g + d}}
        for f, g in ((1, 0.0), (2, 0.006), (4, 0.012))
        for seed, d in ((0, 0.0), (1, 0.002))
    ]  # fmt: skip
    (tmp_path / "results" / "real_data_value.json").write_text(json.dumps(
        {"runs": real_runs, "quick": False, "factors": [1, 2, 4], "seeds": [0, 1],
         "recipe": "ros", "model": "small-cnn", "steps": 3000,
         "command": "python real_data_value.py", "table": "| top-up |"}
    ))  # fmt: skip
    overlap_rows = [
        {"sampler": "real (leave-one-out)", "seed": 0, "other": [0.1, 0.3]},
        {"sampler": "smote:synthetic_share=0.5", "seed": 0, "other": [0.1, 0.2],
         "from_base": [507.0, 677.4]},
    ]  # fmt: skip
    (tmp_path / "results" / "synthetic_overlap.json").write_text(json.dumps(
        {"rows": overlap_rows, "class_names": ["T-shirt/top", "Shirt"],
         "train_counts": [3600, 180], "command": "python synthetic_overlap.py"}
    ))  # fmt: skip
    before = _snapshot(results)
    out = tmp_path / "docs"
    argv = ["--results", str(results), "--config", str(config), "--out", str(out)]
    assert make_study_report.main([*argv, "--no-grids"]) == 0
    assert _snapshot(results) == before  # the report only reads the study
    doc = (out / "benchmarks.md").read_text()
    assert "**9 of 9 planned runs are done.**" in doc
    assert "## Results on `fmnist-deepsmote`" in doc
    assert "| `smote` | pixsmote sampler | 3 |" in doc
    assert "- random over-sampling: `ros` (" in doc
    assert "SMOTE (pixel space) — **reported** by DeepSMOTE" in doc
    assert "### Where the gap is: the head or the representation" in doc
    assert "from 79.7 to 86.3 % (+6.6)" in doc and "costs 3.7 points" in doc
    assert "representation is worth **+2.6 points**" in doc
    assert "### Head-side recipes on the same backbones" in doc
    assert "`feature-smote`, -0.30 points on average over 3 seed(s)." in doc
    # one part per backbone, ros (the default file) first
    ros, none = doc.index("#### On the `ros` backbone"), doc.index("#### On the `none`")
    assert ros < none
    assert "--stage1 'none' --out" in doc[none:]
    # a keep-last run says so, with the command it recorded
    share = doc.index("#### On the `share` backbone (last epochs kept)")
    assert "(`python head_resampling_paired.py --keep last`)" in doc[share:]
    assert "the last head epoch tested" in doc[share:]
    # what real top-ups add, and what that asks of a synthesiser
    assert "### What real images of the small classes would add" in doc
    assert "×2 +0.60, ×4 +1.20 points; a recipe 1.0 point above `ros` would " \
        "have to be worth as much as ×4 real images" in doc
    # where the synthetic images land, and how far they move from their base
    assert "### Where the synthetic images land" in doc
    assert "| `smote:synthetic_share=0.5` | 1 | 507 | 677 |" in doc
    assert (out / "figures" / "study-curves-fmnist-deepsmote.png").is_file()
    which = (out / "which_method.md").read_text()
    assert which.startswith("## Which method should I use?")
    assert "`smote`" in which


def test_study_list_plans_without_touching_the_repository(tmp_path, capsys):
    import study

    results = tmp_path / "results"
    _write_study(results, ["none"], [0])
    config = tmp_path / "study.toml"
    config.write_text(STUDY_TOML)
    assert study.main(
        ["--list", "--config", str(config), "--results", str(results)]
    ) == 0
    text = capsys.readouterr().out
    assert "done    fmnist-deepsmote  seed 0  confirm     none" in text
    assert "1/9 runs done" in text


def test_train_throughput_tiny(tmp_path):
    import train_throughput

    out = tmp_path / "tt.json"
    assert train_throughput.main(["--tiny", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["config"]["n_train"] == 128


def test_synthetic_overlap_tiny(tmp_path):
    import synthetic_overlap

    out = tmp_path / "so.json"
    share = "smote:synthetic_share=0.5"
    assert synthetic_overlap.main(
        ["--tiny", "--samplers", f"smote,imblearn-naive,{share}", "--out", str(out)]
    ) == 0
    data = json.loads(out.read_text())
    assert data["split"] == "digits-seed-3"
    rows = {r["sampler"]: r for r in data["rows"]}
    assert list(rows) == [synthetic_overlap.REAL, "smote", "imblearn-naive", share]
    counts = data["train_counts"]
    # Plain SMOTE synthesises the smaller classes only; with the share every
    # class gets synthetic images, the largest too, none a copy of its base.
    largest = counts.index(max(counts))
    assert rows["smote"]["from_base"][largest] is None
    assert all(d is not None and d > 0 for d in rows[share]["from_base"])
    assert all(0 <= o <= 1 for o in rows[share]["other"])
    assert share in synthetic_overlap.spread_table(data)


@pytest.mark.parametrize(
    "script, argv, key",
    [
        (
            "resample_cost",
            ["--tiny", "--methods", "pixsmote-pixel"],
            "cases",
        ),
        ("online_resampling", ["--tiny"], "results"),
    ],
)
def test_worker_scripts_tiny(tmp_path, script, argv, key):
    """Scripts that measure each method in a fresh worker process."""
    module = __import__(script)
    out = tmp_path / "out.json"
    assert module.main([*argv, "--out", str(out)]) == 0
    assert json.loads(out.read_text())[key]


def test_balance_large_folder_tiny(tmp_path):
    import balance_large_folder

    argv = ["--tiny", "--workdir", str(tmp_path), "--results", str(tmp_path / "r")]
    assert balance_large_folder.main(argv) == 0
    (result,) = (tmp_path / "r").glob("*.json")
    assert json.loads(result.read_text())["output_png_files"] > 0


def test_deepsmote_cost_tiny(tmp_path):
    import deepsmote_cost

    out = tmp_path / "dc.json"
    argv = ["--tiny", "--decoding", "residual", "--out", str(out)]
    result = deepsmote_cost.main(argv)
    data = json.loads(out.read_text())
    assert data["params"]["decoding"] == "residual" and data["params"]["epochs"] == 1
    assert data["n_synthetic"] == result["n_synthetic"] > 0
    assert 0 <= data["quality"]["nearest_same_class"] <= 1
    assert data["quality"]["mean_abs_from_base"] >= 0


def test_lazy_plan_parity_tiny(tmp_path, capsys):
    import lazy_plan_parity

    out = tmp_path / "lp.json"
    lazy_plan_parity.main(["--counts", "40,10,10", "--size", "8", "--out", str(out)])
    rows = json.loads(out.read_text())["rows"]
    assert [r["neighbor_space"] for r in rows] == ["pixel", "pca"]
    # The two sources must plan alike: what the script exists to show.
    assert all(r["neighbor_differ"] == r["base_differ"] == 0 for r in rows)
    assert "neighbor_space" in capsys.readouterr().out


def test_study_writes_its_shared_files_whole(tmp_path):
    # Two study processes (one per slot) write combos.json and machine.json
    # while the other reads them: a reader must see the old file or the new
    # one, never a truncated one (a plain write_text once stopped a run).
    import threading

    import study

    results = tmp_path / "results"
    results.mkdir()
    big = {"candidates_val_acsa": {f"r{i}": 0.5 for i in range(3000)}}
    errors: list[Exception] = []
    stop = threading.Event()

    def read_loop():
        while not stop.is_set():
            try:
                if (results / "combos.json").exists():
                    study.read_combos(results)
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(exc)
                return

    reader = threading.Thread(target=read_loop)
    reader.start()
    try:
        for _ in range(60):
            write_json(results / "combos.json", {"s": {**big, "frozen": False}})
            study.freeze_combos("s", results)
    finally:
        stop.set()
        reader.join()
    assert not errors
    assert study.read_combos(results)["s"]["frozen"] is True
    assert sorted(p.name for p in results.iterdir()) == ["combos.json"]


EXTENSION_TOML = """
[splits.fmnist-deepsmote-more]
train = "fmnist-deepsmote"
steps = 40
seeds = [3, 4]
recipes = ["ros", "smote"]
extends = "fmnist-deepsmote"
"""


def test_report_pools_the_seeds_of_a_section_that_extends_another(tmp_path):
    import make_study_report

    results = tmp_path / "results" / "study"
    _write_study(results, ["none", "ros", "smote"], [0, 1, 2])
    _write_study(results, ["ros", "smote"], [3, 4], section="fmnist-deepsmote-more")
    config = tmp_path / "study.toml"
    config.write_text(STUDY_TOML + EXTENSION_TOML)
    out = tmp_path / "docs"
    argv = ["--results", str(results), "--config", str(config), "--out", str(out)]
    assert make_study_report.main([*argv, "--no-grids"]) == 0
    doc = (out / "benchmarks.md").read_text()
    assert "## Results on `fmnist-deepsmote-more`" in doc  # its own table
    assert "### `fmnist-deepsmote-more`" not in doc  # but no ranking of its own
    assert "**Pooled over the seeds of `fmnist-deepsmote-more`**: `smote` minus" in doc
    assert "| `ros` | 5 (0, 1, 2, 3, 4) |" in doc


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('extends = "fmnist-deepsmote"', 'extends = "x"', "Got no such section"),
        ("seeds = [3, 4]", "seeds = [2, 3]", "Got seeds [2] in both instead."),
        ('"ros", "smote"]', '"ros", "rus"]', "Got recipes ['rus'] not in it instead."),
        ("steps = 40", "steps = 80", "Got (fmnist-deepsmote, 80, best) instead."),
        ("seeds = [3, 4]", 'seeds = [3, 4]\nkeep = "last"', ", last) instead."),
    ],
)
def test_study_refuses_an_extension_that_would_pool_unlike_runs(
    tmp_path, old, new, message
):
    import study

    config = tmp_path / "study.toml"
    config.write_text(STUDY_TOML + EXTENSION_TOML.replace(old, new))
    with pytest.raises(SystemExit, match=re.escape(message)):
        study.load_config(config)
    config.write_text(STUDY_TOML + EXTENSION_TOML)
    assert study.extensions(study.load_config(config), "fmnist-deepsmote") == [
        "fmnist-deepsmote-more"
    ]


def test_posthoc_offsets_quick(tmp_path):
    import numpy as np

    import posthoc_offsets

    out = tmp_path / "po.json"
    result = posthoc_offsets.main(["--quick", "--grid", "7", "--out", str(out)])
    row = json.loads(out.read_text())["rows"][0]
    assert row == json.loads(json.dumps(result["rows"][0]))
    assert len(row["offsets"]) == 3 and len(row["test_recall"][1]) == 3
    # offsets are fitted on validation: its ACSA never falls
    assert row["val_acsa"][1] >= row["val_acsa"][0]
    # the search: a class whose logit is far too low gets a positive offset
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 50)
    logits = np.eye(2)[y] * 2 + rng.normal(size=(100, 2)) * 0.5
    logits[:, 1] -= 2.5  # class 1 loses almost every image
    offsets, best = posthoc_offsets.fit_offsets(logits, y, np.linspace(-3, 3, 25))
    assert offsets[1] - offsets[0] > 1.5 and best > 0.9


def test_a_keep_last_section_passes_keep_to_every_run(tmp_path):
    import study

    config = tmp_path / "study.toml"
    one_seed = STUDY_TOML.replace("seeds = [0, 1, 2]", "seeds = [0]")
    config.write_text(one_seed + 'keep = "last"\n')
    cfg = study.load_config(config)
    jobs = study.plan_jobs(cfg, None, None, None)  # plans only: nothing is read
    assert [j.keep for _, j in jobs] == ["last"] * 3
    command = jobs[0][1].command(cfg)
    assert command[command.index("--keep") + 1] == "last"
    config.write_text(STUDY_TOML)  # default: the command of the earlier runs
    _, job = study.plan_jobs(study.load_config(config), None, None, None)[0]
    assert "--keep" not in job.command(study.load_config(config))
    config.write_text(one_seed + 'keep = "first"\n')
    with pytest.raises(SystemExit, match=r"keep must be one of \[.*\]\. Got 'fi"):
        study.load_config(config)


def test_study_curves_draw_the_lowest_seed_a_section_has(tmp_path):
    # A section of seeds 3 and 4 (the study's second-look sections) has no seed
    # 0: its curves once came out empty, "no runs", under a "seed 0" caption.
    from _study.figures import Figures
    from pixsmote.report import load_runs

    results = tmp_path / "study"
    _write_study(results, ["none", "ros"], [3, 4], section="late")
    runs = [r for split in sorted((results / "late").iterdir())
            for r in load_runs(split)]  # fmt: skip
    link, seed = Figures(tmp_path / "figures").curves(runs, "late")
    assert seed == 3 and link == "figures/study-curves-late.png"
    assert (tmp_path / "figures" / "study-curves-late.png").stat().st_size > 0
