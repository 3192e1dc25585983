"""Output in a log file: no progress redraws unless asked for, a line per run.

(``pixsmote demo`` is checked the same way in test_demo.py.)"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _pixsmote(*argv, cwd):
    env = {**os.environ, "PYTHONPATH": SRC, "OMP_NUM_THREADS": "1"}
    # Bytes, not text: text mode would turn every \r into \n.
    proc = subprocess.run(
        [sys.executable, "-m", "pixsmote", *argv],
        capture_output=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode(), proc.stderr.decode()


def _bench(tmp_path, *flags):
    from pixsmote.cli import main

    argv = ["bench", "--train", "digits-seed-3", "--recipes", "none,ros"]
    argv += ["--steps", "10", "--seeds", "1", "--threads", "1"]
    return main([*argv, "--out", str(tmp_path / "b"), *flags])


def test_bench_in_a_log_has_no_redraws(tmp_path, capfd):
    assert _bench(tmp_path) == 0  # stdout and stderr are files here, not a tty
    out, err = capfd.readouterr()
    assert "\r" not in out + err
    assert "[1/2] none seed 0:" in out and "[2/2] ros seed 0:" in out


def test_balance_status_lines_are_plain(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(60, 8, 8), dtype=np.uint8)
    np.savez(tmp_path / "in.npz", X=X, y=np.repeat([0, 1], [50, 10]))
    out, err = _pixsmote("balance", "in.npz", "--out", "o.npz", cwd=tmp_path)
    assert "\r" not in out + err and err == ""

def test_status_line_appears_after_its_delay_only(capsys):
    import time

    from pixsmote.data import status_line

    with status_line("quick", enabled=True, delay=5.0):
        pass
    with status_line("slow", enabled=True, delay=0.05):
        time.sleep(0.2)
    with status_line("off", enabled=False, delay=0.0):
        time.sleep(0.05)
    err = capsys.readouterr().err
    assert err.startswith("slow ...\nslow: done in ") and "quick" not in err
    assert "off" not in err and "\r" not in err


def test_every_command_takes_progress_and_no_progress():
    from pixsmote.cli import COMMANDS, build_parser

    parser = build_parser()
    for name in COMMANDS:
        for flag, value in (("--progress", True), ("--no-progress", False)):
            argv = [name, flag] + (["SRC"] if name in ("inspect", "balance") else [])
            argv += ["--out", "x"] if name == "balance" else []
            assert parser.parse_args(argv).progress is value, (name, flag)
