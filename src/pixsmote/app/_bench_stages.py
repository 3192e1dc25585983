"""One bench run: deferred rebalancing, the stage-1 cache, two-stage training.

* :func:`fit_settings` turns a one-stage recipe (or a two-stage recipe's stage
  1) into :func:`pixsmote.train.fit`'s arguments. ``defer=F`` (deferred
  re-sampling / re-weighting, Cao et al., NeurIPS 2019) trains the first
  ``round(F * steps)`` steps on the imbalanced data with plain cross-entropy
  and the bench's augmentation, the rest on the recipe's data, loss and
  augmentation, one learning-rate schedule over all the steps.
* The stage-1 cache: a trained backbone is stored under
  ``<backbones>/<key>/`` (``model.pt``, its ``state_dict``, and
  ``backbone.json``, its training record), where ``key`` hashes everything
  that determines stage 1 (:func:`stage1_key`). Two-stage recipes that share a
  backbone (``crt``, ``eos``, ``feature-smote`` on ``none``) train it once;
  a one-stage run stores its kept model too, so ``crt:backbone=ros`` reuses
  the ``ros`` run of the same seed.
* :func:`run_two_stage`: stage 1 (cached or trained), then the head
  re-initialised and trained alone on penultimate features of the original
  training images (Kang et al., ICLR 2020), resampled afresh each head epoch
  (:func:`pixsmote.torch.feature_resampler`), the epoch chosen on validation
  ACSA; the test metrics are the two-stage model's.
* :func:`train_data`: a one-stage recipe's training data; with
  ``neighbors_from=R`` the cached (or freshly trained) network of recipe ``R``,
  same seed and budget, gives the sampler its neighbour space: eval-mode
  penultimate features of the training images.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pixsmote._runfolder import RunWriter, json_safe, read_json, write_json
from pixsmote.app._bench_recipes import DEFAULT_HEAD_EPOCHS, Recipe
from pixsmote.data import show_progress

__all__ = [
    "HEAD_LR",
    "Stage1",
    "fit_settings",
    "load_backbone",
    "recorded_aug_loss",
    "run_two_stage",
    "save_backbone",
    "stage1_key",
    "stage1_backbone",
    "train_data",
]

#: Peak learning rate of the head (SGD, cosine to 0), as in Kang et al.'s cRT.
HEAD_LR = 0.1

#: Bumped whenever what a cached backbone holds changes meaning.
CACHE_VERSION = 1


def recorded_aug_loss(recipe: Recipe, config) -> tuple[str, str]:
    """The ``aug`` and ``loss`` that ``config.json`` records for a one-stage
    recipe's run: those of its first phase (``defer``: the bench's
    augmentation and plain CE)."""
    if recipe.defer:
        return config.aug, "ce"
    return recipe.aug or config.aug, recipe.loss or config.loss


def fit_settings(recipe, balanced, data, config, steps: int, seed: int) -> dict:
    """Keyword arguments of :func:`pixsmote.train.fit` for a one-stage recipe.

    The augmentation gets the class counts of the original training set
    (Remix's rule is about the imbalance, which resampling hides).
    """
    aug = recipe.aug or config.aug
    loss = recipe.loss or config.loss
    train_data = balanced.epoch_data or (balanced.X, balanced.y)
    kw: dict[str, Any] = dict(
        train_data=train_data,
        val=(data.X_val, data.y_val),
        n_classes=data.n_classes,
        model=config.model,
        aug=aug,
        loss=loss,
        steps=steps,
        batch_size=config.batch_size,
        lr=config.lr,
        seed=seed,
        device=config.device,
        test_sets=data.tests,
        progress=show_progress(config.progress),
        original_counts=data.counts(),
        feature_aug=recipe.feature_aug or "none",
        feature_aug_kw=recipe.feature_aug_kw,
        keep=config.keep,
    )
    if recipe.defer:
        kw.update(
            train_data=(data.X, data.y),
            aug=config.aug,
            loss="ce",
            switch_step=int(round(recipe.defer * steps)),
            train_data_after=train_data,
            loss_after=loss,
            aug_after=aug,
            feature_aug="none",
            feature_aug_after=recipe.feature_aug or "none",
        )
    return kw


def stage1_key(recipe: Recipe, seed: int, config, steps: int, data) -> str:
    """Hash of everything that determines the training of `recipe` (a
    one-stage recipe): the same key means the same trained model."""
    resolved = {
        "version": CACHE_VERSION,
        "recipe": recipe.name,
        "params": recipe.params,
        "defer": recipe.defer,
        "aug": recipe.aug or config.aug,
        "loss": recipe.loss or config.loss,
        "model": config.model,
        "steps": steps,
        "batch_size": config.batch_size,
        "lr": config.lr,
        "seed": seed,
        "device": config.device,
        "bench_data": data.descriptions,
        "split_seed": config.split_seed,
        "train_counts": data.counts().tolist(),
        "val_counts": data.counts(data.y_val).tolist(),
    }
    if recipe.feature_aug is not None:
        # Only when set, so the keys of the backbones cached before the option
        # existed still match.
        resolved["feature_aug"] = recipe.feature_aug
    if recipe.feature_aug_kw:
        resolved["feature_aug_kw"] = recipe.feature_aug_kw
    if config.keep != "best":
        resolved["keep"] = config.keep
    nb = recipe.neighbors_recipe()
    if nb is not None:
        # The neighbour network's recipe; its own key follows from it and
        # the settings above.
        resolved["neighbors_from"] = nb.label
    text = json.dumps(json_safe(resolved), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass
class Stage1:
    """A trained backbone and the record of its training."""

    model: Any
    config: dict
    history: list
    best_epoch: int
    val: dict
    test: dict
    time_s: float
    cached: bool


def save_backbone(root: Path, key: str, result) -> None:
    """Store a :class:`~pixsmote.train.FitResult`'s model under ``root/key``.

    Written into a temporary folder renamed into place, so a reader never sees
    half a backbone; when two runs race, the first rename wins and the other
    copy (the same model) is dropped.
    """
    import torch

    final = Path(root) / key
    if (final / "backbone.json").is_file():
        return
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{key}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    net = result.model
    torch.save(net.state_dict(), tmp / "model.pt")
    cfg = result.config
    record = {
        "model_args": {
            "model": cfg["model"],
            "channels": cfg["image_shape"][0],
            "n_classes": cfg["n_classes"],
            "image_size": cfg["image_shape"][1:],
            "head_scale": getattr(net.fc, "scale", None),
            "model_kw": cfg.get("model_kw", {}),
        },
        "config": cfg,
        "history": result.history,
        "best_epoch": result.best_epoch,
        "val": result.val,
        "test": result.test,
        "time_s": result.time_s,
    }
    write_json(tmp / "backbone.json", record)
    try:
        os.replace(tmp, final)
    except OSError:  # another process stored it first
        shutil.rmtree(tmp, ignore_errors=True)


def load_backbone(root: Path, key: str, device=None) -> Stage1 | None:
    """The backbone stored under ``root/key``, or None."""
    import torch

    from pixsmote.train import get_model

    folder = Path(root) / key
    record = read_json(folder / "backbone.json") if folder.is_dir() else None
    if not record or not (folder / "model.pt").is_file():
        return None
    args = record["model_args"]
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    net = get_model(
        args["model"],
        args["channels"],
        args["n_classes"],
        tuple(args["image_size"]),
        head_scale=args["head_scale"],
        **args["model_kw"],
    )
    state = torch.load(folder / "model.pt", map_location=device, weights_only=True)
    net.load_state_dict(state)
    net.to(device).eval()
    return Stage1(
        net,
        record["config"],
        record["history"],
        record["best_epoch"],
        record["val"],
        record["test"],
        record["time_s"],
        cached=True,
    )


def _evaluate(net, X, y, n_classes: int, feats=None) -> dict:
    """Metrics of a two-stage model on images (plus the plain CE loss);
    `feats`: their penultimate features when already extracted (the backbone
    is frozen, so they are the same)."""
    import torch
    import torch.nn.functional as F

    from pixsmote.train import compute_metrics, extract_features

    feats = torch.from_numpy(extract_features(net, X) if feats is None else feats)
    device = next(net.parameters()).device
    with torch.no_grad():
        logits = net.fc(feats.to(device)).cpu()
    y_t = torch.as_tensor(np.asarray(y), dtype=torch.int64)
    metrics = compute_metrics(y_t, logits.argmax(1), n_classes)
    return {"loss": float(F.cross_entropy(logits, y_t)), **metrics}


def run_two_stage(
    recipe: Recipe,
    seed: int,
    *,
    data,
    config,
    steps: int,
    run_dir: Path,
    backbones: Path,
    fit,
    balance,
    stage1_extra: dict,
) -> dict:
    """Train (or reuse) stage 1, retrain the head, write the run folder.

    Parameters
    ----------
    fit, balance : callable
        :func:`pixsmote.train.fit` and the runner's ``balance_training``.
    stage1_extra : dict
        The caller's keys for a freshly trained stage 1's ``config.json``
        (given a cached one, its own are kept).

    Returns
    -------
    dict
        What ``results.json`` holds.
    """
    from pixsmote.torch import feature_resampler
    from pixsmote.train import extract_features, retrain_head

    stage1 = recipe.stage1()
    s1, key = stage1_backbone(
        stage1, seed, data=data, config=config, steps=steps, backbones=backbones,
        fit=fit, balance=balance, stage1_extra=stage1_extra,
    )  # fmt: skip

    t0 = time.perf_counter()
    head_epochs = recipe.head_epochs or DEFAULT_HEAD_EPOCHS
    # Features of the original (imbalanced) training images: stage 2 does
    # its own resampling, in feature space.
    feats = extract_features(s1.model, data.X)
    val_feats = extract_features(s1.model, data.X_val)
    head = retrain_head(
        s1.model,
        feats,
        data.y,
        val_feats,
        data.y_val,
        n_classes=data.n_classes,
        epochs=head_epochs,
        lr=HEAD_LR,
        seed=seed,
        resample=feature_resampler(recipe.name, seed=seed, **recipe.params),
        keep=config.keep,
    )
    val = _evaluate(head.model, data.X_val, data.y_val, data.n_classes, val_feats)
    test = {
        name: _evaluate(head.model, Xt, yt, data.n_classes)
        for name, (Xt, yt) in data.tests.items()
    }
    stage2_time = time.perf_counter() - t0

    config_out = {
        **s1.config,
        **{k: v for k, v in stage1_extra.items() if k not in s1.config},
        "recipe": recipe.label,
        "balancing": recipe.name,
        "balancing_kind": recipe.spec.kind,
        "sampler": recipe.spec.sampler,
        "sampler_params": recipe.params,
        "stage1_recipe": stage1.label,
        "stage1_key": key,
        "stage1_cached": s1.cached,
        "head_epochs": head_epochs,
        "head_lr": HEAD_LR,
        "feature_resampling": recipe.name,
    }
    writer = RunWriter(run_dir)
    writer.start(config_out)
    for row in s1.history:
        writer.append(row)
    results = dict(
        seed=seed,
        best_epoch=s1.best_epoch,
        time_s=s1.time_s + stage2_time,
        versions=s1.config.get("versions"),
        steps=steps,
        val=val,
        test=test,
        stage1={
            "recipe": stage1.label,
            "best_epoch": s1.best_epoch,
            "val": s1.val,
            "test": s1.test,
            "time_s": s1.time_s,
            "cached": s1.cached,
        },
        stage2={
            "best_epoch": head.best_epoch,
            "history": head.history,
        },
        stage2_time_s=stage2_time,
    )
    writer.finish(config_out, **results)
    return {**results, "model": head.model}


def stage1_backbone(
    stage1: Recipe, seed: int, *, data, config, steps: int, backbones: Path, fit,
    balance, stage1_extra: dict,
) -> tuple[Stage1, str]:  # fmt: skip
    """The trained network of the one-stage recipe `stage1`: from the cache,
    or trained now (and stored) under a lock that runs side by side share.

    Returns
    -------
    Stage1, str
        The backbone and its cache key (:func:`stage1_key`).
    """
    key = stage1_key(stage1, seed, config, steps, data)
    with _training_lock(backbones, key):
        s1 = load_backbone(backbones, key, config.device)
        if s1 is None:
            s1 = _train_stage1(
                stage1, seed, key, data=data, config=config, steps=steps,
                backbones=backbones, fit=fit, balance=balance,
                stage1_extra=stage1_extra,
            )  # fmt: skip
    return s1, key


def train_data(
    recipe: Recipe, seed: int, *, data, config, steps: int, backbones: Path, fit,
    balance, stage1_extra: dict,
) -> tuple[Any, dict]:  # fmt: skip
    """A one-stage recipe's training data for `seed`, and what made it.

    Without ``neighbors_from`` this is ``balance(recipe, X, y, seed)``. With
    it, the network of that recipe (same seed, steps and settings; cached or
    trained now, see :func:`stage1_backbone`) maps the training images to its
    eval-mode penultimate features, and the sampler searches neighbours
    there (``neighbor_space``) while synthesis still mixes the images.

    Returns
    -------
    Balanced, dict
        The data, and the keys ``config.json`` records about the neighbour
        network (empty without ``neighbors_from``).
    """
    nb = recipe.neighbors_recipe()
    if nb is None:
        return balance(recipe, data.X, data.y, seed), {}
    from pixsmote.train import extract_features

    s1, key = stage1_backbone(
        nb, seed, data=data, config=config, steps=steps, backbones=backbones,
        fit=fit, balance=balance, stage1_extra=stage1_extra,
    )  # fmt: skip
    t0 = time.perf_counter()
    feats = extract_features(s1.model, data.X)
    balanced = balance(recipe, data.X, data.y, seed, neighbor_space=feats)
    info = {
        "neighbors_from": nb.label,
        "neighbors_key": key,
        "neighbors_cached": s1.cached,
        # What training the neighbour network cost: this recipe's extra time,
        # whether this run paid it or found the network in the cache.
        "neighbors_train_time_s": s1.time_s,
        "neighbors_feature_dim": int(feats.shape[1]),
        "neighbors_features_time_s": time.perf_counter() - t0,
    }
    return balanced, info


def _train_stage1(
    stage1, seed, key, *, data, config, steps, backbones, fit, balance, stage1_extra
) -> Stage1:
    """Train a two-stage recipe's backbone and store it in the cache."""
    balanced, neighbors = train_data(
        stage1, seed, data=data, config=config, steps=steps, backbones=backbones,
        fit=fit, balance=balance, stage1_extra=stage1_extra,
    )  # fmt: skip
    kw = fit_settings(stage1, balanced, data, config, steps, seed)
    extra = {
        **stage1_extra,
        **neighbors,
        "recipe": stage1.label,
        "balancing": stage1.name,
        "balancing_kind": stage1.spec.kind,
        "sampler": stage1.spec.sampler,
        "sampler_params": stage1.params,
        "defer": stage1.defer,
        "train_counts_after": data.counts(balanced.y).tolist(),
        "n_synthetic": int(balanced.synthetic.sum()),
        "resample_time_s": balanced.time_s,
        "sampler_train_time_s": balanced.train_time_s,
    }
    res = fit(**kw, extra_config=extra)
    save_backbone(backbones, key, res)
    return Stage1(
        res.model, res.config, res.history, res.best_epoch, res.val, res.test,
        res.time_s, cached=False,
    )  # fmt: skip


@contextlib.contextmanager
def _training_lock(root: Path, key: str, stale_s: float = 3 * 3600.0):
    """Hold ``root/.<key>.lock`` while a backbone is looked up and trained.

    Two-stage runs side by side (``benchmarks/study.py --jobs 2``) that need
    the same backbone would otherwise both train it (a 3000-step small-cnn
    run is about 9 minutes on one core); the second waits and then loads it.
    A lock whose process (its pid is the file's content) is gone, or older
    than `stale_s`, was left by a killed run and is taken over.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    lock = root / f".{key}.lock"
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            os.write(fd, str(os.getpid()).encode())
            break
        except FileExistsError:
            with contextlib.suppress(FileNotFoundError):
                if _stale(lock, stale_s):
                    lock.unlink()
                    continue
            time.sleep(1.0)
    try:
        yield
    finally:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()


def _stale(lock: Path, stale_s: float) -> bool:
    if time.time() - lock.stat().st_mtime > stale_s:
        return True
    try:
        pid = int(lock.read_text() or 0)
    except ValueError:
        return False  # being written
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
