"""The training loop: one flat, sectioned function, :func:`fit`.

Design choices that keep the harness within 15 % of a bare PyTorch loop (see
``benchmarks/train_throughput.py``): the images are turned into one uint8 tensor
on the training device once per epoch's data, batches are index slices of a
seeded permutation (no DataLoader, no per-sample Python), float conversion
happens per batch on the device, running train loss/accuracy stay on the device
until a validation, and validation runs at the end of an epoch (at most every
``eval_every`` steps, so tiny epochs do not validate hundreds of times) in
large batches under ``torch.no_grad()``.

Reproducibility: everything random is derived from ``seed``. Model
initialisation and dropout use torch's global generator, so :func:`fit` runs
inside :func:`torch.random.fork_rng`, seeds it there and leaves the caller's
global RNG state as it found it. Permutations use their own
``torch.Generator``; augmentations their own generators.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pixsmote._errors import UsageError
from pixsmote._runfolder import METRICS_COLUMNS, RunWriter, merge_config
from pixsmote._runfolder import versions as _versions
from pixsmote.train._augment import get_augmentation
from pixsmote.train._feature_aug import get_feature_augmentation
from pixsmote.train._inputs import (
    check_keep,
    check_settings,
    check_training_classes,
    load_data,
    to_tensors,
)
from pixsmote.train._losses import get_loss, mixed_loss
from pixsmote.train._metrics import compute_metrics
from pixsmote.train._models import get_model
from pixsmote.train._two_stage import split_net

__all__ = ["FitResult", "fit", "lr_at", "METRICS_COLUMNS", "SCHEDULES", "versions"]

#: Learning-rate schedules understood by :func:`lr_at`.
SCHEDULES = ("cosine", "onecycle", "constant")


def lr_at(fraction: float, peak: float, schedule: str = "cosine") -> float:
    """Learning rate at ``fraction`` in [0, 1] of training (a pure function).

    ``cosine``: ``peak * (1 + cos(pi * f)) / 2``, from ``peak`` to 0.
    ``onecycle``: linear warm-up from ``peak / 10`` to ``peak`` over the first
    30 %, then cosine to 0 (Smith's one-cycle policy, as in airbench).
    ``constant``: ``peak``.

    Parameters
    ----------
    fraction : float
        Share of training done, in [0, 1].
    peak : float
        The peak learning rate.
    schedule : {"cosine", "onecycle", "constant"}, default="cosine"
        The schedule.
    """
    f = min(max(fraction, 0.0), 1.0)
    if schedule == "cosine":
        return peak * 0.5 * (1.0 + math.cos(math.pi * f))
    if schedule == "onecycle":
        if f < 0.3:
            return peak * (0.1 + 0.9 * f / 0.3)
        return peak * 0.5 * (1.0 + math.cos(math.pi * (f - 0.3) / 0.7))
    if schedule == "constant":
        return peak
    raise UsageError(
        f"Unknown schedule. Expected one of {list(SCHEDULES)}. Got {schedule!r} "
        "instead."
    )


@dataclass
class FitResult:
    """What :func:`fit` returns.

    Attributes
    ----------
    model : torch.nn.Module
        The trained model with the best (validation ACSA) weights loaded, in
        eval mode.
    history : list of dict
        One dict per validation (end of an epoch) with the keys of
        :data:`METRICS_COLUMNS`; train loss/accuracy are over the steps since
        the previous row.
    best_epoch : int
        1-based epoch whose weights were kept.
    val : dict
        Validation metrics of the best epoch (:func:`compute_metrics` plus
        ``loss``).
    test : dict
        Test-set name -> metrics of the best weights (same keys as ``val``).
    time_s : float
        Wall time of the whole call, in seconds.
    config : dict
        The resolved configuration (as written to ``config.json``).
    """

    model: nn.Module
    history: list[dict]
    best_epoch: int
    val: dict
    test: dict = field(default_factory=dict)
    time_s: float = 0.0
    config: dict = field(default_factory=dict)


def versions() -> dict[str, str | None]:
    """Versions of Python and the libraries a run depends on."""
    return _versions("pixsmote", "torch", "kornia", "numpy")


def fit(
    train_data: tuple[np.ndarray, np.ndarray] | Callable[[int], tuple],
    val: tuple[np.ndarray, np.ndarray],
    *,
    n_classes: int,
    model: str = "small-cnn",
    aug: str = "basic",
    loss: str = "ce",
    steps: int | None = None,
    epochs: int | None = None,
    batch_size: int = 128,
    lr: float = 0.05,
    weight_decay: float = 5e-4,
    momentum: float = 0.9,
    schedule: str = "cosine",
    seed: int = 0,
    device: str | torch.device | None = None,
    class_counts: np.ndarray | list[int] | None = None,
    test_sets: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    out_dir: str | Path | None = None,
    extra_config: Mapping[str, Any] | None = None,
    progress: bool = True,
    model_kw: Mapping[str, Any] | None = None,
    aug_kw: Mapping[str, Any] | None = None,
    loss_kw: Mapping[str, Any] | None = None,
    eval_batch_size: int = 1024,
    eval_every: int | None = None,
    original_counts: np.ndarray | list[int] | None = None,
    switch_step: int | None = None,
    train_data_after: tuple[np.ndarray, np.ndarray] | Callable[[int], tuple]
    | None = None,
    loss_after: str | None = None,
    aug_after: str | None = None,
    feature_aug: str = "none",
    feature_aug_after: str | None = None,
    feature_aug_kw: Mapping[str, Any] | None = None,
    keep: str = "best",
) -> FitResult:
    """Train a classifier, keep the best epoch by validation ACSA, test it.

    Parameters
    ----------
    train_data : (X, y) or callable
        ``X`` uint8 of shape ``(N, H, W)`` or ``(N, H, W, C)`` (C in {1, 3}),
        ``y`` int labels ``(N,)``; or a callable ``epoch -> (X, y)`` (0-based
        epoch) returning fresh data each epoch, e.g. from online resampling.
    val : (X, y)
        Validation set, evaluated at the end of epochs (see ``eval_every``).
    n_classes : int
        Number of classes; labels are in ``[0, n_classes)``.
    model, aug, loss : str
        Names in :data:`MODELS`, :data:`AUGMENTATIONS`, :data:`LOSSES`.
    steps : int, optional
        Total number of optimiser steps. Epochs are passes over the data of
        ``N // batch_size`` batches (the remainder, a different subset each
        epoch, is skipped so BatchNorm never sees a batch of 1); the last epoch
        is cut off when ``steps`` is reached. Give the same ``steps`` to every
        recipe to compare them at equal compute.
    epochs : int, optional
        Alternative to ``steps``: number of full epochs. Exactly one of
        ``steps`` and ``epochs`` must be given.
    batch_size : int
        Training batch size (128). A training set smaller than this is one batch.
    lr, weight_decay, momentum : float
        SGD with Nesterov momentum; ``lr`` is the peak of the schedule.
    schedule : {"cosine", "onecycle", "constant"}
        Learning-rate schedule over the run, see :func:`lr_at`.
    seed : int
        Seeds model initialisation, batch order, augmentation and dropout.
    device : str or torch.device, optional
        Default: ``"cuda"`` if available, else ``"cpu"``.
    class_counts : sequence of int, optional
        Class counts given to the loss; default the counts of the (first
        epoch's) training data.
    test_sets : mapping of str to (X, y), optional
        Evaluated once, with the best weights, at the end.
    out_dir : str or Path, optional
        Run folder, written through :class:`pixsmote._runfolder.RunWriter`:
        ``config.json`` (at the start), ``metrics.csv`` (one row appended per
        validation), ``results.json`` (at the end).
    extra_config : mapping, optional
        The caller's keys for ``config.json``, written as given (e.g. the name
        of the run as ``recipe``, ``class_names``, how the data was balanced).
        ``recipe`` and ``class_names`` are repeated in ``results.json`` (see
        :data:`pixsmote._runfolder.RESULTS_KEYS`). A key that contradicts a
        harness setting is an error.
    progress : bool
        Show a tqdm progress bar.
    model_kw, aug_kw, loss_kw : mapping, optional
        Extra options for :func:`get_model`, :func:`get_augmentation`,
        :func:`get_loss`.
    eval_batch_size : int
        Batch size for validation and test.
    eval_every : int, optional
        Validate at the end of an epoch only once at least this many steps
        have passed since the last validation (the last epoch is always
        validated). Default: every epoch when training by ``epochs``;
        ``max(1, steps // 50)`` when training by ``steps``, so that tiny epochs
        (random under-sampling: 360 images are 2 steps) do not spend most of
        the run validating -- measured: 600 steps of ``rus`` on
        fmnist-deepsmote took 843 s validating after each of its 300 epochs.
    original_counts : sequence of int, optional
        Class counts of the training set *before* any resampling, given to
        the augmentations that read them (:class:`~pixsmote.train.Remix`,
        whose rule is about the original imbalance: on balanced data it
        reduces to mixup). Default: the counts of the first training data.
    switch_step : int, optional
        Deferred rebalancing (DRW/DRS, Cao et al., NeurIPS 2019): steps
        ``[0, switch_step)`` train on ``train_data`` with ``loss`` and
        ``aug``; from ``switch_step`` on, on ``train_data_after`` with
        ``loss_after`` and ``aug_after`` (each defaults to the first phase's).
        One learning-rate schedule runs over all the steps; the epoch in
        progress ends at the switch, and an online ``train_data_after`` is
        called with epochs counted from the switch (0 first). Needs
        ``steps``; ``0 <= switch_step < steps``.
    train_data_after, loss_after, aug_after
        The second phase's data, loss and augmentation (see ``switch_step``).
    feature_aug : str
        A name of :data:`FEATURE_AUGMENTATIONS`: synthetic penultimate
        features drawn during training (``"gaussian"``, explicit ISDA;
        ``"gaussian-pooled"``). Default ``"none"``. It needs unmixed labels,
        so not a mixing ``aug``.
    feature_aug_after : str, optional
        The second phase's feature augmentation (default: the first phase's).
    feature_aug_kw : mapping, optional
        Extra options for :func:`get_feature_augmentation` (``strength``).
    keep : {"best", "last"}
        Which weights are tested and returned: ``"best"``, those of the epoch
        with the highest validation ACSA; ``"last"``, the final ones (the
        validation still runs, for the history). ACSA weighs every class
        alike, so on a validation set with a handful of images of its smallest
        class one image moves it by points (4 Ankle boots in fmnist-deepsmote's:
        2.5 points each), and ``"best"`` can keep an early epoch for that
        image; ``"last"`` trusts the schedule instead.

    Returns
    -------
    FitResult

    Raises
    ------
    UsageError
        Bad settings: unknown names, ``steps`` or ``epochs`` not a positive int
        or both given, bad batch size.
    DataError
        Bad data: wrong dtype or shape, labels out of range, fewer than two
        classes in the training data, validation/test labels the training data
        lacks, images of different sizes.

    Notes
    -----
    Ties in validation ACSA keep the *later* epoch: with a decaying learning
    rate, later weights have seen more data at a lower rate, and on small or
    easy sets where ACSA saturates this picks the end-of-training model rather
    than the first lucky epoch.
    """
    t_start = time.perf_counter()
    # ------------------------------------------------------------ settings
    eval_every = check_settings(
        steps=steps,
        epochs=epochs,
        batch_size=batch_size,
        eval_batch_size=eval_batch_size,
        n_classes=n_classes,
        eval_every=eval_every,
        class_counts=class_counts,
    )
    lr_at(0.0, lr, schedule)  # validates the schedule name
    check_keep(keep)
    _check_switch(switch_step, steps)
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    # A fourth child for the feature noise: spawn(4)'s first three children are
    # spawn(3)'s, so runs without it draw as before.
    s_init, s_data, s_aug, s_feat = (
        int(c.generate_state(1)[0]) for c in np.random.SeedSequence(seed).spawn(4)
    )

    # ------------------------------------------------------------ data
    get_epoch_data = train_data if callable(train_data) else None
    X, Y, X_val, Y_val, tests, train_counts = load_data(
        train_data, val, test_sets, n_classes, device
    )
    channels, height, width = X.shape[1:]
    if class_counts is None:
        class_counts = train_counts

    if original_counts is None:
        original_counts = train_counts

    # ------------------------------------------------------------ model, aug, loss
    criterion = get_loss(loss, class_counts, **(loss_kw or {})).to(device)
    augmentation = get_augmentation(
        aug,
        (height, width),
        channels,
        seed=s_aug,
        class_counts=original_counts,
        **(aug_kw or {}),
    )
    feature_augmentation = _feature_aug(
        feature_aug, n_classes, s_feat, feature_aug_kw, device
    )
    data_gen = torch.Generator().manual_seed(s_data)
    phases = [
        _Phase(get_epoch_data, X, Y, criterion, augmentation, feature_augmentation)
    ]
    if switch_step is not None:
        phases.append(
            _second_phase(
                train_data_after if train_data_after is not None else train_data,
                loss_after or loss,
                aug_after or aug,
                n_classes=n_classes,
                device=device,
                image_shape=X_val.shape[1:],
                original_counts=original_counts,
                seed=s_aug,
                loss_kw=loss_kw,
                aug_kw=aug_kw,
                feature_aug=_feature_aug(
                    feature_aug_after or feature_aug, n_classes, s_feat,
                    feature_aug_kw, device,
                ),
            )
        )
    for p in phases:
        _check_unmixed(p.feature_aug, p.augmentation)
    # A margin loss of either phase needs its cosine head from the start.
    head_scale = next(
        (p.criterion.head_scale for p in phases if p.criterion.head_scale), None
    )

    # ------------------------------------------------------------ run folder
    config = {
        "class_names": [str(c) for c in range(n_classes)],
        "train_counts_after": train_counts.tolist(),
        "model": model,
        "aug": aug,
        "loss": loss,
        "seed": seed,
        "steps": steps,
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "weight_decay": weight_decay,
        "momentum": momentum,
        "nesterov": True,
        "schedule": schedule,
        "n_classes": n_classes,
        "image_shape": [channels, height, width],
        "device": str(device),
        "class_counts": np.asarray(class_counts).tolist(),
        "online_data": get_epoch_data is not None,
        "switch_step": switch_step,
        "loss_after": (loss_after or loss) if switch_step is not None else None,
        "aug_after": (aug_after or aug) if switch_step is not None else None,
        "feature_aug": feature_aug,
        "feature_aug_after": (
            (feature_aug_after or feature_aug) if switch_step is not None else None
        ),
        "feature_aug_kw": dict(feature_aug_kw or {}),
        "keep": keep,
        "original_counts": np.asarray(original_counts).tolist(),
        "model_kw": dict(model_kw or {}),
        "aug_kw": dict(aug_kw or {}),
        "loss_kw": dict(loss_kw or {}),
        "versions": versions(),
    }
    config = merge_config(config, extra_config or {})
    writer = RunWriter(out_dir) if out_dir is not None else None
    if writer is not None:
        writer.start(config)

    with torch.random.fork_rng(devices=_cuda_indices(device)):
        torch.manual_seed(s_init)
        net = get_model(
            model,
            channels,
            n_classes,
            (height, width),
            head_scale=head_scale,
            **(model_kw or {}),
        )
        net = net.to(device)
        # Split once: a feature augmentation runs the head on its own features.
        if any(p.feature_aug is not None for p in phases):
            backbone, head = split_net(net)
        optimizer = torch.optim.SGD(
            net.parameters(),
            lr=lr,
            momentum=momentum,
            nesterov=True,
            weight_decay=weight_decay,
        )
        bar = _progress_bar(steps, f"{model}/{aug}/{loss}") if progress else None

        # -------------------------------------------------------- train
        history: list[dict] = []
        best_acsa, best_epoch, best_state, best_val = -math.inf, 0, None, {}
        step, epoch, last_eval_step = 0, 0, 0
        # Training loss/accuracy since the last validation (one metrics row).
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        seen = 0
        phase, phase_epoch0 = 0, 0
        while True:
            if phase == 0 and switch_step is not None and step >= switch_step:
                phase, phase_epoch0 = 1, epoch
                X, Y = phases[1].X, phases[1].Y
                criterion, augmentation = phases[1].criterion, phases[1].augmentation
                feature_augmentation = phases[1].feature_aug
            elif (
                epoch > phase_epoch0
                and (epoch_data := phases[phase].epoch_data) is not None
            ):
                X, Y = to_tensors(
                    epoch_data(epoch - phase_epoch0),
                    "train_data",
                    n_classes,
                    device,
                    X_val.shape[1:],
                )
                check_training_classes(torch.bincount(Y, minlength=n_classes).cpu())
            n = X.shape[0]
            bs = min(batch_size, n)
            n_batches = n // bs
            if steps is not None:
                end = switch_step if phase == 0 and switch_step is not None else steps
                n_batches = min(n_batches, end - step)
            perm = torch.randperm(n, generator=data_gen).to(device)
            net.train()
            for i in range(n_batches):
                fraction = (
                    step / steps
                    if steps is not None
                    else (epoch + i / n_batches) / epochs
                )
                lr_now = lr_at(fraction, lr, schedule)
                for group in optimizer.param_groups:
                    group["lr"] = lr_now
                augmentation.set_progress(epoch, fraction)
                criterion.set_progress(fraction)

                idx = perm[i * bs : (i + 1) * bs]
                batch = augmentation(X[idx].float().div_(255.0), Y[idx])
                if feature_augmentation is None:
                    logits = net(batch.x)
                else:
                    feature_augmentation.set_progress(fraction)
                    logits = head(feature_augmentation(backbone(batch.x), batch.y))
                loss_value = mixed_loss(
                    criterion, logits, batch.y, batch.y_b, batch.lam
                )
                optimizer.zero_grad(set_to_none=True)
                loss_value.backward()
                optimizer.step()

                loss_sum += loss_value.detach() * bs
                correct += (logits.detach().argmax(1) == batch.y).sum()
                seen += bs
                step += 1
            if bar is not None:
                bar.update(n_batches)
            epoch += 1
            done = (steps is not None and step >= steps) or (
                epochs is not None and epoch >= epochs
            )
            if not done and step - last_eval_step < eval_every:
                continue
            last_eval_step = step

            # ---------------------------------------------------- validate
            val_metrics = _evaluate(net, X_val, Y_val, n_classes, eval_batch_size)
            row = {
                "epoch": epoch,
                "step": step,
                "lr": lr_now,
                "train_loss": float(loss_sum) / max(seen, 1),
                "train_acc": float(correct) / max(seen, 1),
                **{col: val_metrics[k] for col, k in _VAL_COLUMNS.items()},
                "time_s": time.perf_counter() - t_start,
            }
            history.append(row)
            loss_sum.zero_()
            correct.zero_()
            seen = 0
            if writer is not None:
                writer.append(row)
            # keep="last": every validation is the newest, so the final one stays.
            if keep == "last" or val_metrics["acsa"] >= best_acsa:  # ties: later
                best_acsa, best_epoch, best_val = (
                    val_metrics["acsa"],
                    epoch,
                    val_metrics,
                )
                best_state = {
                    k: v.detach().clone() for k, v in net.state_dict().items()
                }
            if bar is not None:
                bar.set_postfix(val_acsa=f"{val_metrics['acsa']:.3f}", refresh=False)
            if done:
                break
        if bar is not None:
            bar.close()

    # ------------------------------------------------------------ test
    assert best_state is not None  # the loop validates at least once
    net.load_state_dict(best_state)
    test_metrics = {
        name: _evaluate(net, Xt, Yt, n_classes, eval_batch_size)
        for name, (Xt, Yt) in tests.items()
    }
    net.eval()
    elapsed = time.perf_counter() - t_start
    if writer is not None:
        writer.finish(
            config,
            seed=seed,
            best_epoch=best_epoch,
            time_s=elapsed,
            versions=config["versions"],
            steps=step,
            val=best_val,
            test=test_metrics,
        )
    return FitResult(net, history, best_epoch, best_val, test_metrics, elapsed, config)


# ---------------------------------------------------------------------- helpers
@dataclass
class _Phase:
    """One phase of a (possibly deferred) run: its data, loss, augmentation."""

    epoch_data: Callable[[int], tuple] | None
    X: torch.Tensor
    Y: torch.Tensor
    criterion: Any
    augmentation: Any
    feature_aug: Any = None


def _check_switch(switch_step, steps) -> None:
    if switch_step is None:
        return
    if steps is None:
        raise UsageError(
            "switch_step needs steps (the switch is a step of the schedule). Got "
            "epochs instead."
        )
    if (
        not isinstance(switch_step, int | np.integer)
        or isinstance(switch_step, bool)
        or not 0 <= switch_step < steps
    ):
        raise UsageError(
            f"switch_step must be an int in [0, steps={steps}). Got "
            f"{switch_step!r} instead."
        )


def _second_phase(
    data, loss, aug, *, n_classes, device, image_shape, original_counts, seed,
    loss_kw, aug_kw, feature_aug=None,
) -> _Phase:  # fmt: skip
    """The phase after ``switch_step``: its first data, loss and augmentation.

    Its loss reads the counts of its own data (balanced after a sampler);
    its augmentation the original counts, with the first phase's seed.
    """
    epoch_data = data if callable(data) else None
    X, Y = to_tensors(
        data(0) if callable(data) else data, "train_data_after", n_classes, device,
        image_shape,
    )  # fmt: skip
    counts = torch.bincount(Y, minlength=n_classes).cpu().numpy()
    check_training_classes(counts)
    criterion = get_loss(loss, counts, **(loss_kw or {})).to(device)
    augmentation = get_augmentation(
        aug, tuple(image_shape[1:]), image_shape[0], seed=seed,
        class_counts=original_counts, **(aug_kw or {}),
    )  # fmt: skip
    return _Phase(epoch_data, X, Y, criterion, augmentation, feature_aug)


def _check_unmixed(feature_aug, augmentation) -> None:
    """Before any training or writing: a feature augmentation draws from the
    covariance of each image's class, which a mixed image does not have."""
    if feature_aug is not None and augmentation.mixes_labels:
        raise UsageError(
            "A feature augmentation needs unmixed labels (it draws from the "
            "covariance of each image's class). Got aug "
            f"{type(augmentation).name!r}, which mixes two images' labels, instead."
        )


def _feature_aug(name, n_classes, seed, kw, device):
    module = get_feature_augmentation(name, n_classes, seed=seed, **(kw or {}))
    return module.to(device).train() if module is not None else None


@torch.no_grad()
def _evaluate(net, X, Y, n_classes, batch_size) -> dict:
    """Metrics of ``net`` on uint8 images ``X`` (plus the mean plain CE loss)."""
    was_training = net.training
    net.eval()
    preds, loss_sum = [], 0.0
    for i in range(0, X.shape[0], batch_size):
        logits = net(X[i : i + batch_size].float().div_(255.0))
        # Plain CE whatever the training loss, so val losses compare across recipes.
        loss_sum += float(
            F.cross_entropy(logits, Y[i : i + batch_size], reduction="sum")
        )
        preds.append(logits.argmax(1))
    net.train(was_training)
    metrics = compute_metrics(Y, torch.cat(preds), n_classes)
    return {"loss": loss_sum / max(X.shape[0], 1), **metrics}


def _cuda_indices(device: torch.device) -> list[int]:
    if device.type != "cuda":
        return []
    return [device.index if device.index is not None else torch.cuda.current_device()]


#: ``metrics.csv`` column -> key of the validation metrics it records.
_VAL_COLUMNS = {
    "val_loss": "loss",
    "val_acc": "accuracy",
    "val_acsa": "acsa",
    "val_gm": "gm",
    "val_macro_f1": "macro_f1",
}


def _progress_bar(total, desc):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="step", leave=False, dynamic_ncols=True)
