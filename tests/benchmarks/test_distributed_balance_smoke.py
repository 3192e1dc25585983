"""Smoke run of benchmarks/distributed_balance.py: it runs, and says identical."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed")

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "distributed_balance.py"


def test_quick_run_writes_identical_results(tmp_path):
    out = tmp_path / "result.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(out),
         "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["all_identical"]
    assert [r["workers"] for r in result["runs"]] == [None, 2]
    assert all(r["images_per_s"] > 0 for r in result["runs"])
    assert "images/s" in proc.stdout
