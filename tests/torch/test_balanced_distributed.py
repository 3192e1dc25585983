"""ClassBalancedSampler under distributed training: shards of one epoch."""

import json
import multiprocessing
import socket

import numpy as np
import pytest
import torch

from pixsmote._errors import UsageError
from pixsmote.torch import ClassBalancedSampler


@pytest.fixture
def labels():
    return np.array([0] * 40 + [1] * 7 + [2] * 3)


def _shards(labels, num_replicas, **kw):
    return [
        list(ClassBalancedSampler(labels, num_replicas=num_replicas, rank=r, **kw))
        for r in range(num_replicas)
    ]


@pytest.mark.parametrize("num_replicas", [2, 3])
def test_ranks_share_out_one_epoch(labels, num_replicas):
    # 12 batches: a multiple of 2 and 3, nothing is drawn extra or dropped.
    whole = list(ClassBalancedSampler(labels, 10, num_batches=12, seed=4))
    shards = _shards(labels, num_replicas, batch_size=10, num_batches=12, seed=4)
    assert [len(s) for s in shards] == [12 // num_replicas] * num_replicas
    for r, shard in enumerate(shards):
        assert shard == whole[r::num_replicas]  # the single-process epoch, dealt
        for batch in shard:
            assert np.bincount(labels[batch], minlength=3).min() >= 3
    positions = sorted(b for s in shards for b in map(tuple, s))
    assert positions == sorted(map(tuple, whole))


def test_the_largest_class_is_split_between_ranks(labels):
    # By default an epoch uses each image of the largest class once.
    shards = _shards(labels, 2, batch_size=12, seed=0)
    majority = [[i for b in s for i in b if labels[i] == 0] for s in shards]
    assert not set(majority[0]) & set(majority[1])
    assert sorted(majority[0] + majority[1]) == list(range(40))


def test_drop_last_rounds_the_epoch_down_else_up(labels):
    up = ClassBalancedSampler(labels, 10, num_batches=10, num_replicas=3, rank=2)
    down = ClassBalancedSampler(
        labels, 10, num_batches=10, num_replicas=3, rank=2, drop_last=True
    )
    assert (len(up), up.num_batches) == (4, 12)
    assert (len(down), down.num_batches) == (3, 9)
    # The batches drawn up to the next multiple are balanced too.
    for batch in up:
        assert sorted(np.bincount(labels[batch], minlength=3)) == [3, 3, 4]


def test_defaults_come_from_the_process_group(labels, monkeypatch):
    dist = torch.distributed
    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "get_world_size", lambda group=None: 4)
    monkeypatch.setattr(dist, "get_rank", lambda group=None: 3)
    s = ClassBalancedSampler(labels, 10, num_batches=8, seed=1)
    assert (s.num_replicas, s.rank, len(s)) == (4, 3, 2)
    assert list(s) == _shards(labels, 4, batch_size=10, num_batches=8, seed=1)[3]


def test_without_a_process_group_it_is_one_process(labels):
    assert not torch.distributed.is_initialized()
    s = ClassBalancedSampler(labels, 12)
    assert (s.num_replicas, s.rank, len(s)) == (1, 0, 10)


def test_a_generator_moves_every_iteration_and_agrees_across_copies(labels):
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    a = ClassBalancedSampler(labels, 12, generator=g1)
    b = ClassBalancedSampler(labels, 12, generator=g2)
    first_a, first_b = list(a), list(b)
    assert first_a == first_b
    assert list(a) != first_a  # the generator advanced: a new epoch of batches
    plain = ClassBalancedSampler(labels, 12)
    assert list(plain) == list(plain)  # without one, (seed, epoch) alone


def test_bad_shards_are_rejected(labels):
    with pytest.raises(UsageError, match=r"rank must be in \[0, num_replicas=2\)"):
        ClassBalancedSampler(labels, 4, num_replicas=2, rank=2)
    with pytest.raises(UsageError, match=r"num_replicas must be an integer >= 1"):
        ClassBalancedSampler(labels, 4, num_replicas=0, rank=0)
    with pytest.raises(UsageError, match="drop_last=True leaves no batch"):
        ClassBalancedSampler(labels, 4, num_batches=1, num_replicas=2, drop_last=True)
    with pytest.raises(UsageError, match="generator must be a torch.Generator"):
        ClassBalancedSampler(labels, 4, generator=np.random.default_rng(0))


def _worker(rank, port, labels, out_dir):
    dist = torch.distributed
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2
    )
    sampler = ClassBalancedSampler(labels, batch_size=12, seed=5)  # no rank given
    epochs = []
    for epoch in range(2):
        sampler.set_epoch(epoch)
        epochs.append(list(sampler))
    record = {"rank": sampler.rank, "replicas": sampler.num_replicas, "epochs": epochs}
    (out_dir / f"rank{rank}.json").write_text(json.dumps(record))
    dist.destroy_process_group()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_in_a_gloo_group_draw_disjoint_shards(labels, tmp_path):
    # Forked, the processes start with everything imported (a fresh interpreter
    # spends seconds importing torch and scikit-learn); the sampler uses no
    # thread pool that a fork could leave locked.
    ctx = multiprocessing.get_context("fork")
    port = _free_port()
    procs = [
        ctx.Process(target=_worker, args=(rank, port, labels, tmp_path))
        for rank in range(2)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    outs = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert [(o["rank"], o["replicas"]) for o in outs] == [(0, 2), (1, 2)]
    for epoch in range(2):
        whole = ClassBalancedSampler(labels, batch_size=12, seed=5)
        whole.set_epoch(epoch)
        expected = list(whole)  # 10 batches: 5 per process
        got = [o["epochs"][epoch] for o in outs]
        assert got[0] == expected[0::2] and got[1] == expected[1::2]
    assert outs[0]["epochs"][0] != outs[0]["epochs"][1]
