"""Apply a recipe to a training set: the data a run trains on."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from pixsmote._errors import DataError, UsageError
from pixsmote.app._bench_recipes import (
    ONLINE_PREFIX,
    Recipe,
    list_online_recipes,
)

__all__ = ["Balanced", "balance_training", "online_train_data"]


@dataclass
class Balanced:
    """A recipe's training data for one seed.

    Attributes
    ----------
    X, y : numpy.ndarray
        The balanced training set (for online recipes: epoch 0's).
    synthetic : numpy.ndarray of bool
        True for synthetic rows of `X`.
    plan : Plan or None
        Provenance of the synthetic rows (pixsmote samplers), indexing the
        original training images; None for ``none`` and ``imblearn-smote``.
    epoch_data : callable or None
        ``epoch -> (X, y)`` for online recipes (epoch 0 gives `X`, `y`).
    time_s : float
        Wall time of the (first) resampling, a sampler's training included
        (DeepSMOTE's networks).
    synthesize : callable or None
        ``synthesize(X, plan)`` of the sampler when it makes its own pixels
        (DeepSMOTE decodes latent codes); None: pixel interpolation,
        :func:`pixsmote.sampling.synthesize`.
    train_time_s : float
        The part of `time_s` spent training the sampler's networks (0 for
        samplers without any).
    """

    X: np.ndarray
    y: np.ndarray
    synthetic: np.ndarray
    plan: Any = None
    epoch_data: Callable[[int], tuple[np.ndarray, np.ndarray]] | None = None
    time_s: float = 0.0
    synthesize: Callable | None = None
    train_time_s: float = 0.0


def _pixsmote(name: str, params: dict, X, y, seed: int):
    from pixsmote.sampling import get_sampler

    sampler = get_sampler(name, random_state=seed, **params)
    try:
        X_res, y_res = sampler.fit_resample(X, y)
    except RuntimeError as exc:
        # The algorithm's own refusals (KMeans-SMOTE finding no cluster, ADASYN
        # finding no other class near a sample) are about the data, not a bug.
        raise DataError(
            f"{name} cannot balance this training set: {exc} Got class counts "
            f"{np.bincount(y).tolist()} instead."
        ) from None
    n_kept = len(sampler.sample_indices_)
    plan = getattr(sampler, "plan_", None)
    synthetic = np.arange(len(y_res)) >= n_kept
    X_res, y_res = np.asarray(X_res), np.asarray(y_res, dtype=np.int64)
    return X_res, y_res, synthetic, plan, sampler


def _own_synthesis(sampler):
    """A sampler's own ``synthesize`` and its training time, if it has them."""
    history = getattr(sampler, "history_", None) or []
    train_s = float(sum(h.get("time_s", 0.0) for h in history))
    return getattr(sampler, "synthesize", None), train_s


def _imblearn(params: dict, X, y, seed: int):
    """imbalanced-learn's SMOTE as users call it: flattened uint8, no float cast.

    Its interpolation subtracts uint8 arrays (wrapping around) and casts the
    float result back to uint8 unclipped; numpy warns about the cast, which is
    the behaviour under study, so the warning is silenced here.
    """
    from imblearn.over_sampling import SMOTE

    flat = X.reshape(len(X), -1)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            X_res, y_res = SMOTE(random_state=seed, **params).fit_resample(flat, y)
    except ValueError as exc:
        raise DataError(
            f"imbalanced-learn's SMOTE failed on the training set: {exc}. Got class "
            f"counts {np.bincount(y).tolist()} instead."
        ) from None
    X_res = np.asarray(X_res).astype(X.dtype, copy=False).reshape(-1, *X.shape[1:])
    synthetic = np.arange(len(y_res)) >= len(y)
    return X_res, np.asarray(y_res, dtype=np.int64), synthetic, None


def online_train_data(recipe: str, X, y=None, *, seed: int = 0, **sampler_params):
    """Training data for :func:`pixsmote.train.fit` under an online recipe.

    Parameters
    ----------
    recipe : str
        One of :func:`list_online_recipes`, e.g. ``"online-smote"``.
    X, y
        Training images and labels, as for
        :class:`~pixsmote.torch.ResampledDataset`.
    seed : int, default=0
        Seeds the sampler and every epoch's plan.
    **sampler_params
        Passed to :func:`pixsmote.sampling.get_sampler` (e.g. ``k_neighbors``,
        ``neighbor_space``).

    Returns
    -------
    pixsmote.torch.EpochArrays or pixsmote.torch.DeepSMOTEEpochs
        A callable ``epoch -> (X_epoch uint8, y_epoch int64)`` with a fresh plan
        per epoch; its ``dataset`` attribute is the ``ResampledDataset``.
        ``online-deepsmote`` gives a :class:`~pixsmote.torch.DeepSMOTEEpochs`
        (networks trained once, each epoch's plan decoded; its ``plan(epoch)``
        and ``sampler`` describe it).

    Examples
    --------
    >>> import numpy as np
    >>> from pixsmote.app import online_train_data
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 256, size=(40, 8, 8), dtype=np.uint8)
    >>> y = np.array([0] * 30 + [1] * 10)
    >>> data = online_train_data("online-smote", X, y, seed=0)
    >>> X0, y0 = data(0)
    >>> X0.shape, X0.dtype, np.bincount(y0).tolist()
    ((60, 8, 8), dtype('uint8'), [30, 30])
    """
    from pixsmote.sampling import get_sampler
    from pixsmote.torch import DeepSMOTEEpochs, EpochArrays, ResampledDataset

    recipes = list_online_recipes()
    if recipe not in recipes:
        raise UsageError(f"recipe must be one of {recipes}. Got {recipe!r} instead.")
    sampler = get_sampler(
        recipe[len(ONLINE_PREFIX) :], random_state=seed, **sampler_params
    )
    if getattr(sampler, "_network_synthesis", False):
        # DeepSMOTE, M2m: a network makes the pixels, not a mix of two rows.
        return DeepSMOTEEpochs(X, y, sampler, seed=seed)
    return EpochArrays(ResampledDataset(X, y, sampler=sampler, seed=seed))


def balance_training(
    recipe: Recipe,
    X: np.ndarray,
    y: np.ndarray,
    seed: int,
    *,
    neighbor_space: np.ndarray | None = None,
) -> Balanced:
    """Resample ``(X, y)`` as `recipe` says, with the run's `seed`.

    Parameters
    ----------
    recipe : Recipe
    X, y : numpy.ndarray
        The original training set (uint8 images, int labels).
    seed : int
        The run's seed: the sampler's ``random_state`` (online recipes: the
        seed of :func:`online_train_data`, which derives each
        epoch's plan from ``(seed, epoch)``).
    neighbor_space : numpy.ndarray of shape (len(X), d), optional
        Features of `X` the sampler searches neighbours in (a recipe's
        ``neighbors_from`` network's, made by the caller); required exactly
        when the recipe sets ``neighbors_from``.

    Returns
    -------
    Balanced
    """
    spec = recipe.spec
    if (neighbor_space is None) != (recipe.neighbors_from is None):
        raise UsageError(
            f"neighbor_space is given exactly for a recipe with neighbors_from=. "
            f"Got recipe {recipe.label!r} with neighbor_space "
            f"{'set' if neighbor_space is not None else 'unset'} instead."
        )
    params = dict(recipe.params)
    if neighbor_space is not None:
        params["neighbor_space"] = neighbor_space
    t0 = time.perf_counter()
    if spec.kind == "none":
        return Balanced(X, y, np.zeros(len(y), dtype=bool))
    if spec.kind == "imblearn":
        X_res, y_res, synthetic, plan = _imblearn(recipe.params, X, y, seed)
        return Balanced(X_res, y_res, synthetic, plan, None, time.perf_counter() - t0)
    if spec.kind == "two-stage":
        raise UsageError(
            f"A two-stage recipe trains on its backbone's data: balance "
            f"recipe.stage1() instead. Got {recipe.label!r} instead."
        )
    if spec.kind == "sampler":
        assert spec.sampler is not None  # a "sampler" recipe names its sampler
        X_res, y_res, synthetic, plan, sampler = _pixsmote(
            spec.sampler, params, X, y, seed
        )
        synth, train_s = _own_synthesis(sampler)
        elapsed = time.perf_counter() - t0
        return Balanced(
            X_res, y_res, synthetic, plan, None, elapsed, synth, train_s
        )  # fmt: skip
    # online: pixsmote.torch draws a fresh plan each epoch from (seed, epoch),
    # reusing one neighbour graph; epoch 0 is built now for the report and the
    # class counts, and handed to the training loop without being rebuilt.
    arrays = online_train_data(spec.name, X, y, seed=seed, **params)
    X0, y0 = arrays(0)
    if hasattr(arrays, "dataset"):
        idx, plan = arrays.dataset.epoch_plan(0)
        synth, train_s = None, 0.0
    else:  # DeepSMOTEEpochs: every original, then epoch 0's decoded plan
        idx, plan = np.arange(len(y)), arrays.plan(0)
        synth, train_s = _own_synthesis(arrays.sampler)
    elapsed = time.perf_counter() - t0
    synthetic = np.arange(len(y0)) >= len(idx)

    def epoch_data(epoch: int) -> tuple[np.ndarray, np.ndarray]:
        return (X0, y0) if epoch == 0 else arrays(epoch)

    return Balanced(X0, y0, synthetic, plan, epoch_data, elapsed, synth, train_s)
