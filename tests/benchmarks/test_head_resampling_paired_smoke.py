"""benchmarks/head_resampling_paired.py: the smoke run, and the backbone lookup."""

import json

import pytest


def test_quick_run_writes_a_paired_table(tmp_path, run_benchmark):
    out = tmp_path / "r.json"
    proc = run_benchmark("head_resampling_paired.py", "--quick", "--seeds", "0",
                         "--heads", "crt,feature-smote", "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(out.read_text())
    heads = doc["per_seed"][0]["heads"]
    assert set(heads) == {"crt", "feature-smote"}
    assert all(0 < h["test_acsa"] <= 1 for h in heads.values())
    assert "| crt |" in proc.stdout and "+0.00 (+0.00)" in proc.stdout


def test_a_missing_backbone_names_the_command_that_trains_it(tmp_path):
    from head_resampling_paired import find_backbone, main

    (tmp_path / "k1").mkdir()
    (tmp_path / "k1" / "backbone.json").write_text(
        json.dumps({"config": {"recipe": "ros", "seed": 1, "steps": 3000}})
    )
    assert find_backbone(tmp_path, "ros", 1, 3000) == (tmp_path, "k1")
    assert find_backbone(tmp_path, "ros", 0, 3000) is None
    # A backbone cached without `keep` kept its best epoch: not a keep-last one.
    assert find_backbone(tmp_path, "ros", 1, 3000, "last") is None
    with pytest.raises(SystemExit, match=r"--split-seed 0 --seeds 0, --recipes "
                       r"'crt:backbone=ros' --steps 3000 --threads 1 "
                       r"--keep best"):  # fmt: skip
        main(["--backbones", str(tmp_path), "--seeds", "0"])


def test_keep_last_backbones_are_found_in_any_of_several_folders(tmp_path):
    from head_resampling_paired import find_backbone

    for folder, seed, keep in (("a", 0, "last"), ("b", 3, "last"), ("b", 0, None)):
        config = {"recipe": "ros", "seed": seed, "steps": 3000}
        if keep is not None:
            config["keep"] = keep
        name = f"k{seed}" if keep else "k0-best"
        (tmp_path / folder / name).mkdir(parents=True)
        (tmp_path / folder / name / "backbone.json").write_text(
            json.dumps({"config": config})
        )
    roots = [tmp_path / "a", tmp_path / "b"]
    assert find_backbone(roots, "ros", 3, 3000, "last") == (tmp_path / "b", "k3")
    assert find_backbone(roots, "ros", 0, 3000, "last") == (tmp_path / "a", "k0")
    assert find_backbone(roots, "ros", 0, 3000) == (tmp_path / "b", "k0-best")


def test_keep_last_tests_the_last_head_epoch(tmp_path, run_benchmark):
    out = tmp_path / "r.json"
    proc = run_benchmark("head_resampling_paired.py", "--quick", "--seeds", "0",
                         "--heads", "crt", "--keep", "last",
                         "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(out.read_text())
    assert doc["keep"] == "last"
    assert doc["per_seed"][0]["heads"]["crt"]["best_head_epoch"] == doc["head_epochs"]
