"""benchmarks/neighbours_recall.py --quick runs end to end and its recall is real."""

import json

import numpy as np


def test_neighbours_recall_quick(tmp_path, run_benchmark):
    out_json = tmp_path / "r.json"
    proc = run_benchmark("neighbours_recall.py", "--quick", "--queries", "300",
                         "--out-json", str(out_json), timeout=120)  # fmt: skip
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
