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
    assert find_backbone(tmp_path, "ros", 1, 3000) == "k1"
    assert find_backbone(tmp_path, "ros", 0, 3000) is None
    with pytest.raises(SystemExit, match=r"--split-seed 0 --seeds 0, --recipes "
                       r"'crt:backbone=ros' --steps 3000"):  # fmt: skip
        main(["--backbones", str(tmp_path), "--seeds", "0"])
