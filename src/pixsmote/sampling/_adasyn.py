"""ADASYN on images (He et al. 2008)."""

from __future__ import annotations

from typing import Any

import numpy as np
from imblearn.over_sampling import ADASYN as _ImbADASYN
from sklearn.utils._param_validation import StrOptions

from pixsmote.sampling._base import GroupSamplerMixin, ImageSamplerMixin
from pixsmote.sampling._groups import AdasynGroup
from pixsmote.sampling._share import SHARE_DOC, SyntheticShareMixin
from pixsmote.sampling._smote import _SPACE_DOC

__all__ = ["ADASYN"]


class ADASYN(SyntheticShareMixin, GroupSamplerMixin, _ImbADASYN):
    __doc__ = f"""Over-sample images adaptively with ADASYN.

    Each sample of the class receives synthetic samples in proportion to the
    share of other classes among its ``n_neighbors`` nearest neighbours, so hard
    regions get more. Drop-in for :class:`imblearn.over_sampling.ADASYN`.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
    random_state : int, RandomState instance or None, default=None
    n_neighbors : int, "auto" or estimator, default=5
    {_SPACE_DOC}

    {SHARE_DOC}

    Attributes
    ----------
    sampling_strategy_ : dict
        Samples to add per class to reach the targets (synthetic ones, or
        copies with ``synthetic_share``).
    n_synthetic_ : dict
        Synthetic samples asked for per class (the classes given any).
    plan_ : Plan
    sample_indices_ : ndarray of int64
    nn_ : estimator

    References
    ----------
    .. [1] H. He, Y. Bai, E. A. Garcia, S. Li, "ADASYN: Adaptive synthetic
       sampling approach for imbalanced learning", IJCNN 2008, 1322-1328.
    """

    n_neighbors: Any  # an int, "auto" or a neighbours estimator
    _parameter_constraints: dict = {
        **_ImbADASYN._parameter_constraints,
        **ImageSamplerMixin._image_parameter_constraints,
    }
    _parameter_constraints["n_neighbors"] = [
        *_ImbADASYN._parameter_constraints["n_neighbors"],
        StrOptions({"auto"}),
    ]
    _parameter_constraints.update(SyntheticShareMixin._share_constraint)

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        n_neighbors=5,
        neighbor_space="pixel",
        n_components=None,
        neighbors="auto",
        synthetic_share=None,
    ):
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            n_neighbors=n_neighbors,
        )
        self.neighbor_space = neighbor_space
        self.n_components = n_components
        self.neighbors = neighbors
        self.synthetic_share = synthetic_share

    def _validate_estimator(self):
        k = self.n_neighbors
        if isinstance(k, str):
            self.n_neighbors = 5
        try:
            super()._validate_estimator()
        finally:
            self.n_neighbors = k

    def _groups(self, F, y, outer):
        n = F.shape[0]
        for class_sample, n_samples in self._synthetic_counts(y).items():
            if n_samples == 0:
                continue
            idx = np.flatnonzero(y == class_sample)
            F_class = F[idx]
            nn_all = self._nn("n_neighbors", self.n_neighbors, 5, n, class_sample, F)
            nns = nn_all.kneighbors(F_class, return_distance=False)[:, 1:]
            n_neighbors = nn_all.n_neighbors - 1
            ratio_nn = np.sum(y[nns] != class_sample, axis=1) / n_neighbors
            if not np.sum(ratio_nn):
                raise RuntimeError(
                    "Not any neigbours belong to the majority class. This case will "
                    "induce a NaN case with a division by zero. ADASYN is not suited "
                    "for this specific dataset. Use SMOTE instead."
                )
            ratio_nn /= np.sum(ratio_nn)
            counts = np.rint(ratio_nn * n_samples).astype(int)
            if not np.sum(counts):
                raise ValueError(
                    "No samples will be generated with the provided ratio settings."
                )
            nn_c = self._nn(
                "n_neighbors", self.n_neighbors, 5, len(idx), class_sample, F_class
            )
            self.nn_ = nn_c
            nns = idx[nn_c.kneighbors(F_class, return_distance=False)[:, 1:]]
            yield AdasynGroup(
                class_sample, int(counts.sum()), base=idx, nn=nns, counts=counts
            )
