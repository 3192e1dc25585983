"""Random over- and under-sampling of images (copies and selections, no synthesis)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np
from imblearn.over_sampling import RandomOverSampler as _ImbROS
from imblearn.under_sampling import RandomUnderSampler as _ImbRUS

from pixsmote.sampling._base import ImageSamplerMixin
from pixsmote.sampling._groups import IndexDrawer, fresh_random_state
from pixsmote.sampling._plan import Plan

__all__ = ["RandomOverSampler", "RandomUnderSampler"]


def _over_indices(
    y: np.ndarray,
    sampling_strategy: Mapping[Any, int],
    random_state: np.random.RandomState,
) -> np.ndarray:
    """imbalanced-learn's draws for random over-sampling, as indices.

    All originals, then per class ``n`` copies drawn with replacement. Without
    copying X twice (imbalanced-learn stacks ``X.copy()`` and the copies):
    indices first, one gather at the end.
    """
    sample_indices = [np.arange(len(y))]
    for class_sample, num_samples in sampling_strategy.items():
        target_class_indices = np.flatnonzero(y == class_sample)
        sample_indices.append(
            random_state.choice(target_class_indices, size=num_samples, replace=True)
        )
    return np.concatenate(sample_indices)


def _under_indices(
    y: np.ndarray,
    sampling_strategy: Mapping[Any, int],
    replacement: bool,
    random_state: np.random.RandomState,
) -> np.ndarray:
    """imbalanced-learn's draws for random under-sampling, as indices."""
    idx_under = np.empty((0,), dtype=int)
    for target_class in np.unique(y):
        index_target_class: np.ndarray | slice
        if target_class in sampling_strategy.keys():
            n_samples = sampling_strategy[target_class]
            index_target_class = random_state.choice(
                range(np.count_nonzero(y == target_class)),
                size=n_samples,
                replace=replacement,
            )
        else:
            index_target_class = slice(None)
        idx_under = np.concatenate(
            (idx_under, np.flatnonzero(y == target_class)[index_target_class]),
            axis=0,
        )
    return idx_under


class RandomOverSampler(ImageSamplerMixin, _ImbROS):
    """Over-sample images by drawing copies of them at random, with replacement.

    Drop-in for :class:`imblearn.over_sampling.RandomOverSampler` that also takes
    ``(N, H, W[, C])`` images and returns them with their dtype. With
    ``shrinkage`` (a smoothed bootstrap, Menardi & Torelli 2014) integer images
    are rounded and clipped back to their dtype instead of being returned as
    float64.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
    random_state : int, RandomState instance or None, default=None
    shrinkage : float or dict, default=None

    Attributes
    ----------
    sampling_strategy_ : dict
    sample_indices_ : ndarray of int64
        Indices of the originals, then of the drawn copies.
    plan_ : Plan
        Empty: nothing is interpolated.
    shrinkage_ : dict or None
    """

    _class_local = True
    _allow_object = True
    _labels_only = True

    def _check_no_shrinkage(self) -> None:
        if self.shrinkage is not None:
            raise ValueError(
                "A smoothed bootstrap (shrinkage) adds noise, not an interpolation: "
                "no plan describes it, so it cannot be drawn apart from its pixels. "
                "Use fit_resample, or shrinkage=None. Got "
                f"shrinkage={self.shrinkage!r} instead."
            )

    def _materialize(
        self, X: Any, y: np.ndarray, sample_indices: np.ndarray, plan: Plan
    ) -> tuple[Any, np.ndarray]:
        X_res, y_res = super()._materialize(X, y, sample_indices, plan)
        # imbalanced-learn stacks the copies under the originals, so a DataFrame
        # comes back with a fresh RangeIndex when over-sampling (and keeps its
        # labels when under-sampling).
        if not isinstance(X, np.ndarray) and hasattr(X_res, "reset_index"):
            X_res = X_res.reset_index(drop=True)
        return X_res, y_res

    def _plan(
        self, X: Any, y: np.ndarray, X_orig: np.ndarray | None
    ) -> tuple[np.ndarray, Plan]:
        self._check_no_shrinkage()
        self.shrinkage_ = self.shrinkage
        rs = fresh_random_state(self.random_state)
        indices = _over_indices(y, self.sampling_strategy_, rs)
        return indices, Plan.empty(y.dtype)

    def _resample(
        self, X: Any, y: np.ndarray, X_orig: np.ndarray | None
    ) -> tuple[Any, np.ndarray]:
        if self.shrinkage is None:
            return super()._resample(X, y, X_orig)
        X_res, y_res = _ImbROS._fit_resample(self, X, y)
        self.plan_ = Plan.empty(y.dtype)
        if isinstance(X, np.ndarray) and X.dtype.kind in "ui":
            info = np.iinfo(X.dtype)
            X_res = np.clip(np.rint(X_res), info.min, info.max).astype(X.dtype)
        return X_res, y_res

    def _fit_drawer(
        self, X: Any, y: np.ndarray, X_orig: np.ndarray | None
    ) -> IndexDrawer:
        self._check_no_shrinkage()
        strategy = dict(self.sampling_strategy_)
        return IndexDrawer(partial(_over_indices, y, strategy), y.dtype)


class RandomUnderSampler(ImageSamplerMixin, _ImbRUS):
    """Under-sample images by keeping a random subset of each targeted class.

    Drop-in for :class:`imblearn.under_sampling.RandomUnderSampler` that also
    takes ``(N, H, W[, C])`` images.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
    random_state : int, RandomState instance or None, default=None
    replacement : bool, default=False

    Attributes
    ----------
    sampling_strategy_ : dict
    sample_indices_ : ndarray of int64
    plan_ : Plan
        Empty.
    """

    _allow_object = True
    _labels_only = True

    def _plan(
        self, X: Any, y: np.ndarray, X_orig: np.ndarray | None
    ) -> tuple[np.ndarray, Plan]:
        rs = fresh_random_state(self.random_state)
        indices = _under_indices(y, self.sampling_strategy_, self.replacement, rs)
        return indices, Plan.empty(y.dtype)

    def _fit_drawer(
        self, X: Any, y: np.ndarray, X_orig: np.ndarray | None
    ) -> IndexDrawer:
        strategy = dict(self.sampling_strategy_)
        return IndexDrawer(
            partial(_under_indices, y, strategy, self.replacement), y.dtype
        )
