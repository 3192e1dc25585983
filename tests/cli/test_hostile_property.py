"""Property: every ``pixsmote balance`` run ends well or ends cleanly.

Generated folders and list files with random image modes, sizes, class names
and defects (corrupt files, 32-bit images, mixed sizes, tiny classes, an empty
class folder, duplicate list entries). Whatever the input, a run either

* succeeds (exit 0): every original in the output has exactly the pixels of a
  source image of its class (as pixsmote decodes it), all originals are kept
  by the over-samplers, and the source tree is unchanged; or
* fails with exit status 1 (data) or 2 (usage), one line on stderr and no
  traceback, leaving nothing beside the source.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from pixsmote.cli import main
from pixsmote.data import load_dataset

CLASS_NAMES = ["cat", "a b", "x, #1", "café", "Dog", "dog", "0", "n-1"]
MODES = ["L", "RGB", "RGBA", "P", "1", "I;16"]
DEFECTS = ["none", "corrupt", "float32", "int32", "other-size", "empty-class"]


def _tree(root: Path) -> dict:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            out[str(p.relative_to(root))] = (
                "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            )
    return out


def _save(path: Path, mode: str, shape, rng) -> None:
    h, w = shape
    if mode == "I;16":
        arr = rng.integers(0, 65536, (h, w)).astype(np.uint16)
        Image.fromarray(arr).save(path)
        return
    rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    im = Image.fromarray(rgb)
    if mode == "P":
        im = im.quantize(8)
    elif mode != "RGB":
        im = im.convert(mode)
    im.save(path)


@st.composite
def cases(draw):
    n_classes = draw(st.integers(2, 3))
    names = draw(
        st.lists(st.sampled_from(CLASS_NAMES), min_size=n_classes,
                 max_size=n_classes, unique_by=str.casefold)
    )  # fmt: skip
    counts = draw(st.lists(st.integers(1, 6), min_size=n_classes, max_size=n_classes))
    return {
        "names": names,
        "counts": counts,
        "modes": draw(st.lists(st.sampled_from(MODES), min_size=1, max_size=2)),
        "shape": (draw(st.integers(3, 6)), draw(st.integers(3, 6))),
        "defect": draw(st.sampled_from(DEFECTS)),
        "source": draw(st.sampled_from(["folder", "list"])),
        "method": draw(st.sampled_from(["smote", "ros", "rus"])),
        "k": draw(st.sampled_from(["auto", "2", "5"])),
        "out": draw(st.sampled_from(["out", "out.npz"])),
        "seed": draw(st.integers(0, 2**16)),
    }


def _build(root: Path, case) -> Path:
    rng = np.random.default_rng(case["seed"])
    imgs = root / "imgs"
    lines = []
    for c, (name, n) in enumerate(zip(case["names"], case["counts"], strict=True)):
        folder = imgs / name
        folder.mkdir(parents=True)
        for j in range(n):
            path = folder / f"im {j}.png"
            _save(path, case["modes"][j % len(case["modes"])], case["shape"], rng)
            lines.append(f"{path.relative_to(root).as_posix()} {c}")
    first = imgs / case["names"][0] / "im 0.png"
    defect = case["defect"]
    if defect == "corrupt":
        first.write_bytes(first.read_bytes()[:20])
    elif defect == "float32":
        Image.fromarray(np.ones(case["shape"], np.float32), "F").save(
            first.with_suffix(".tiff")
        )
        first.unlink()
        lines[0] = lines[0].replace("im 0.png", "im 0.tiff")
    elif defect == "int32":
        Image.fromarray(np.full(case["shape"], 70000, np.int32), "I").save(
            first.with_suffix(".tiff")
        )
        first.unlink()
        lines[0] = lines[0].replace("im 0.png", "im 0.tiff")
    elif defect == "other-size":
        _save(first, "RGB", (case["shape"][0] + 1, case["shape"][1]), rng)
    elif defect == "empty-class":
        (imgs / "zz-empty").mkdir()
    if case["source"] == "folder":
        return imgs
    listing = root / "list.txt"
    # lines may hold spaces in paths; a repeated entry is a reported duplicate
    listing.write_text("\n".join([*lines, lines[-1]]) + "\n")
    return listing


def _check_success(src: Path, out: Path, case) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source = load_dataset(src)
        back = load_dataset(out)
    by_class: dict[str, set] = {}
    for i in range(len(source)):
        key = source.X[i].tobytes()
        by_class.setdefault(source.class_names[source.y[i]], set()).add(key)
    manifest = out.with_name("out.manifest.csv") if out.suffix else out / "manifest.csv"
    rows = list(csv.DictReader(open(manifest, newline="", encoding="utf-8")))
    index = (
        {str(i): i for i in range(len(back))}
        if out.suffix
        else {back.relpath(i): i for i in range(len(back))}
    )
    originals = {}
    for row in rows:
        i = index[row["path"]]
        assert back.class_names[back.y[i]] == row["label"]
        if row["origin"] == "original":
            assert back.X[i].tobytes() in by_class[row["label"]], row
            originals[row["label"]] = originals.get(row["label"], 0) + 1
    if case["method"] != "rus":
        for c, name in enumerate(source.class_names):
            assert originals.get(name, 0) == source.counts[c]
    assert sorted(back.class_names) == sorted(source.class_names)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(case=cases())
def test_every_run_succeeds_exactly_or_fails_cleanly(case):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src = _build(root, case)
        before = _tree(root)
        out = root / case["out"]
        argv = ["balance", str(src), "--out", str(out), "--method", case["method"],
                "--k-neighbors", case["k"], "--jobs", "1"]  # fmt: skip
        err = io.StringIO()
        with (
            contextlib.redirect_stderr(err),
            contextlib.redirect_stdout(io.StringIO()),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            status = main(argv)
        event(f"exit {status}")
        after = _tree(root)
        assert {k: after.get(k) for k in before} == before  # the source is intact
        added = {k.split(os.sep)[0] for k in after if k not in before}
        if status == 0:
            outputs = {"out"} if out.suffix == "" else {"out.npz", "out.manifest.csv"}
            assert added == outputs  # no temporary folder or lock left
            _check_success(src, out, case)
            return
        text = err.getvalue()
        lines = [ln for ln in text.splitlines() if ln.strip()]
        assert status in (1, 2), text
        assert "Traceback" not in text and len(lines) == 1, text
        assert after == before  # nothing left behind
