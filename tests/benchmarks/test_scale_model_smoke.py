"""Smoke run of benchmarks/scale_model.py (the numbers behind docs/scale.md)."""

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "scale_model.py"


def test_quick_model_is_consistent(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("scale_model", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "model.json"
    assert module.main(["--quick", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    sizes = result["class_sizes"]
    assert sizes["total"] == module.N_IMAGES
    assert round(sizes["largest"] / sizes["smallest"]) == module.IMBALANCE
    auto = result["scenarios"]["auto"]
    assert auto["target_per_class"] == sizes["largest"]
    n_out = sizes["largest"] * module.N_CLASSES
    assert auto["synthetic_images"] == n_out - sizes["total"]
    assert auto["plan_bytes_16_per_row"] == 16 * auto["synthetic_images"]
    assert auto["parent_reads"] <= 2 * auto["synthetic_images"]
    assert "break-even epochs" in capsys.readouterr().out
