"""Shared by the benchmarks' smoke tests."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_benchmark():
    """Run ``benchmarks/<script>`` in a fresh process on one thread, with this
    checkout's ``src`` first on the path; returns the CompletedProcess."""

    def run(script: str, *args: str, timeout: float = 300):
        env = dict(os.environ, OMP_NUM_THREADS="1")
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT / "src"), env.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep)
        return subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / script), *args],
            capture_output=True, text=True, timeout=timeout, env=env,
        )  # fmt: skip

    return run
