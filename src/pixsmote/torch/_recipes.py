"""Online-resampling recipes for the training harness: ``online-<sampler>``."""

from __future__ import annotations

from pixsmote._errors import UsageError
from pixsmote.sampling import get_sampler, list_samplers
from pixsmote.torch._dataset import EpochArrays, ResampledDataset

__all__ = ["ONLINE_PREFIX", "list_online_recipes", "online_train_data"]

#: Recipe names are this prefix plus a synthetic sampler's registry name.
ONLINE_PREFIX = "online-"


def list_online_recipes() -> list[str]:
    """``online-<name>`` for every SMOTE-family sampler of the registry.

    E.g. ``online-smote``, ``online-borderline1``, ..., ``online-smote-tomek``;
    random over/under-sampling have no online recipe (nothing to re-synthesise;
    :class:`ClassBalancedSampler` is their online form).
    """
    return [ONLINE_PREFIX + name for name in list_samplers(synthetic=True)]


def online_train_data(recipe: str, X, y=None, *, seed: int = 0, **sampler_params):
    """Training data for :func:`pixsmote.train.fit` under an online recipe.

    Parameters
    ----------
    recipe : str
        One of :func:`list_online_recipes`, e.g. ``"online-smote"``.
    X, y
        Training images and labels, as for :class:`ResampledDataset`.
    seed : int, default=0
        Seeds the sampler and every epoch's plan.
    **sampler_params
        Passed to :func:`pixsmote.sampling.get_sampler` (e.g. ``k_neighbors``,
        ``neighbor_space``).

    Returns
    -------
    EpochArrays
        A callable ``epoch -> (X_epoch uint8, y_epoch int64)`` with a fresh plan
        per epoch; its ``dataset`` attribute is the :class:`ResampledDataset`.

    Examples
    --------
    >>> import numpy as np
    >>> from pixsmote.torch import online_train_data
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 256, size=(40, 8, 8), dtype=np.uint8)
    >>> y = np.array([0] * 30 + [1] * 10)
    >>> data = online_train_data("online-smote", X, y, seed=0)
    >>> X0, y0 = data(0)
    >>> X0.shape, X0.dtype, np.bincount(y0).tolist()
    ((60, 8, 8), dtype('uint8'), [30, 30])
    """
    recipes = list_online_recipes()
    if recipe not in recipes:
        raise UsageError(f"recipe must be one of {recipes}. Got {recipe!r} instead.")
    sampler = get_sampler(
        recipe[len(ONLINE_PREFIX) :], random_state=seed, **sampler_params
    )
    return EpochArrays(ResampledDataset(X, y, sampler=sampler, seed=seed))
