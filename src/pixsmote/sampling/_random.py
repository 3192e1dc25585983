"""Random over- and under-sampling of images (copies and selections, no synthesis)."""

from __future__ import annotations

from typing import Any

import numpy as np
from imblearn.over_sampling import RandomOverSampler as _ImbROS
from imblearn.under_sampling import RandomUnderSampler as _ImbRUS
from sklearn.utils import _safe_indexing

from pixsmote.sampling._base import ImageSamplerMixin, _fresh
from pixsmote.sampling._plan import Plan

__all__ = ["RandomOverSampler", "RandomUnderSampler"]


class _SelectionMixin:
    """Output of samplers that only copy or select rows: ``X`` indexed as it came.

    imbalanced-learn's random samplers leave a DataFrame as it is (its columns
    may mix dtypes) and index it with ``_safe_indexing``; the shared template
    would look for a single ``dtype``. So they gather rows with
    ``_safe_indexing`` too, and imbalanced-learn's ``ArraysTransformer`` then
    returns a DataFrame and Series with the input's columns, dtypes and name.
    """

    #: Whether a DataFrame's index labels are kept (imbalanced-learn keeps them
    #: when under-sampling; when over-sampling it stacks rows into an array, so
    #: the copies come back with a fresh ``RangeIndex``).
    _keep_index = True

    def _materialize(
        self, X: Any, y: np.ndarray, sample_indices: np.ndarray, plan: Plan
    ) -> tuple[Any, np.ndarray]:
        if isinstance(X, np.ndarray) or hasattr(X, "format"):
            return super()._materialize(X, y, sample_indices, plan)  # type: ignore[misc]
        # Nothing is interpolated here, so the plan is empty: a gather is all.
        X_res = _safe_indexing(X, sample_indices)
        if not self._keep_index and hasattr(X_res, "reset_index"):
            X_res = X_res.reset_index(drop=True)
        return X_res, y[sample_indices]


class RandomOverSampler(_SelectionMixin, ImageSamplerMixin, _ImbROS):
    """Over-sample images by drawing copies of them at random, with replacement.

    Drop-in for :class:`imblearn.over_sampling.RandomOverSampler` that also takes
    ``(N, H, W[, C])`` images and returns them with their dtype. With
    ``shrinkage`` (a smoothed bootstrap, Menardi & Torelli 2014) integer images
    are rounded and clipped back to their dtype instead of being returned as
    float64. A pandas DataFrame (any column dtypes) comes back as a DataFrame
    and a Series, with a fresh ``RangeIndex`` as imbalanced-learn gives.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        Target count per class, with imbalanced-learn's meaning: ``"auto"``
        raises every class but the largest to its size; a dict maps class to
        the wanted count; a float is the wanted minority/majority ratio.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws; an int gives imbalanced-learn's exact draws.
    shrinkage : float or dict, default=None
        Width of the smoothed bootstrap's noise per class (0 or None: plain
        copies).

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of copies drawn per class.
    sample_indices_ : ndarray of int64
        Indices of the originals, then of the drawn copies.
    plan_ : Plan
        Empty: nothing is interpolated.
    shrinkage_ : dict or None
        The ``shrinkage`` used.

    Examples
    --------
    >>> import numpy as np
    >>> from pixsmote import RandomOverSampler
    >>> X = np.zeros((12, 4, 4), dtype=np.uint8)
    >>> y = np.array([0] * 9 + [1] * 3)
    >>> X_res, y_res = RandomOverSampler(random_state=0).fit_resample(X, y)
    >>> X_res.shape, X_res.dtype.name, np.bincount(y_res).tolist()
    ((18, 4, 4), 'uint8', [9, 9])
    """

    _class_local = True
    _allow_object = True
    _keep_index = False

    def _fit_plan_2d(self, X: Any, y: np.ndarray) -> tuple[np.ndarray, Plan]:
        # imbalanced-learn's draws, without copying X twice (it stacks X.copy()
        # and the copies): indices first, one gather at the end.
        random_state = _fresh(self.random_state)
        self.shrinkage_ = self.shrinkage
        sample_indices = [np.arange(X.shape[0])]
        for class_sample, num_samples in self.sampling_strategy_.items():
            target_class_indices = np.flatnonzero(y == class_sample)
            sample_indices.append(
                random_state.choice(
                    target_class_indices, size=num_samples, replace=True
                )
            )
        return np.concatenate(sample_indices), Plan.empty(y.dtype)

    def _fit_resample(self, X: Any, y: np.ndarray) -> tuple[Any, np.ndarray]:
        if self.shrinkage is None:
            return super()._fit_resample(X, y)
        if getattr(self, "_plan_only", False):
            raise ValueError(
                "fit_plan cannot describe a smoothed bootstrap: its noise is not an "
                "interpolation. Use fit_resample, or shrinkage=None. Got "
                f"shrinkage={self.shrinkage!r} instead."
            )
        X_res, y_res = _ImbROS._fit_resample(self, X, y)
        self.plan_ = Plan.empty(y.dtype)
        if isinstance(X, np.ndarray) and X.dtype.kind in "ui":
            info = np.iinfo(X.dtype)
            X_res = np.clip(np.rint(X_res), info.min, info.max).astype(X.dtype)
        return X_res, y_res


class RandomUnderSampler(_SelectionMixin, ImageSamplerMixin, _ImbRUS):
    """Under-sample images by keeping a random subset of each targeted class.

    Drop-in for :class:`imblearn.under_sampling.RandomUnderSampler` that also
    takes ``(N, H, W[, C])`` images. A pandas DataFrame comes back as a
    DataFrame and a Series that keep the index labels of the rows kept.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        Target count per class, with imbalanced-learn's meaning: ``"auto"``
        lowers every class but the smallest to its size.
    random_state : int, RandomState instance or None, default=None
        Seeds the selection; an int gives imbalanced-learn's exact selection.
    replacement : bool, default=False
        Whether a row may be kept more than once.

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of rows kept per targeted class.
    sample_indices_ : ndarray of int64
        Indices of the rows kept.
    plan_ : Plan
        Empty.

    Examples
    --------
    >>> import numpy as np
    >>> from pixsmote import RandomUnderSampler
    >>> X = np.zeros((12, 4, 4), dtype=np.uint8)
    >>> y = np.array([0] * 9 + [1] * 3)
    >>> X_res, y_res = RandomUnderSampler(random_state=0).fit_resample(X, y)
    >>> X_res.shape, np.bincount(y_res).tolist()
    ((6, 4, 4), [3, 3])
    """

    _allow_object = True

    def _fit_plan_2d(self, X: Any, y: np.ndarray) -> tuple[np.ndarray, Plan]:
        random_state = _fresh(self.random_state)
        idx_under = np.empty((0,), dtype=int)
        for target_class in np.unique(y):
            if target_class in self.sampling_strategy_.keys():
                n_samples = self.sampling_strategy_[target_class]
                index_target_class = random_state.choice(
                    range(np.count_nonzero(y == target_class)),
                    size=n_samples,
                    replace=self.replacement,
                )
            else:
                index_target_class = slice(None)
            idx_under = np.concatenate(
                (idx_under, np.flatnonzero(y == target_class)[index_target_class]),
                axis=0,
            )
        return idx_under, Plan.empty(y.dtype)
