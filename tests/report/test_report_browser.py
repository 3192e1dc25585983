"""The report as a reader sees it: the answer first, readable scatters, the
Runs table's epochs, and the page rendered by headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixsmote.report import load_runs, plot_scatter, summary_paragraph, write_report

CHROMIUM = "/usr/bin/chromium"
# The page's content width: body max-width 1200px less 2 x 1em padding.
CONTENT_PX = 1200 - 2 * 16


def test_summary_paragraph_names_the_winner_and_both_baselines(
    tmp_path, write_run, make_entry
):
    for r, recipe in enumerate(["none", "ros", "smote"]):
        for seed in range(3):
            acc = 0.70 + 0.05 * r + 0.01 * seed
            write_run(tmp_path, recipe, seed, tests={"test": make_entry(acc)})
    text = summary_paragraph(load_runs(tmp_path))
    assert text.startswith("Answer: on test, smote won with ACSA 76.0 ± 1.0 %")
    assert "seeds 0, 1, 2" in text
    assert "+10.0 points over no balancing (none: 66.0 ± 1.0 %)" in text
    assert "+5.0 points over random over-sampling (ros: 71.0 ± 1.0 %)" in text
    assert summary_paragraph([]) == ""


def test_runs_table_counts_epochs_not_validation_rows(tmp_path, write_run):
    path = write_run(tmp_path / "runs", "none", 0, epochs=3)
    csv = path / "metrics.csv"
    lines = csv.read_text().splitlines()
    # Validation every 60 epochs: rows for epochs 60, 120, 180.
    rows = [lines[0]] + [
        ",".join([str(60 * k), *line.split(",")[1:]])
        for k, line in enumerate(lines[1:], 1)
    ]
    csv.write_text("\n".join(rows) + "\n")
    html, _ = write_report(tmp_path / "out", load_runs(tmp_path / "runs"), title="t")
    # recipe, seeds, epochs (was the 3 validation rows), best epoch
    assert "<tr><td>none</td><td>0</td><td>180</td><td>3</td>" in html.read_text()


@pytest.mark.parametrize("dims", [2, 3])
def test_scatter_labels_are_at_least_10_px_on_the_page(images, fake_smote, dims):
    X, y = images
    X_after, y_after, mask, _, _ = fake_smote(X, y)
    fig = plot_scatter(X, y, X_after, y_after, mask, ["a", "b", "c"], dims)
    fig.canvas.draw()
    width_px = fig.get_figwidth() * fig.dpi
    scale = min(1.0, CONTENT_PX / width_px)  # shown one per row, never enlarged
    texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_fontsize"))]
    texts = [t for t in texts if t.get_visible() and t.get_text()]
    assert len(texts) > 10
    smallest = min(t.get_fontsize() for t in texts) * fig.dpi / 72 * scale
    assert smallest >= 10


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")
def test_report_renders_in_headless_chromium(full_report, tmp_path):
    html, _ = full_report
    assert "<p>Answer: on test, smote won with ACSA" in html.read_text()
    shot = tmp_path / "page.png"
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
        "--window-size=1280,2000", html.resolve().as_uri(),
    ]  # fmt: skip
    subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)
    assert shot.is_file()
    page = np.asarray(Image.open(shot).convert("RGB"))
    assert page.shape[:2] == (2000, 1280)
    # Not blank: text, tables and figures give many dark and coloured pixels.
    dark = (page.max(axis=2) < 100).mean()
    coloured = (page.max(axis=2).astype(int) - page.min(axis=2) > 80).mean()
    assert dark > 0.005 and coloured > 0.005, (dark, coloured)
