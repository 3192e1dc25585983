"""The command the report shows reproduces every option given."""

import shlex

from pixsmote.app import BenchConfig, command_line


def test_command_line_keeps_every_option():
    config = BenchConfig(
        train="digits-seed-3", recipes=["none", "smote"], seeds=[0, 2], steps=50,
        threads=1, device="cpu", title="a study", split_seed=4, out="runs/x",
    )  # fmt: skip
    argv = shlex.split(command_line(config))
    for option, value in (
        ("--threads", "1"), ("--device", "cpu"), ("--title", "a study"),
        ("--split-seed", "4"), ("--steps", "50"), ("--seeds", "0,2"),
        ("--recipes", "none,smote"), ("--out", "runs/x"),
    ):  # fmt: skip
        assert argv[argv.index(option) + 1] == value, option
    assert "--threads" not in command_line(BenchConfig(train="digits"))
