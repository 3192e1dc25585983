"""write_report: self-contained HTML, Markdown with existing PNGs, escaping."""

from __future__ import annotations

import base64
import math
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pixsmote.report import load_runs, main_test_name, write_report


class _Refs(HTMLParser):
    """Every src/href, every tag and every text node of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.refs += [(tag, k, v) for k, v in attrs if k in ("src", "href")]

    def handle_data(self, data):
        self.text.append(data)


def _parse(path: Path) -> _Refs:
    parser = _Refs()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_html_is_self_contained(full_report):
    html, _ = full_report
    page = _parse(html)
    assert page.refs, "expected embedded images"
    for tag, attr, value in page.refs:
        assert value.startswith("data:image/png;base64,"), (tag, attr, value[:40])
        png = base64.b64decode(value.split(",", 1)[1])
        assert png.startswith(b"\x89PNG")
    text = html.read_text(encoding="utf-8")
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", text)
    assert "http://" not in text and "https://" not in text
    assert "<script" not in text and "<link" not in text


def test_html_content(full_report):
    html, _ = full_report
    page = _parse(html)
    text = "".join(page.text)
    for expected in (
        "digits & friends",  # the title, unescaped by the parser
        "pixsmote bench --recipes none,smote --seeds 3",
        "A note.",
        "Machine and versions",
        "2.13.0",  # torch version from results.json
        "Test set: test",
        "Test set: test-balanced",
        "81.0 ± 1.0",
        "86.0 ± 1.0",
        "Training curves",
        "Confusion matrices (test)",
        "Class counts",
        "parent A | synthetic | parent B",
    ):
        assert expected in text, expected
    # recall x2, curves, confusion x2, counts, scatter 2-D + 3-D, grid.
    assert page.tags.count("img") == 9


def test_markdown_references_existing_pngs(full_report):
    html, md = full_report
    text = md.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) == 9 and len(set(links)) == 9
    for link in links:
        assert link.startswith("figures/") and link.endswith(".png")
        png = md.parent / link
        assert png.is_file() and png.read_bytes().startswith(b"\x89PNG")
    assert "| recipe | n | accuracy |" in text
    assert "**86.0 ± 1.0**" in text
    assert "```\npixsmote bench --recipes none,smote --seeds 3\n```" in text
    assert html.parent == md.parent


def test_recipe_names_are_escaped(tmp_path, write_run, make_entry):
    write_run(tmp_path / "runs", "<script>alert(1)</script>", 0, folder="evil/s0",
              tests={"test": make_entry(0.9)})  # fmt: skip
    html, md = write_report(
        tmp_path / "out", load_runs(tmp_path / "runs"), title="<b>t</b>",
        commands="pixsmote bench --recipes '<script>'",
    )  # fmt: skip
    page = html.read_text(encoding="utf-8")
    assert "<script" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;t&lt;/b&gt;" in page
    text = md.read_text(encoding="utf-8")
    assert "<script" not in text.replace("'<script>'", "")  # only inside code
    for name in re.findall(r"\(figures/([^)]+)\)", text):
        assert re.fullmatch(r"[a-z0-9._-]+\.png", name)


@pytest.mark.parametrize("case", ["single", "no-tests", "nan", "empty"])
def test_robust_to_degenerate_runs(tmp_path, case, write_run, make_entry):
    root = tmp_path / "runs"
    root.mkdir()
    if case == "single":
        write_run(root, "smote", 0, tests={"test": make_entry(0.9)})
    elif case == "no-tests":
        write_run(root, "smote", 0, tests={})
    elif case == "nan":
        entry = make_entry(math.nan, recall=[math.nan, 0.5, None])
        entry["confusion_matrix"] = [[1, 0, 0], [0, 2, 0], [0, 0, 0]]
        write_run(root, "a", 0, tests={"test": entry})
        write_run(root, "b", 0, tests={"test": make_entry(0.5)}, epochs=0)
    runs = load_runs(root)
    html, md = write_report(tmp_path / "out", runs, title=case)
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    for link in re.findall(r"\]\((figures/[^)]+)\)", md.read_text(encoding="utf-8")):
        assert (md.parent / link).is_file()
    if case in ("no-tests", "empty"):
        assert "No test results" in page
    if case == "nan":
        assert "n/a" in page


def test_main_test_name(tmp_path, write_run, make_entry):
    write_run(tmp_path, "a", 0, tests={"val-bal": make_entry(0.5)})
    assert main_test_name(load_runs(tmp_path)) == "val-bal"
    write_run(tmp_path, "a", 1, tests={"x": make_entry(0.5), "test": make_entry(0.5)})
    assert main_test_name(load_runs(tmp_path)) == "test"
    assert main_test_name([]) is None


def test_five_recipes_three_seeds_is_fast(
    tmp_path, images, write_run, make_entry, fake_smote
):
    recipes = ["none", "ros", "smote", "borderline1", "adasyn"]
    for r, recipe in enumerate(recipes):
        for seed in range(3):
            tests = {"test": make_entry(0.8 + 0.01 * r, seed=seed)}
            write_run(tmp_path / "runs", recipe, seed, tests=tests, epochs=10)
    X, y = images
    X_after, y_after, mask, plan, X_synth = fake_smote(X, y)
    synthetic = recipes[2:]
    start = time.perf_counter()
    write_report(
        tmp_path / "out",
        load_runs(tmp_path / "runs"),
        title="speed",
        scatter={r: (X, y, X_after, y_after, mask) for r in synthetic},
        grids={r: (X, plan, X_synth) for r in synthetic},
    )
    elapsed = time.perf_counter() - start
    # A few seconds on a laptop; generous so a loaded CI machine passes.
    assert elapsed < 30, elapsed
    # recall, curves, 5 confusion, counts, 3 x (2-D + 3-D scatter), 3 grids.
    assert len(list((tmp_path / "out" / "figures").glob("*.png"))) == 17
