"""Distributed data-parallel training with online SMOTE, one process per device.

::

    torchrun --nproc_per_node=2 examples/ddp_train.py                 # CPU: gloo
    torchrun --nproc_per_node=4 examples/ddp_train.py --model resnet20 \\
        --split fmnist-deepsmote --epochs 30 --out runs/ddp           # GPUs: nccl

Every process builds the same :class:`pixsmote.torch.ResampledDataset`: its
neighbour graph is computed once per process and each epoch's plan is a pure
function of ``(seed, epoch)``, so the processes agree on the epoch's synthetic
images without sending any. A ``DistributedSampler`` deals each process a
disjoint share of the epoch's items; ``set_epoch`` on both the dataset (new
plan) and the sampler (new shuffle) starts every epoch. With
``--balanced-batches`` the originals are read through the distributed-aware
:class:`pixsmote.torch.ClassBalancedSampler` instead (random over-sampling
inside the loader, nothing synthesised).

Rank 0 prints the validation ACSA (mean per-class recall) after every epoch and
writes the checkpoints: ``last.pt`` every epoch, ``best.pt`` when the validation
ACSA is at least the best so far. ``--record DIR`` makes every process write
``rank<R>.json`` with, per epoch, a hash of the plan it drew and the dataset
indices it was dealt (what tests/examples/test_ddp_train.py checks).

Run without torchrun it trains as a single process.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import socket
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, Subset

from pixsmote.data import list_splits, load_split
from pixsmote.sampling import list_samplers
from pixsmote.torch import ClassBalancedSampler, ResampledDataset
from pixsmote.train import MODELS, compute_metrics, get_model


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--split", default="digits-seed-3", choices=list_splits(),
                   help="protocol split (default: built-in digits, no files needed)")
    p.add_argument("--sampler", default="smote", choices=list_samplers(),
                   help="online resampler of the training set (default: smote)")
    p.add_argument("--balanced-batches", action="store_true",
                   help="class-balanced batches of the originals instead of a "
                   "resampler and a DistributedSampler")
    p.add_argument("--model", default="small-cnn", choices=list(MODELS))
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=32, help="per process")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-steps", type=int, default=None,
                   help="stop each epoch after this many steps (for quick checks)")
    p.add_argument("--workers", type=int, default=0, help="loader workers per process")
    p.add_argument("--out", type=Path, default=Path("runs/ddp"),
                   help="checkpoint folder (rank 0 writes it)")
    p.add_argument("--record", type=Path, default=None,
                   help="write rank<R>.json: per epoch, the plan hash and the items")
    return p.parse_args(argv)  # fmt: skip


def _init_process_group():
    """The group torchrun describes in the environment, or a group of one."""
    if "RANK" not in os.environ:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        os.environ.update(
            RANK="0", WORLD_SIZE="1", LOCAL_RANK="0",
            MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port),
        )  # fmt: skip
    if torch.cuda.is_available():
        local_rank = int(os.environ["LOCAL_RANK"])
        torch.cuda.set_device(local_rank)
        dist.init_process_group("nccl")
        return torch.device("cuda", local_rank)
    dist.init_process_group("gloo")
    return torch.device("cpu")


def plan_hash(ds: ResampledDataset) -> str:
    """SHA-256 of the epoch's items: the originals kept and the synthetic plan."""
    h = hashlib.sha256()
    for a in (ds.sample_indices, ds.plan.cls, ds.plan.base, ds.plan.neighbor,
              ds.plan.gap):  # fmt: skip
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def validate(model, val, n_classes, device, rank, world):
    """Validation metrics over all processes: each predicts a share of ``val``."""
    share = Subset(val, range(rank, len(val), world))  # disjoint, no padding
    y_true, y_pred = [], []
    model.eval()
    with torch.no_grad():
        for xb, yb in DataLoader(share, batch_size=256):
            y_pred.append(model(xb.to(device)).argmax(1).cpu())
            y_true.append(yb)
    model.train()
    mine = [torch.cat(y).tolist() if y else [] for y in (y_true, y_pred)]
    gathered = [None] * world
    dist.all_gather_object(gathered, mine)
    t = [v for g in gathered for v in g[0]]
    p = [v for g in gathered for v in g[1]]
    return compute_metrics(np.array(t), np.array(p), n_classes)


