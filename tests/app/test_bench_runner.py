"""A tiny end-to-end bench on digits: run folders, report, resumability."""

import csv
import json

import pytest

from pixsmote._errors import UsageError
from pixsmote.app import BenchConfig, run_bench


def _config(out, **kw):
    base = dict(
        train="digits-seed-3",
        recipes=["none", "smote:aug=mixup"],
        steps=6,
        seeds=1,
        batch_size=32,
        out=str(out),
        progress=False,
        threads=1,
    )
    return BenchConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "run"
    lines = []
    result = run_bench(_config(out), echo=lines.append)
    return result, lines


def test_run_folders(bench):
    result, _ = bench
    folders = sorted(p.name for p in result.out.iterdir() if p.is_dir())
    assert folders == ["01-none", "02-smote_aug-mixup", "figures"]
    for rec in result.records:
        assert rec.status == "trained"
        names = {p.name for p in rec.path.iterdir()}
        assert {"config.json", "metrics.csv", "results.json"} <= names


def test_run_files_follow_the_contract(bench):
    result, _ = bench
    smote = result.out / "02-smote_aug-mixup" / "seed-0"
    config = json.loads((smote / "config.json").read_text())
    assert config["recipe"] == "smote:aug=mixup"
    assert config["aug"] == "mixup" and config["loss"] == "ce"
    assert config["steps"] == 6 and config["model"] == "small-cnn"
    assert config["train_counts_before"] == [18, 115, 48]
    assert config["train_counts_after"] == [115, 115, 115]
    assert config["class_names"] == ["3", "5", "8"]
    assert "versions" in config
    with open(smote / "metrics.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and {"epoch", "train_loss", "val_acsa"} <= set(rows[0])
    assert int(rows[-1]["step"]) == 6
    results = json.loads((smote / "results.json").read_text())
    assert results["recipe"] == "smote:aug=mixup" and results["seed"] == 0
    assert results["time_s"] > 0 and "torch" in results["versions"]
    test = results["test"]["test"]
    for key in ("accuracy", "acsa", "gm", "macro_f1"):
        assert 0.0 <= test[key] <= 1.0
    assert len(test["per_class_recall"]) == 3
    matrix = test["confusion_matrix"]
    assert [sum(row) for row in matrix] == [40, 40, 40]  # rows are true classes


def test_report_and_summary(bench):
    result, lines = bench
    html = result.html.read_text()
    assert result.html.name == "report.html" and result.md.name == "report.md"
    assert "data:image/png;base64," in html and "<script" not in html
    assert "smote:aug=mixup" in result.md.read_text()
    assert (result.out / "bench.json").is_file()
    assert "ACSA" in result.table and "smote:aug=mixup" in result.table
    assert lines[1].startswith("[1/2] none seed 0:")
    assert any("report:" in line for line in lines)


def test_resume_skips_finished_runs(bench):
    result, _ = bench
    out = result.out
    stamp = (out / "01-none" / "seed-0" / "results.json").stat().st_mtime_ns
    lines = []
    again = run_bench(
        _config(out, recipes=["none", "smote:aug=mixup", "ros"]), echo=lines.append
    )
    status = {(r.recipe, r.status) for r in again.records}
    assert status == {
        ("none", "skipped"),
        ("smote:aug=mixup", "skipped"),
        ("ros", "trained"),
    }
    assert (out / "01-none" / "seed-0" / "results.json").stat().st_mtime_ns == stamp
    assert (out / "03-ros" / "seed-0" / "results.json").is_file()
    assert any("skipped" in line for line in lines)
    assert [r.recipe for r in again.runs] == ["none", "smote:aug=mixup", "ros"]


def test_resume_refuses_other_settings(bench):
    result, _ = bench
    with pytest.raises(UsageError, match=r"trained with steps=6.*asks for steps=7"):
        run_bench(_config(result.out, steps=7), echo=None)


def test_parallel_benches_take_distinct_folder_numbers(tmp_path):
    # study.py runs benches side by side into one out: numbering is locked.
    import threading

    from pixsmote.app import parse_recipe
    from pixsmote.app._bench_runner import _recipe_dir

    names = ["none", "ros", "smote", "rus", "adasyn", "smote-enn", "svm-smote"]
    got, barrier = {}, threading.Barrier(len(names))

    def take(name):
        barrier.wait()
        got[name] = _recipe_dir(tmp_path, parse_recipe(name)).name

    threads = [threading.Thread(target=take, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    numbers = sorted(int(v.split("-")[0]) for v in got.values())
    assert numbers == list(range(1, len(names) + 1))
    assert all((tmp_path / v).is_dir() for v in got.values())
    assert not (tmp_path / ".bench.lock").exists()
    # an existing recipe keeps its folder
    assert _recipe_dir(tmp_path, parse_recipe("ros")).name == got["ros"]


def test_stale_lock_is_taken_over(tmp_path):
    import os

    from pixsmote.app import parse_recipe
    from pixsmote.app._bench_runner import _recipe_dir

    lock = tmp_path / ".bench.lock"
    lock.write_text("")
    os.utime(lock, (0, 0))  # left by a killed process long ago
    assert _recipe_dir(tmp_path, parse_recipe("ros")).name == "01-ros"
    assert not lock.exists()


def test_refused_sampler_leaves_no_recipe_folder(tmp_path):
    out = tmp_path / "o"
    # digits-seed-3's smallest class has 18 images: the sampler refuses k=500
    with pytest.raises(ValueError, match="too few for k_neighbors=500"):
        run_bench(_config(out, recipes=["smote:k_neighbors=500"]))
    assert [p.name for p in out.iterdir() if p.is_dir()] == []
