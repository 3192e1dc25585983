"""examples/ddp_train.py under torchrun: two gloo processes, a few steps."""

import json
import os
import subprocess
import sys
from pathlib import Path

import torch

import pixsmote
from pixsmote.train import get_model

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "ddp_train.py"
SRC = Path(pixsmote.__file__).parent.parent


def _torchrun(tmp_path, *extra):
    out, record = tmp_path / "ckpt", tmp_path / "record"
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--standalone",
        "--nproc_per_node=2", str(SCRIPT), "--epochs", "2", "--max-steps", "2",
        "--batch-size", "16", "--out", str(out), "--record", str(record), *extra,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ranks = [json.loads((record / f"rank{r}.json").read_text()) for r in (0, 1)]
    return done.stdout, out, ranks


def test_two_processes_share_the_plan_and_split_the_items(tmp_path):
    stdout, out, ranks = _torchrun(tmp_path)
    assert [(r["rank"], r["world_size"]) for r in ranks] == [(0, 2), (1, 2)]
    hashes = []
    for e0, e1 in zip(ranks[0]["epochs"], ranks[1]["epochs"], strict=True):
        assert e0["plan_sha256"] == e1["plan_sha256"]  # the same plan
        assert len(e0["items"]) == len(e1["items"]) == 2 * 16  # two steps each
        assert not set(e0["items"]) & set(e1["items"])  # disjoint shares
        hashes.append(e0["plan_sha256"])
    assert hashes[0] != hashes[1]  # set_epoch: a new plan every epoch
    # Rank 0 alone reports, once per epoch, and writes the checkpoints.
    lines = [ln for ln in stdout.splitlines() if ln.startswith("epoch ")]
    assert [ln.split()[1] for ln in lines] == ["1/2", "2/2"]
    assert all("val ACSA" in ln for ln in lines)
    state = torch.load(out / "last.pt", weights_only=False)
    assert state["epoch"] == 1 and 0 <= state["val_acsa"] <= 1
    net = get_model("small-cnn", 1, 3, (8, 8))
    net.load_state_dict(state["model"])  # a plain model's weights, no DDP prefix
    assert (out / "best.pt").is_file()
