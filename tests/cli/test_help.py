"""``--help``: wrapped to the terminal's width, with every registered choice."""

import pytest

from pixsmote.cli import COMMANDS, main


def _help(argv, capsys, monkeypatch, columns=100):
    monkeypatch.setenv("COLUMNS", str(columns))
    with pytest.raises(SystemExit) as info:
        main([*argv, "--help"])
    assert info.value.code == 0
    return capsys.readouterr().out


def test_bench_help_lists_the_registries_choices(capsys, monkeypatch):
    from pixsmote.train import AUGMENTATIONS, KEEP_CHOICES, LOSSES, MODELS

    out = _help(["bench"], capsys, monkeypatch)
    flat = " ".join(out.split())  # names may be wrapped onto the next line
    for option, registry in (("--model", MODELS), ("--aug", AUGMENTATIONS),
                             ("--loss", LOSSES),
                             ("--keep", KEEP_CHOICES)):  # fmt: skip
        assert f"{option} choices: {', '.join(registry)}." in flat
    assert "Registered recipes: none, undersample, ros" in flat


@pytest.mark.parametrize("argv", [[], *([name] for name in COMMANDS)])
def test_help_is_wrapped_to_columns(argv, capsys, monkeypatch):
    out = _help(argv, capsys, monkeypatch)
    lines = out.splitlines()
    assert max(map(len, lines)) <= 100, max(lines, key=len)
    assert "\x1b[" not in out  # no colour codes when not on a terminal
    narrow = _help(argv, capsys, monkeypatch, columns=60)
    assert max(map(len, narrow.splitlines())) <= 60
