"""KMeans-SMOTE on images (Last, Douzas, Bacao 2017)."""

from __future__ import annotations

import math

import numpy as np
from imblearn.over_sampling import KMeansSMOTE as _ImbKMeansSMOTE
from sklearn.utils._param_validation import StrOptions

from pixsmote.sampling._base import GroupSamplerMixin, ImageSamplerMixin
from pixsmote.sampling._groups import SmoteGroup
from pixsmote.sampling._knn import mean_pairwise_distance
from pixsmote.sampling._share import SHARE_DOC, SyntheticShareMixin
from pixsmote.sampling._smote import _SPACE_DOC, _AutoKMixin

__all__ = ["KMeansSMOTE"]


class KMeansSMOTE(SyntheticShareMixin, GroupSamplerMixin, _AutoKMixin, _ImbKMeansSMOTE):
    __doc__ = f"""Over-sample images inside k-means clusters with KMeans-SMOTE.

    The whole dataset is clustered (in the neighbour space); clusters where the
    class is common enough receive synthetic samples in proportion to their
    sparsity, and SMOTE runs inside each. Drop-in for
    :class:`imblearn.over_sampling.KMeansSMOTE`.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
    random_state : int, RandomState instance or None, default=None
    k_neighbors : int, "auto" or estimator, default=2
    n_jobs : int, default=None
    kmeans_estimator : int or estimator, default=None
        ``None``: ``MiniBatchKMeans()``; an int: its number of clusters.
    cluster_balance_threshold : "auto" or float, default="auto"
    density_exponent : "auto" or float, default="auto"
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
    kmeans_estimator_ : estimator

    Notes
    -----
    As in imbalanced-learn, each cluster's count is rounded up, so a class may
    receive a few more samples than ``sampling_strategy_`` asks.

    References
    ----------
    .. [1] F. Last, G. Douzas, F. Bacao, "Oversampling for imbalanced learning
       based on k-means and SMOTE", arXiv:1711.00837, 2017.
    """

    _parameter_constraints: dict = {
        **_ImbKMeansSMOTE._parameter_constraints,
        **ImageSamplerMixin._image_parameter_constraints,
    }
    _parameter_constraints["k_neighbors"] = [
        *_ImbKMeansSMOTE._parameter_constraints["k_neighbors"],
        StrOptions({"auto"}),
    ]
    _parameter_constraints.update(SyntheticShareMixin._share_constraint)
    _k_default = 2

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        k_neighbors=2,
        n_jobs=None,
        kmeans_estimator=None,
        cluster_balance_threshold="auto",
        density_exponent="auto",
        neighbor_space="pixel",
        n_components=None,
        neighbors="auto",
        synthetic_share=None,
    ):
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            k_neighbors=k_neighbors,
            n_jobs=n_jobs,
            kmeans_estimator=kmeans_estimator,
            cluster_balance_threshold=cluster_balance_threshold,
            density_exponent=density_exponent,
        )
        self.neighbor_space = neighbor_space
        self.n_components = n_components
        self.neighbors = neighbors
        self.synthetic_share = synthetic_share

    def _find_cluster_sparsity(self, X):
        if X.dtype.kind not in "ui":  # float: imbalanced-learn's, bit for bit
            return super()._find_cluster_sparsity(X)
        # Integer images: the mean distance block by block, not from an
        # (n, n) float64 matrix.
        exponent = (
            math.log(X.shape[0], 1.6) ** 1.8 * 0.16
            if self.density_exponent == "auto"
            else self.density_exponent
        )
        return (mean_pairwise_distance(X) ** exponent) / X.shape[0]

    def _groups(self, F, y, outer):
        if (
            self.random_state is None
            and "random_state" in self.kmeans_estimator_.get_params()
        ):
            # Keep k-means off numpy's global RNG (imbalanced-learn passes None).
            self.kmeans_estimator_.set_params(random_state=outer)
        counts = self._synthetic_counts(y)
        total_inp_samples = sum(counts.values())
        for class_sample, n_samples in counts.items():
            if n_samples == 0:
                continue
            X_clusters = self.kmeans_estimator_.fit_predict(F)
            valid_clusters, cluster_sparsities = [], []
            for cluster_idx in range(self.kmeans_estimator_.n_clusters):
                cluster_mask = np.flatnonzero(X_clusters == cluster_idx)
                if cluster_mask.size == 0:
                    continue
                y_cluster = y[cluster_mask]
                cluster_class_mean = (y_cluster == class_sample).mean()
                if self.cluster_balance_threshold_ == "auto":
                    balance_threshold = n_samples / total_inp_samples / 2
                else:
                    balance_threshold = self.cluster_balance_threshold_
                if cluster_class_mean < balance_threshold:
                    continue
                anticipated_samples = cluster_class_mean * cluster_mask.size
                if anticipated_samples < self.nn_k_.n_neighbors:
                    continue
                members = cluster_mask[np.flatnonzero(y_cluster == class_sample)]
                valid_clusters.append(members)
                cluster_sparsities.append(self._find_cluster_sparsity(F[members]))
            sparsities = np.array(cluster_sparsities)
            cluster_weights = sparsities / sparsities.sum()
            if not valid_clusters:
                raise RuntimeError(
                    "No clusters found with sufficient samples of class "
                    f"{class_sample}. Try lowering the cluster_balance_threshold or "
                    "increasing the number of clusters."
                )
            for i, members in enumerate(valid_clusters):
                nn = self._nn(
                    "k_neighbors",
                    self.k_neighbors,
                    self._k_default,
                    len(members),
                    class_sample,
                    F[members],
                )
                nns = members[nn.kneighbors(F[members], return_distance=False)[:, 1:]]
                cluster_n_samples = int(math.ceil(n_samples * cluster_weights[i]))
                yield SmoteGroup(class_sample, cluster_n_samples, base=members, nn=nns)
