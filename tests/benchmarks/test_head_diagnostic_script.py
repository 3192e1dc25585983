"""Smoke test of benchmarks/head_retraining_diagnostic.py (its --quick mode)."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "head_retraining_diagnostic.py"


def test_quick_mode_prints_a_table_and_writes_json(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("head_diag", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "diag.json"
    result = module.main(["--quick", "--steps", "6", "--head-epochs", "2",
                          "--out", str(out)])  # fmt: skip
    printed = capsys.readouterr().out
    assert "| backbone | head trained on |" in printed
    saved = json.loads(out.read_text())
    assert saved["steps"] == 6 and saved["quick"] is True
    rows = {(r["backbone"], r["head"]) for r in saved["rows"]}
    assert ("imbalanced", "class-balanced real features (cRT)") in rows
    assert ("balanced", "imbalanced real features") in rows
    assert len(result["rows"]) == 6
    for r in saved["rows"]:
        assert 0.0 <= r["test_acsa"]["test"] <= 1.0
