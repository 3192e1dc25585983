"""Two-stage training: retrain a trained network's head on frozen features.

Decoupling representation and classifier (Kang et al., ICLR 2020): stage 1
trains the whole network (:func:`~pixsmote.train.fit`); stage 2 freezes the
backbone, extracts the penultimate features once (eval mode, no augmentation),
re-initialises the head and trains it alone for a few epochs on (re)sampled
features, choosing the epoch on validation ACSA. What "(re)sampled" means is a
callable: class-balanced real features (cRT), real plus synthetic features of
any sampler, EOS, ... This module knows no sampler; the callables live with
them (:mod:`pixsmote.torch`).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pixsmote._errors import DataError, UsageError
from pixsmote.train._inputs import check_keep
from pixsmote.train._metrics import compute_metrics

__all__ = ["HeadResult", "extract_features", "retrain_head"]

#: ``resample(epoch, feats, y) -> (feats_epoch, y_epoch)``.
Resample = Callable[[int, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def split_net(net: nn.Module) -> tuple[Callable, nn.Module]:
    """``(forward_features, fc)`` of a model of :data:`MODELS`.

    The loop's feature augmentation and the head retraining both go through
    here."""
    # getattr, not attribute access: to the type checker a Module's unknown
    # attributes are parameters or sub-modules (``Tensor | Module``).
    features = getattr(net, "forward_features", None)
    head = getattr(net, "fc", None)
    if features is None or not isinstance(head, nn.Module):
        raise UsageError(
            "net must split into forward_features(x) and a head fc, as the models "
            f"of pixsmote.train.MODELS do. Got {type(net).__name__} instead."
        )
    return features, head


def _device_of(net: nn.Module) -> torch.device:
    p = next(net.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


def extract_features(net: nn.Module, X, batch_size: int = 1024) -> np.ndarray:
    """Penultimate features of images, in eval mode, without augmentation.

    Parameters
    ----------
    net : torch.nn.Module
        A model of :data:`~pixsmote.train.MODELS` (``forward_features``).
    X : ndarray of shape (N, H, W) or (N, H, W, C)
        uint8 images (scaled to [0, 1] as :func:`~pixsmote.train.fit` does) or
        float images already in [0, 1].
    batch_size : int
        Images per forward pass.

    Returns
    -------
    feats : ndarray of shape (N, d), float32
        The net's train/eval mode is restored afterwards.
    """
    features, _ = split_net(net)
    X = np.asarray(X)
    if X.ndim not in (3, 4):
        raise UsageError(
            f"X must be images (N, H, W) or (N, H, W, C). Got shape {X.shape} "
            "instead."
        )
    device = _device_of(net)
    was_training = net.training
    net.eval()
    out = []
    try:
        with torch.no_grad():
            for s in range(0, len(X), batch_size):
                # A copy of the block: the images may be a read-only memmap or
                # array (torch warns on non-writable ones), and one batch is small.
                xb = torch.from_numpy(np.array(X[s : s + batch_size], order="C"))
                xb = xb.unsqueeze(1) if xb.ndim == 3 else xb.permute(0, 3, 1, 2)
                xb = xb.to(device).float()
                if X.dtype == np.uint8:
                    xb = xb.div_(255.0)
                out.append(features(xb).float().cpu())
    finally:
        net.train(was_training)
    if not out:
        return np.empty((0, 0), dtype=np.float32)
    return torch.cat(out).numpy()


@dataclass
class HeadResult:
    """What :func:`retrain_head` returns.

    Attributes
    ----------
    model : torch.nn.Module
        A copy of the net with the best head (by validation ACSA) loaded, in
        eval mode; the backbone is the input's, bit for bit, with
        ``requires_grad=False`` on its parameters.
    best_epoch : int
        1-based epoch of the kept head (ties: the later epoch).
    best_val : dict
        Validation metrics of the kept head (:func:`compute_metrics`).
    history : list of dict
        Per epoch: ``epoch``, ``lr`` (at the epoch's last step), ``n_train``
        (features that epoch), ``train_loss``, ``val_acc``, ``val_acsa``,
        ``time_s`` (cumulative).
    """

    model: nn.Module
    best_epoch: int
    best_val: dict
    history: list[dict] = field(default_factory=list)


def _reinit(head: nn.Module, seed: int) -> None:
    """Fresh head parameters from ``seed``, global RNG left as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for m in head.modules():
            reset = getattr(m, "reset_parameters", None)
            if reset is not None:
                reset()
            elif type(m).__name__ == "NormedLinear":
                # The cosine head has no reset_parameters; its own initialisation.
                weight = m.weight
                assert isinstance(weight, torch.Tensor)  # a Parameter
                nn.init.kaiming_uniform_(weight, a=5**0.5)


def retrain_head(
    net: nn.Module,
    feats,
    y,
    val_feats,
    val_y,
    *,
    n_classes: int | None = None,
    epochs: int = 10,
    lr: float = 0.1,
    batch_size: int = 128,
    momentum: float = 0.9,
    weight_decay: float = 5e-4,
    seed: int = 0,
    resample: Resample | None = None,
    keep: str = "best",
) -> HeadResult:
    """Re-initialise a net's head and train it alone on frozen features.

    SGD (Nesterov momentum) with a cosine learning rate from ``lr`` to 0 over
    all the head's steps, cross-entropy, shuffled mini-batches; after every
    epoch the head is scored on ``val_feats`` and the best epoch by ACSA is
    kept (ties: the later one), as :func:`~pixsmote.train.fit` keeps its
    checkpoint.

    Parameters
    ----------
    net : torch.nn.Module
        A trained model of :data:`~pixsmote.train.MODELS`; not modified (a copy
        is returned). Its backbone never runs here: the head trains on the
        given features, so neither its weights nor its batch-norm statistics
        can change.
    feats, y : ndarray
        Training features ``(N, d)`` (from :func:`extract_features`) and int
        labels.
    val_feats, val_y : ndarray
        Validation features and labels (epoch selection only).
    n_classes : int, optional
        Default: the head's number of outputs.
    epochs : int
        Head epochs.
    lr, momentum, weight_decay, batch_size : float, float, float, int
        The head's SGD settings.
    seed : int
        Seeds the head's initialisation and the batch order.
    resample : callable, optional
        ``resample(epoch, feats, y) -> (feats_epoch, y_epoch)``, called at the
        start of every epoch (0-based) with the real features; its output is
        the epoch's training set (e.g. class-balanced, or real + synthetic).
        ``None`` trains on the real features as they are.
    keep : {"best", "last"}
        ``"best"``: the head of the epoch with the highest validation ACSA;
        ``"last"``: the final head (as ``keep`` of :func:`~pixsmote.train.fit`).

    Returns
    -------
    HeadResult
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise UsageError(f"epochs must be a positive integer. Got {epochs!r} instead.")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise UsageError(
            f"batch_size must be a positive integer. Got {batch_size!r} instead."
        )
    check_keep(keep)
    if len(val_y) == 0:  # no epoch would score, so none would be kept
        raise DataError(
            "val_y is empty: the head's epoch is chosen on validation ACSA. "
            "Expected at least one validation feature. Got none instead."
        )
    net = copy.deepcopy(net)
    _, head = split_net(net)
    device = _device_of(net)
    if n_classes is None:
        n_classes = _out_features(head)
    for p in net.parameters():
        p.requires_grad_(False)
    for p in head.parameters():
        p.requires_grad_(True)
    _reinit(head, seed)
    head.train()
    optimizer = torch.optim.SGD(
        head.parameters(),
        lr=lr,
        momentum=momentum,
        nesterov=True,
        weight_decay=weight_decay,
    )
    gen = torch.Generator().manual_seed(int(seed))
    feats, y = np.asarray(feats, dtype=np.float32), np.asarray(y, dtype=np.int64)
    V = torch.as_tensor(np.asarray(val_feats, dtype=np.float32), device=device)
    val_y = np.asarray(val_y, dtype=np.int64)
    history: list[dict] = []
    best_acsa, best_epoch, best_val = -math.inf, 0, {}
    best_state: dict[str, torch.Tensor] | None = None
    t0 = time.perf_counter()
    for epoch in range(epochs):
        Fe, ye = (feats, y) if resample is None else resample(epoch, feats, y)
        Fe = torch.as_tensor(np.asarray(Fe, dtype=np.float32), device=device)
        ye = torch.as_tensor(np.asarray(ye, dtype=np.int64), device=device)
        n = len(ye)
        bs = min(batch_size, n)
        n_batches = max(1, n // bs)
        perm = torch.randperm(n, generator=gen).to(device)
        loss_sum, lr_now = 0.0, lr
        head.train()
        for i in range(n_batches):
            fraction = (epoch + i / n_batches) / epochs
            lr_now = lr * 0.5 * (1.0 + math.cos(math.pi * fraction))
            for group in optimizer.param_groups:
                group["lr"] = lr_now
            idx = perm[i * bs : (i + 1) * bs]
            loss = F.cross_entropy(head(Fe[idx]), ye[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += float(loss.detach())
        head.eval()
        with torch.no_grad():
            pred = head(V).argmax(1).cpu().numpy()
        metrics = compute_metrics(val_y, pred, n_classes)
        history.append(
            {
                "epoch": epoch + 1,
                "lr": lr_now,
                "n_train": n,
                "train_loss": loss_sum / n_batches,
                "val_acc": metrics["accuracy"],
                "val_acsa": metrics["acsa"],
                "time_s": time.perf_counter() - t0,
            }
        )
        if keep == "last" or metrics["acsa"] >= best_acsa:  # ties: the later
            best_acsa, best_epoch, best_val = metrics["acsa"], epoch + 1, metrics
            best_state = {k: v.detach().clone() for k, v in head.state_dict().items()}
    # A non-empty validation set scores a number (not NaN), so epoch 1 is kept
    # at least.
    assert best_state is not None
    head.load_state_dict(best_state)
    net.eval()
    return HeadResult(net, best_epoch, best_val, history)


def _out_features(head: nn.Module) -> int:
    weights = [
        w
        for m in head.modules()
        if isinstance(w := getattr(m, "weight", None), torch.Tensor)
    ]
    if not weights or weights[-1].ndim != 2:
        raise UsageError(
            f"Cannot tell the number of classes of the head. Got "
            f"{type(head).__name__} instead; pass n_classes."
        )
    return int(weights[-1].shape[0])
