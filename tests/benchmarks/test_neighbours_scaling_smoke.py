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


def test_neighbours_scaling_one_shape_keeps_the_other(tmp_path):
    """--shapes re-measures one shape and keeps the other's results from the
    JSON; --repeats keeps every try and reports the fastest."""
    out_json, out_plot = tmp_path / "r.json", tmp_path / "r.png"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), env.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)

    def run(*extra):
        proc = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "neighbours_scaling.py"),
             "--quick", "--out-json", str(out_json), "--out-plot", str(out_plot),
             *extra],
            capture_output=True, text=True, timeout=120, env=env,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        return json.loads(out_json.read_text())

    first = run("--shapes", "64x64x3")
    assert list(first["results"]) == ["64x64x3"]
    second = run("--shapes", "28x28", "--repeats", "2")
    assert list(second["results"]) == ["28x28", "64x64x3"]
    assert second["results"]["64x64x3"] == first["results"]["64x64x3"]
    assert second["shape_runs"]["64x64x3"] == first["shape_runs"]["64x64x3"]
    assert second["shape_runs"]["28x28"]["repeats"] == 2
    for p in second["results"]["28x28"]["pixsmote"]:
        assert len(p["all_wall_s"]) == 2 and p["wall_s"] == min(p["all_wall_s"])
    bad = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "neighbours_scaling.py"),
         "--quick", "--shapes", "32x32"],
        capture_output=True, text=True, timeout=60, env=env,
    )
    assert bad.returncode == 2 and "Got --shapes '32x32'" in bad.stderr
