"""``pixsmote demo``: the quick mode end to end, and the output-folder guard."""

import pytest

from pixsmote.app._demo import MARKER, _prepare_out
from pixsmote.cli import main


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    return tmp_path_factory.mktemp("demo") / "out"


def test_quick_demo(demo_out, capfd):
    # capfd: stdout and stderr are files, as in a log; no tqdm redraws there.
    assert main(["demo", "--quick", "--out", str(demo_out)]) == 0
    out, err = capfd.readouterr()
    assert "\r" not in out + err
    for fragment in (
        "30 / 192 / 80",
        "after SMOTE",
        "digit 3",
        "scatter-2d.png",
        "Imbalanced vs SMOTE-balanced",
        "20 steps",
        "ACSA",
        "macro-F1",
        "report.html",
    ):
        assert fragment in out, fragment
    assert (demo_out / MARKER).is_file()
    assert (demo_out / "report.html").is_file()
    assert (demo_out / "scatter-3d.png").is_file()
    assert (demo_out / "report.md").is_file()
    bench = demo_out / "steps-20"
    assert (bench / "01-none" / "seed-0" / "results.json").is_file()
    assert (bench / "02-smote" / "seed-0" / "results.json").is_file()
    assert "smote (20 steps)" in (demo_out / "report.md").read_text()


def test_demo_overwrites_only_its_own_output(capsys, tmp_path):
    demo_out = tmp_path / "demo"
    _prepare_out(demo_out)  # a first run: creates the folder and its marker
    (demo_out / "stale.txt").write_text("old demo output")
    _prepare_out(demo_out)  # what a second run does first
    assert not (demo_out / "stale.txt").exists()
    assert [p.name for p in demo_out.iterdir()] == [MARKER]

    other = tmp_path / "mine"
    other.mkdir()
    (other / "precious.txt").write_text("keep")
    assert main(["demo", "--quick", "--out", str(other)]) == 2
    err = capsys.readouterr().err
    assert "not written by 'pixsmote demo'" in err and "Traceback" not in err
    assert (other / "precious.txt").read_text() == "keep"


def test_demo_bad_counts(capsys):
    assert main(["demo", "--steps", "0"]) == 2
    assert "--steps must be one or more" in capsys.readouterr().err
    assert main(["demo", "--steps", "50,x"]) == 2
    assert "Got '50,x' instead." in capsys.readouterr().err
    assert main(["demo", "--seeds", "0"]) == 2
    assert "--seeds must be >= 1. Got 0 instead." in capsys.readouterr().err
