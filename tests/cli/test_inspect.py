"""``pixsmote inspect``: the table, the summary, the plot, and user errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pixsmote.cli import main


def _folder(root, counts, mode="RGB", shape=(10, 8)):
    rng = np.random.default_rng(0)
    for label, (cls, n) in enumerate(counts.items()):
        (root / cls).mkdir(parents=True)
        for j in range(n):
            size = shape if mode == "L" else (*shape, 3)
            pixels = rng.integers(20 * label, 20 * label + 100, size, dtype=np.uint8)
            Image.fromarray(pixels).save(root / cls / f"{j}.png")
    return root


def _status(argv):
    """main's exit status, whether returned or raised by argparse."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def _no_traceback(err):
    assert "Traceback" not in err
    assert err.count("\n") <= 3


def test_inspect_folder_prints_counts_share_ratio_sizes_modes(tmp_path, capsys):
    src = _folder(tmp_path / "ds", {"cat": 6, "dog": 3, "eel": 1})
    assert main(["inspect", str(src)]) == 0
    out = capsys.readouterr().out
    assert "10 images, 3 classes" in out
    lines = {line.split()[1]: line.split() for line in out.splitlines() if "  " in line}
    assert lines["cat"][2:5] == ["6", "60.0%", "1.00"]
    assert lines["eel"][2:5] == ["1", "10.0%", "6.00"]
    assert "imbalance ratio (largest / smallest class): 6.00" in out
    assert "sizes (HxW): 10x8 (10)" in out
    assert "modes: RGB (10)" in out


def test_inspect_plot_writes_a_png(tmp_path, capsys):
    src = _folder(tmp_path / "ds", {"a": 4, "b": 2}, mode="L")
    plot = tmp_path / "counts.png"
    assert main(["inspect", str(src), "--plot", str(plot)]) == 0
    with Image.open(plot) as im:
        assert im.format == "PNG" and im.width > 100


def test_inspect_builtin_digits_and_split(capsys):
    assert main(["inspect", "digits"]) == 0
    assert "1797 images, 10 classes" in capsys.readouterr().out
    assert main(["inspect", "digits-seed-3", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "181 images, 3 classes" in out and "imbalance ratio" in out


def test_inspect_npz_and_list_file(tmp_path, capsys):
    np.savez(tmp_path / "d.npz", X=np.zeros((5, 4, 4, 3), np.uint8), y=[1, 1, 1, 2, 2])
    assert main(["inspect", str(tmp_path / "d.npz")]) == 0
    assert "decoded as: RGB 4x4x3 uint8" in capsys.readouterr().out
    src = _folder(tmp_path / "imgs", {"x": 2, "y": 1})
    (tmp_path / "list.txt").write_text(
        "imgs/x/0.png 0\nimgs/x/1.png 0\nimgs/y/0.png 1\n"
    )
    assert main(["inspect", str(tmp_path / "list.txt")]) == 0
    assert "3 images, 2 classes" in capsys.readouterr().out
    assert src.exists()


def test_inspect_help_shows_defaults(capsys):
    with pytest.raises(SystemExit) as info:
        main(["inspect", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "--plot FILE" in out and "(default: resize)" in out
    assert "(default: 0)" in out
    assert "default: None" not in out  # defaults in words instead


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["inspect", "nowhere/at/all"], 2, "neither an existing folder"),
        (["inspect", "digits", "--size", "8by8"], 2, "size must be HxW"),
        (["inspect", "digits", "--mode", "CMYK"], 2, "invalid choice"),
        (["inspect", "digits-seed-3:nope"], 2, "has parts"),
    ],
)
def test_inspect_usage_errors_exit_2_without_traceback(capsys, argv, status, message):
    assert _status(argv) == status
    err = capsys.readouterr().err
    assert message in err
    _no_traceback(err.split("\npixsmote inspect: error:")[-1])


def test_inspect_data_errors_exit_1_and_name_the_file(tmp_path, capsys):
    src = _folder(tmp_path / "ds", {"a": 2, "b": 2})
    (src / "b" / "bad.png").write_bytes(b"garbage")
    assert main(["inspect", str(src)]) == 1
    err = capsys.readouterr().err
    assert "pixsmote inspect: error: Cannot read image" in err and "bad.png" in err
    _no_traceback(err)
    assert main(["inspect", str(src), "--skip-bad"]) == 0
    out = capsys.readouterr().out
    assert "4 images" in out and "skipped 1 unreadable file(s)" in out


def test_inspect_mixed_sizes_lists_them(tmp_path, capsys):
    src = _folder(tmp_path / "ds", {"a": 2, "b": 1})
    Image.new("RGB", (5, 7)).save(src / "b" / "odd.png")
    assert main(["inspect", str(src)]) == 1
    err = capsys.readouterr().err
    assert "10x8 (3 images), 7x5 (1 image)" in err and "--size HxW" in err
    assert main(["inspect", str(src), "--size", "10x8"]) == 0


def test_inspect_fashion_mnist_missing(tmp_path, capsys):
    argv = ["inspect", "fashion-mnist", "--fashion-mnist-dir", str(tmp_path)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "apt-get install -y dataset-fashion-mnist" in err
    _no_traceback(err)


@pytest.mark.parametrize("out_name", ["balanced", "balanced.npz"])
def test_inspect_tells_how_pixsmote_balanced_an_output(tmp_path, capsys, out_name):
    src = _folder(tmp_path / "ds", {"cat": 9, "dog": 4, "eel": 3}, mode="L")
    out = tmp_path / out_name
    assert main(["balance", str(src), "--out", str(out), "--k-neighbors", "2",
                 "--synthetic-share", "0.5", "--seed", "3"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["inspect", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    (made,) = [ln for ln in lines if ln.startswith("made by pixsmote")]
    assert "balance: method smote, sampling_strategy auto" in made
    for setting in ("k_neighbors=2", "random_state=3", "synthetic_share=0.5"):
        assert setting in made
    # 16 originals; each class is copied up to 9 (5 + 6 copies) and then gets
    # as many SMOTE images (27): the copies are not counted as synthetic.
    (origins,) = [ln for ln in lines if "original," in ln]
    assert origins.endswith("16 original, 11 copies, 27 synthetic (50.0 %): smote 27")
    # The source itself is no pixsmote output: nothing of the kind is said.
    assert main(["inspect", str(src)]) == 0
    text = capsys.readouterr().out
    assert "made by" not in text and "synthetic" not in text


def test_inspect_survives_an_edited_marker_and_a_broken_manifest(tmp_path, capsys):
    import json

    src = _folder(tmp_path / "ds", {"cat": 6, "dog": 3}, mode="L")
    out = tmp_path / "balanced"
    assert main(["balance", str(src), "--out", str(out), "--k-neighbors", "2"]) == 0
    marker = out / ".pixsmote.json"
    info = json.loads(marker.read_text())
    info["made_by"] = {"method": "smote", "params": [1, 2]}
    marker.write_text(json.dumps(info))
    (out / "manifest.csv").write_text("path,label\nbroken\n")
    capsys.readouterr()
    assert main(["inspect", str(out)]) == 0
    text = capsys.readouterr().out
    assert "made by pixsmote" in text and "method smote" in text
    assert "original," not in text  # nothing said from a manifest it cannot read
