"""benchmarks/neighbours_recall.py --quick runs end to end and its recall is real."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))


def test_neighbours_recall_quick(tmp_path):
    out_json = tmp_path / "r.json"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), env.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "neighbours_recall.py"),
         "--quick", "--queries", "300", "--out-json", str(out_json)],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(out_json.read_text())
    r = doc["results"]["digits, all classes"]
    assert r["n"] == 1797 and r["queries"] == 300
    assert 0.95 <= r["recall_at_5"] <= r["dist_recall_at_5"] <= 1.0
    assert "| digits, all classes | 1,797 |" in proc.stdout


def test_recall_counts_misses():
    """A set where the index cannot be right everywhere: the measure must say so
    (a recall that is always 1.0 would prove nothing)."""
    from neighbours_recall import measure

    rng = np.random.default_rng(0)
    # Isotropic noise in 400 dimensions: no low-rank structure for the PCA
    # projection to keep, so the 64-component index misses true neighbours.
    F = rng.integers(0, 256, size=(3000, 400), dtype=np.uint8)
    r = measure(F, queries=200)
    assert r["recall_at_5"] < 0.9
    assert r["dist_recall_at_5"] >= r["recall_at_5"] - 1e-12
