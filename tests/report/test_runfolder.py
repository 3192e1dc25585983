"""The run-folder format module, written and read back without training."""

import math

import numpy as np
import pytest

from pixsmote._errors import DataError, UsageError
from pixsmote._runfolder import (
    METRICS_COLUMNS,
    RESULTS_KEYS,
    RunWriter,
    is_run_folder,
    merge_config,
    read_json,
    read_run_folder,
    write_json,
)


def test_write_then_read_round_trip(tmp_path):
    run = tmp_path / "a" / "seed-0"
    writer = RunWriter(run)
    config = merge_config({"seed": 0, "steps": 4}, {"recipe": "smote"})
    writer.start(config)
    assert is_run_folder(run) and not read_run_folder(run).finished
    writer.append({c: i for i, c in enumerate(METRICS_COLUMNS)} | {"lr": math.nan})
    writer.finish(
        config, seed=np.int64(0), best_epoch=1, steps=4, val={"acsa": math.inf}
    )
    folder = read_run_folder(run)
    assert folder.finished
    assert folder.config == {"recipe": "smote", "seed": 0, "steps": 4}
    assert math.isnan(folder.history[0]["lr"]) and folder.history[0]["step"] == 1
    # strict JSON: NaN/inf are null; results.json keys in the format's order
    assert folder.results["val"] == {"acsa": None}
    assert list(folder.results) == [k for k in RESULTS_KEYS if k in folder.results]
    assert folder.results["recipe"] == "smote"
    assert not list(run.glob(".*"))  # no temporary file left behind
    with pytest.raises(TypeError, match="not keys of results.json"):
        writer.finish(config, loss=1.0)


def test_merge_config_refuses_contradictions_and_reads_fail_loudly(tmp_path):
    assert merge_config({"lr": 0.1}, {})["recipe"] is None
    with pytest.raises(UsageError, match="contradicts"):
        merge_config({"lr": 0.1}, {"lr": 1.0})
    (tmp_path / "results.json").write_text("[1, 2]")
    with pytest.raises(DataError, match="must hold a JSON object"):
        read_run_folder(tmp_path)


def test_write_json_keeps_the_old_file_when_a_write_fails(tmp_path):
    path = tmp_path / "combos.json"
    write_json(path, {"frozen": True})
    with pytest.raises(TypeError):  # json streams: fails after writing "a"
        write_json(path, {"a": list(range(1000)), "b": object()})
    assert read_json(path) == {"frozen": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["combos.json"]
