"""SMOTE-NC and SMOTE-N: mixed and categorical *tabular* data (2-D only).

These delegate to imbalanced-learn's algorithms unchanged (interpolating a
category makes no sense for pixels) and add the ``plan_`` provenance.
"""

from __future__ import annotations

import numpy as np
from imblearn.over_sampling import SMOTEN as _ImbSMOTEN
from imblearn.over_sampling import SMOTENC as _ImbSMOTENC

from pixsmote.sampling._base import SamplerBase
from pixsmote.sampling._plan import Plan

__all__ = ["SMOTENC", "SMOTEN"]


class _RecordPlan(SamplerBase):
    _plan_parts: list[Plan] | None
    _y_fit: np.ndarray | None

    def fit_resample(self, X, y, **params):
        self._plan_parts = []
        self._y_fit = np.asarray(y)
        try:
            out = super().fit_resample(X, y, **params)
        finally:
            parts, self._plan_parts, self._y_fit = self._plan_parts, None, None
        y_dtype = np.asarray(out[1]).dtype
        self.plan_ = Plan.concat(parts, y_dtype=y_dtype)
        return out

    def _record(self, y_type, base, neighbor, gap):
        if self._plan_parts is None:
            return
        idx = np.flatnonzero(self._y_fit == y_type)
        self._plan_parts.append(
            Plan(
                cls=np.full(len(base), y_type),
                base=idx[base].astype(np.int64),
                neighbor=np.asarray(neighbor, dtype=np.int64)
                if neighbor is None or np.ndim(neighbor)
                else neighbor,
                gap=np.asarray(gap, dtype=np.float64),
            )
        )


class SMOTENC(_RecordPlan, _ImbSMOTENC):
    """SMOTE for mixed continuous and categorical tabular data (Chawla et al. 2002).

    :class:`imblearn.over_sampling.SMOTENC` with ``plan_`` recorded: continuous
    features interpolate from ``base`` towards ``neighbor`` by ``gap``; each
    categorical feature takes the most frequent value among the base's
    neighbours. For images use :class:`pixsmote.SMOTE`.

    Parameters
    ----------
    categorical_features : "auto" or array-like
        Which features are categorical (indices, a boolean mask or names).
    categorical_encoder : estimator, default=None
        One-hot encoder of the categories (imbalanced-learn's default when None).
    sampling_strategy : float, str, dict or callable, default="auto"
        As in imbalanced-learn.
    random_state : int, RandomState instance or None, default=None
        Controls the draws.
    k_neighbors : int or estimator, default=5
        Nearest neighbours used to build synthetic samples.

    References
    ----------
    .. [1] N. V. Chawla, K. W. Bowyer, L. O. Hall, W. P. Kegelmeyer, "SMOTE:
       synthetic minority over-sampling technique", JAIR 16, 321-357, 2002.
    """

    def _generate_samples(self, X, nn_data, nn_num, rows, cols, steps, y_type, y=None):
        if getattr(self, "_plan_parts", None) is not None:
            idx = np.flatnonzero(self._y_fit == y_type)
            self._record(y_type, rows, idx[nn_num[rows, cols]], steps[:, 0])
        return super()._generate_samples(
            X, nn_data, nn_num, rows, cols, steps, y_type, y
        )


class SMOTEN(_RecordPlan, _ImbSMOTEN):
    """SMOTE for categorical tabular data (Chawla et al. 2002).

    :class:`imblearn.over_sampling.SMOTEN` with ``plan_`` recorded: each
    synthetic sample is the per-feature mode of the ``k_neighbors`` neighbours of
    ``base`` (Value Difference Metric); there is no single neighbour, so
    ``neighbor`` is ``-1`` and ``gap`` is 0.

    Parameters
    ----------
    categorical_encoder : estimator, default=None
        One-hot encoder of the categories (imbalanced-learn's default when None).
    sampling_strategy : float, str, dict or callable, default="auto"
        As in imbalanced-learn.
    random_state : int, RandomState instance or None, default=None
        Controls the draws.
    k_neighbors : int or estimator, default=5
        Nearest neighbours used to build synthetic samples.

    References
    ----------
    .. [1] N. V. Chawla, K. W. Bowyer, L. O. Hall, W. P. Kegelmeyer, "SMOTE:
       synthetic minority over-sampling technique", JAIR 16, 321-357, 2002.
    """

    def _make_samples(self, X_class, klass, y_dtype, nn_indices, n_samples):
        # Replays imbalanced-learn's single draw to learn the base indices, then
        # lets it produce the samples from the same state.
        from sklearn.utils import check_random_state

        if self.random_state is not None and not isinstance(
            self.random_state, np.random.RandomState
        ):
            rs = check_random_state(self.random_state)
            base = rs.choice(np.arange(X_class.shape[0]), size=n_samples, replace=True)
            self._record(
                klass, base, -np.ones(n_samples, dtype=np.int64), np.zeros(n_samples)
            )
        elif isinstance(self.random_state, np.random.RandomState):
            state = self.random_state.get_state()
            base = self.random_state.choice(
                np.arange(X_class.shape[0]), size=n_samples, replace=True
            )
            self.random_state.set_state(state)
            self._record(
                klass, base, -np.ones(n_samples, dtype=np.int64), np.zeros(n_samples)
            )
        return super()._make_samples(X_class, klass, y_dtype, nn_indices, n_samples)
