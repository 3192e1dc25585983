"""What each install extra promises: the core install (no torch, kornia,
matplotlib) samples images and runs the data commands; ``pixsmote.torch`` needs
``pixsmote[torch]``.

Each check runs in a fresh interpreter whose imports of the extras' packages
are refused by a ``sys.meta_path`` hook, as if they were not installed.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pixsmote

SRC = Path(pixsmote.__file__).parent.parent

BLOCK = """
import importlib.abc, sys

class _NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)

sys.meta_path.insert(0, _NotInstalled())
"""


def _run_without(blocked, code):
    script = BLOCK.format(blocked=set(blocked)) + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        timeout=120,
    )


def test_sampling_and_the_command_line_need_none_of_the_extras():
    done = _run_without(
        ["torch", "kornia", "matplotlib"],
        """
        import numpy as np
        import pixsmote
        from pixsmote.cli import main

        rng = np.random.default_rng(0)
        X = rng.integers(0, 256, size=(40, 6, 6), dtype=np.uint8)
        y = np.r_[np.zeros(30, int), np.ones(10, int)]
        X_res, y_res = pixsmote.SMOTE(k_neighbors=3, random_state=0).fit_resample(X, y)
        assert X_res.dtype == np.uint8 and np.bincount(y_res).tolist() == [30, 30]
        try:
            main(["--help"])
        except SystemExit as exc:
            assert exc.code == 0, exc.code
        """,
    )
    assert done.returncode == 0, done.stderr
    assert "usage: pixsmote" in done.stdout and "balance" in done.stdout


def test_the_torch_bridge_names_what_is_missing():
    done = _run_without(["torch"], "import pixsmote.torch")
    assert done.returncode == 1
    assert "No module named 'torch'" in done.stderr
