"""load_runs, summarize and format_table against hand-computed numbers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from pixsmote._errors import DataError, UsageError
from pixsmote.report import format_table, load_runs, summarize


def test_load_runs_reads_every_file(bench):
    runs = load_runs(bench)
    assert [(r.recipe, r.seed) for r in runs] == [
        ("none", 0), ("none", 1), ("none", 2),
        ("smote", 0), ("smote", 1), ("smote", 2),
    ]  # fmt: skip
    run = runs[0]
    assert run.config["model"] == "tiny"
    assert run.class_names == ["zero", "one", "two"]
    assert set(run.tests) == {"test", "test-balanced"}
    assert len(run.history) == 4
    row = run.history[1]
    assert row["epoch"] == 2 and isinstance(row["epoch"], int)
    assert row["train_loss"] == pytest.approx(1.0)
    assert run.column("val_acc") == pytest.approx([0.45, 0.7, 0.7833333, 0.825])


def test_load_runs_orders_seeds_naturally_and_keeps_recipe_order(tmp_path, write_run):
    # Folder names sort "b" before "z" and seed10 after seed2.
    write_run(tmp_path, "zeta", 10, folder="1-zeta/seed10")
    write_run(tmp_path, "zeta", 2, folder="1-zeta/seed2")
    write_run(tmp_path, "alpha", 0, folder="2-alpha/seed0")
    runs = load_runs(tmp_path)
    assert [(r.recipe, r.seed) for r in runs] == [
        ("zeta", 2), ("zeta", 10), ("alpha", 0)
    ]  # fmt: skip


def test_load_runs_accepts_a_single_run_folder(tmp_path, write_run):
    path = write_run(tmp_path, "smote", 3)
    assert [r.seed for r in load_runs(path)] == [3]


def test_load_runs_ignores_bench_level_files(tmp_path, write_run):
    write_run(tmp_path, "smote", 0)
    # A summary and a config at the bench level are not runs.
    (tmp_path / "results.json").write_text(json.dumps({"rows": []}))
    (tmp_path / "config.json").write_text(json.dumps({"recipes": ["smote"]}))
    assert len(load_runs(tmp_path)) == 1


def test_load_runs_unfinished_run_and_empty_cells(tmp_path):
    path = tmp_path / "run"
    path.mkdir()
    (path / "metrics.csv").write_text("epoch,train_loss,val_loss\n1,0.5,\n")
    (run,) = load_runs(tmp_path)
    assert run.recipe == "run" and run.seed is None and run.results == {}
    assert math.isnan(run.history[0]["val_loss"])


def test_load_runs_errors(tmp_path, write_run):
    with pytest.raises(DataError, match="does not exist"):
        load_runs(tmp_path / "missing")
    path = write_run(tmp_path, "smote", 0)
    (path / "config.json").write_text("{not json")
    with pytest.raises(DataError, match="Cannot read .*config.json"):
        load_runs(tmp_path)


def test_summarize_matches_numpy(bench):
    runs = load_runs(bench)
    rows = summarize(runs)
    assert [(r["test"], r["recipe"]) for r in rows] == [
        ("test", "none"), ("test", "smote"),
        ("test-balanced", "none"), ("test-balanced", "smote"),
    ]  # fmt: skip
    for row in rows:
        group = [r for r in runs if r.recipe == row["recipe"]]
        assert row["n"] == 3 and row["seeds"] == [0, 1, 2]
        for metric in ("accuracy", "acsa", "gm", "macro_f1"):
            values = np.array([r.tests[row["test"]][metric] for r in group]) * 100
            assert row[f"{metric}_mean"] == pytest.approx(values.mean())
            assert row[f"{metric}_std"] == pytest.approx(values.std(ddof=1))


def test_summarize_single_seed_nan_and_missing_tests(tmp_path, write_run, make_entry):
    write_run(tmp_path, "one", 0, tests={"test": make_entry(0.9)})
    write_run(tmp_path, "nan", 0, tests={"test": make_entry(0.8, acsa=math.nan)})
    write_run(tmp_path, "nan", 1, tests={"test": make_entry(0.7, acsa=0.6)})
    write_run(tmp_path, "empty", 0, tests={})
    rows = {r["recipe"]: r for r in summarize(load_runs(tmp_path))}
    assert set(rows) == {"one", "nan"}  # a run with no test set adds no row
    assert rows["one"]["n"] == 1
    assert rows["one"]["accuracy_mean"] == pytest.approx(90.0)
    assert rows["one"]["accuracy_std"] == 0.0  # documented: 0 for one seed
    # The NaN seed is skipped for that metric only.
    assert rows["nan"]["acsa_mean"] == pytest.approx(60.0)
    assert rows["nan"]["acsa_std"] == 0.0
    assert rows["nan"]["accuracy_mean"] == pytest.approx(75.0)


def test_format_table_text_is_aligned(bench):
    text = format_table(summarize(load_runs(bench)))
    lines = text.splitlines()
    assert lines[0].split() == [
        "test", "recipe", "n", "accuracy", "ACSA", "G-mean", "macro-F1"
    ]  # fmt: skip
    assert set(lines[1]) <= {"-", " "}
    assert len(lines) == 2 + 4
    # Right-aligned numbers: every body line ends at the same column.
    assert len({len(line) for line in lines[2:]}) == 1
    assert "81.0 ± 1.0" in lines[2]  # none on test: 80, 81, 82 %
    assert "86.0 ± 1.0" in lines[3]


def test_format_table_markdown(bench):
    md = format_table(summarize(load_runs(bench)), fmt="markdown")
    lines = md.splitlines()
    assert lines[0].startswith("| test | recipe | n | accuracy |")
    assert lines[1] == "|:---|:---|---:|---:|---:|---:|---:|"
    assert all(line.startswith("| ") and line.endswith(" |") for line in lines[2:])
    # The best mean of each test set is bold; smote wins every metric here.
    assert "**86.0 ± 1.0**" in lines[3] and "**" not in lines[2]


def test_format_table_escapes_and_rejects(tmp_path):
    row = {"test": "a|b", "recipe": "<script>", "n": 1, "accuracy_mean": math.nan}
    md = format_table([row], fmt="markdown")
    assert "a\\|b" in md and "&lt;script&gt;" in md and "<script>" not in md
    assert "n/a" in format_table([row])
    assert format_table([]) == "(no test results)"
    with pytest.raises(UsageError, match="fmt must be 'text' or 'markdown'"):
        format_table([row], fmt="latex")


def test_load_runs_nulls_as_written_by_the_training_loop(tmp_path, write_run):
    # train/ writes strict JSON: NaN becomes null, unknown keys are null.
    path = write_run(tmp_path, "smote", 4)
    results = json.loads((path / "results.json").read_text())
    results["recipe"] = None
    results["test"] = {
        "test": {"accuracy": 0.5, "acsa": None, "gm": 0.0, "macro_f1": 0.4,
                 "per_class_recall": [1.0, None, 0.0],
                 "confusion_matrix": [[2, 0, 0], [0, 0, 0], [1, 0, 0]]}
    }  # fmt: skip
    (path / "results.json").write_text(json.dumps(results))
    (run,) = load_runs(tmp_path)
    assert (run.recipe, run.seed) == ("smote", 4)  # from config.json
    (row,) = summarize([run])
    assert math.isnan(row["acsa_mean"]) and math.isnan(row["acsa_std"])
    assert row["gm_mean"] == 0.0
    assert "n/a" in format_table([row])
