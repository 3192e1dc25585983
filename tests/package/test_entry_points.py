"""How the package is reached: ``python -m pixsmote``, the typing marker."""

import os
import subprocess
import sys
from pathlib import Path

import pixsmote

SRC = Path(pixsmote.__file__).parent


def _run(*args):
    env = {**os.environ, "PYTHONPATH": str(SRC.parent)}
    return subprocess.run(
        [sys.executable, "-m", "pixsmote", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_python_m_pixsmote_is_the_command():
    done = _run("--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: pixsmote")
    for command in ("inspect", "balance", "bench", "demo"):
        assert command in done.stdout


def test_python_m_pixsmote_passes_on_the_exit_status():
    done = _run("inspect")  # the source argument is missing: a usage error
    assert done.returncode == 2
    assert "pixsmote inspect: error: the following arguments are required" in (
        done.stderr
    )


def test_the_package_says_it_is_typed():
    assert (SRC / "py.typed").is_file()


def test_the_command_reaches_its_error_handling_before_the_heavy_imports():
    """What the ``pixsmote`` script imports before ``main`` runs (so before a
    Ctrl-C is turned into one line) stays free of numpy, scikit-learn and
    torch; the package's names still resolve, lazily."""
    code = (
        "import sys\n"
        "from pixsmote.cli import main\n"
        "heavy = sorted(m for m in ('numpy', 'sklearn', 'torch', 'PIL')"
        " if m in sys.modules)\n"
        "print(heavy)\n"
        "import pixsmote\n"
        "from pixsmote import SMOTE, synthesize\n"
        "print(SMOTE.__name__, 'synthesize' in dir(pixsmote))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC.parent)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, env=env, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "SMOTE True"]