def main(argv=None):
    args = parse_args(argv)
    device = _init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(args.seed)  # the same initial weights on every process

    split = load_split(args.split, seed=args.seed)
    train, val = split.train, split.val
    n_classes = len(train.class_names)
    if args.balanced_batches:
        ds = ResampledDataset(train.X, train.y, sampler=None, seed=args.seed)
        sampler = ClassBalancedSampler(train.y, args.batch_size, seed=args.seed)
        loader = DataLoader(ds, batch_sampler=sampler, num_workers=args.workers)
    else:
        ds = ResampledDataset(train.X, train.y, sampler=args.sampler, seed=args.seed)
        # drop_last: each process gets exactly len(ds) // world items, and the
        # shares are disjoint (without it the last share is padded with items
        # of the first); at most world - 1 items of a shuffled epoch are left out.
        sampler = DistributedSampler(ds, seed=args.seed, drop_last=True)
        loader = DataLoader(
            ds, batch_size=args.batch_size, sampler=sampler, num_workers=args.workers
        )
    val_ds = ResampledDataset(val.X, val.y, sampler=None)

    image = ds[0][0]
    net = get_model(args.model, image.shape[0], n_classes, tuple(image.shape[1:]))
    net = net.to(device)
    model = DistributedDataParallel(
        net, device_ids=None if device.type == "cpu" else [device.index]
    )
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9,
                          weight_decay=5e-4)  # fmt: skip

    if rank == 0:
        args.out.mkdir(parents=True, exist_ok=True)
        print(f"{args.split}: {len(train.y)} training images, {n_classes} classes; "
              f"{world} process(es), {dist.get_backend()}; "
              f"{len(loader)} steps per epoch per process", flush=True)  # fmt: skip
    record = {"rank": rank, "world_size": world, "epochs": []}
    best = -1.0
    for epoch in range(args.epochs):
        ds.set_epoch(epoch)  # the epoch's plan: the same on every process
        sampler.set_epoch(epoch)  # the epoch's shuffle (or balanced batches)
        total, steps = 0.0, 0
        for xb, yb in loader:
            if args.max_steps is not None and steps == args.max_steps:
                break
            loss = F.cross_entropy(model(xb.to(device)), yb.to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item()
            steps += 1
        # The items this process trained on: its sampler's order is a pure
        # function of (seed, epoch), so iterating it again gives them.
        if args.balanced_batches:
            dealt = [i for batch in list(sampler)[:steps] for i in batch]
        else:
            dealt = list(sampler)[: steps * args.batch_size]
        metrics = validate(model, val_ds, n_classes, device, rank, world)
        record["epochs"].append(
            {"epoch": epoch, "plan_sha256": plan_hash(ds), "items": dealt}
        )
        if rank == 0:
            state = {"epoch": epoch, "model": net.state_dict(),
                     "optimizer": opt.state_dict(), "val_acsa": metrics["acsa"],
                     "args": vars(args) | {"out": str(args.out),
                                           "record": str(args.record)}}  # fmt: skip
            torch.save(state, args.out / "last.pt")
            if metrics["acsa"] >= best:
                best = metrics["acsa"]
                torch.save(state, args.out / "best.pt")
            print(f"epoch {epoch + 1}/{args.epochs}  loss {total / max(steps, 1):.4f}"
                  f"  val ACSA {metrics['acsa']:.4f}  val accuracy "
                  f"{metrics['accuracy']:.4f}", flush=True)  # fmt: skip
        dist.barrier()  # nobody starts the next epoch before the checkpoint
    if args.record is not None:
        args.record.mkdir(parents=True, exist_ok=True)
        (args.record / f"rank{rank}.json").write_text(json.dumps(record))
    if rank == 0:
        print(f"best val ACSA {best:.4f}; checkpoints in {args.out}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
