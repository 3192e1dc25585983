"""SMOTE on images (Chawla et al. 2002)."""

from __future__ import annotations

from typing import Any

import numpy as np
from imblearn.over_sampling import SMOTE as _ImbSMOTE
from sklearn.utils._param_validation import StrOptions

from pixsmote.sampling._base import GroupSamplerMixin, ImageSamplerMixin, SamplerBase
from pixsmote.sampling._groups import SmoteGroup
from pixsmote.sampling._share import SyntheticShareMixin

__all__ = ["SMOTE"]

_SPACE_DOC = """neighbor_space : {"pixel", "pca"}, ndarray of shape (n_samples, d) \
or callable, default="pixel"
        Space in which neighbours (and danger sets, SVMs, clusters) are found;
        synthesis always interpolates pixels. ``"pixel"`` is imbalanced-learn's
        behaviour; ``"pca"`` projects the flattened images on ``n_components``
        principal components; an array gives precomputed features (e.g. CNN
        embeddings), one row per sample; a callable maps ``X`` (as passed) to
        such an array.

    n_components : int, default=None
        Components of the ``"pca"`` space (``None``: ``min(50, n_samples,
        n_features)``).

    neighbors : {"auto", "exact", "approx"}, default="auto"
        How neighbours are searched, always in bounded memory (see
        :class:`pixsmote.sampling.BlockKNN`). ``"exact"``: brute force.
        ``"approx"``: a faiss HNSW index with exact re-ranking. ``"auto"``:
        exact for 2-D input (imbalanced-learn's search, bit for bit) and for
        image classes up to ~1.9e11 multiply-adds of search (~15k images of
        28x28, ~3.9k of 64x64x3), the index above. A neighbours object passed
        as ``k_neighbors`` (etc.) is used as is."""


class _AutoKMixin(SamplerBase):
    """Accept ``k_neighbors="auto"``: ``min(default, class size - 1)`` per class."""

    _k_default = 5
    k_neighbors: Any  # an int, "auto" or a neighbours estimator

    def _validate_estimator(self):
        k = self.k_neighbors
        if isinstance(k, str):
            self.k_neighbors = self._k_default
        try:
            super()._validate_estimator()
        finally:
            self.k_neighbors = k


class SMOTE(SyntheticShareMixin, GroupSamplerMixin, _AutoKMixin, _ImbSMOTE):
    __doc__ = f"""Over-sample images with SMOTE.

    A synthetic image is ``x + gap * (x_nn - x)``, with ``x`` a sample of the
    class, ``x_nn`` one of its ``k_neighbors`` nearest same-class neighbours and
    ``gap ~ U[0, 1)``. A drop-in replacement for
    :class:`imblearn.over_sampling.SMOTE`: same parameters, defaults,
    ``sampling_strategy`` semantics, random draws and, on 2-D float64 input with
    ``neighbor_space="pixel"``, bit-for-bit the same output.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        As in imbalanced-learn: the target class counts after resampling.
    random_state : int, RandomState instance or None, default=None
        Seeds the plan. ``None`` draws fresh OS entropy; numpy's global RNG is
        never used.
    k_neighbors : int, "auto" or estimator, default=5
        Neighbours per sample. ``"auto"`` uses ``min(5, class size - 1)`` for
        classes too small for 5, with a warning.
    {_SPACE_DOC}

    synthetic_share : float in (0, 1) or None, default=None
        ``None``: imbalanced-learn's SMOTE. It tops each class up to its
        target with synthetic images and keeps every original once, so the
        smallest classes end up almost all synthetic and the largest all real.
        A float ``s``: every class, the largest included, ends with the same
        share ``s`` of synthetic images. Each class is first brought to its
        ``sampling_strategy`` target with copies of its own images (as
        :class:`RandomOverSampler` does), then gets ``round(target * s / (1 -
        s))`` SMOTE images, so no image is dropped and the output grows by
        ``1 / (1 - s)``. Why: where "looks interpolated" goes with the label, a
        network can learn it as evidence for the small classes and then miss
        their real test images. In the Fashion-MNIST study plain SMOTE
        recalled Shirt (180 training images, 95 % of its rows synthetic) 44.7 %
        of the time against 54.9 % after copying, and T-shirt/top (all real)
        94.3 % against 85.1 %. With a share of 0.25, online SMOTE recalled
        Shirt 59.4 % and reached 87.2 % ACSA against 85.3 % without (3 seeds,
        docs/benchmarks.md).

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of samples to add per class to reach the targets (synthetic
        ones, or copies with ``synthetic_share``).
    n_synthetic_ : dict
        Number of synthetic samples per class (the classes given any).
    plan_ : Plan
        Class, base index, neighbour index and gap of every synthetic sample.
    sample_indices_ : ndarray of int64
        Indices of the original samples kept: all of them, then (with
        ``synthetic_share``) the copies.
    nn_k_ : estimator
        The last fitted neighbours estimator.
    n_features_in_ : int
        Number of (flattened) features seen during fit.

    See Also
    --------
    BorderlineSMOTE, SVMSMOTE, KMeansSMOTE, ADASYN, pixsmote.sampling.synthesize

    References
    ----------
    .. [1] N. V. Chawla, K. W. Bowyer, L. O. Hall, W. P. Kegelmeyer, "SMOTE:
       synthetic minority over-sampling technique", Journal of Artificial
       Intelligence Research, 16, 321-357, 2002.

    Examples
    --------
    >>> import numpy as np
    >>> from pixsmote import SMOTE
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 256, size=(40, 8, 8), dtype=np.uint8)
    >>> y = np.array([0] * 30 + [1] * 10)
    >>> X_res, y_res = SMOTE(random_state=0).fit_resample(X, y)
    >>> X_res.shape, X_res.dtype, np.bincount(y_res).tolist()
    ((60, 8, 8), dtype('uint8'), [30, 30])
    """

    _parameter_constraints: dict = {
        **_ImbSMOTE._parameter_constraints,
        **ImageSamplerMixin._image_parameter_constraints,
    }
    _parameter_constraints["k_neighbors"] = [
        *_ImbSMOTE._parameter_constraints["k_neighbors"],
        StrOptions({"auto"}),
    ]
    _parameter_constraints.update(SyntheticShareMixin._share_constraint)
    _class_local = True

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        k_neighbors=5,
        neighbor_space="pixel",
        n_components=None,
        neighbors="auto",
        synthetic_share=None,
    ):
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            k_neighbors=k_neighbors,
        )
        self.neighbor_space = neighbor_space
        self.n_components = n_components
        self.neighbors = neighbors
        self.synthetic_share = synthetic_share

    def _groups(self, F, y, outer):
        for class_sample, n_samples in self._synthetic_counts(y).items():
            if n_samples == 0:
                continue
            idx = np.flatnonzero(y == class_sample)
            F_class = F[idx]
            nn = self._nn(
                "k_neighbors",
                self.k_neighbors,
                self._k_default,
                len(idx),
                class_sample,
                F_class,
            )
            self.nn_k_ = nn
            nns = nn.kneighbors(F_class, return_distance=False)[:, 1:]
            yield SmoteGroup(class_sample, n_samples, base=idx, nn=idx[nns])
