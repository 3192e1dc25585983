"""benchmarks/neighbours_scaling.py --quick runs end to end and writes its outputs."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_neighbours_scaling_quick(tmp_path):
    out_json, out_plot = tmp_path / "r.json", tmp_path / "r.png"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), env.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "neighbours_scaling.py"),
            "--quick",
            "--out-json",
            str(out_json),
            "--out-plot",
            str(out_plot),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(out_json.read_text())
    assert doc["quick"] is True and out_plot.stat().st_size > 0
    for shape in ("28x28", "64x64x3"):
        for method, points in doc["results"][shape].items():
            assert points and all("wall_s" in p for p in points), (shape, method)
        assert doc["recall_at_5"][shape]["recall_at_5"] >= 0.95
    assert "| shape | N |" in proc.stdout
