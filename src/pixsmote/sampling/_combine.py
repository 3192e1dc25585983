"""SMOTE, then cleaning: SMOTE+ENN (Batista 2004), SMOTE+Tomek (Batista 2003)."""

from __future__ import annotations

import numpy as np
from imblearn.combine import SMOTEENN as _ImbSMOTEENN
from imblearn.combine import SMOTETomek as _ImbSMOTETomek
from imblearn.over_sampling import SMOTE as _ImbSMOTE
from imblearn.under_sampling import EditedNearestNeighbours, TomekLinks
from imblearn.utils import check_target_type
from sklearn.base import clone
from sklearn.utils import check_X_y

from pixsmote.sampling._base import ImageSamplerMixin
from pixsmote.sampling._knn import bounded_cleaner
from pixsmote.sampling._smote import _SPACE_DOC, SMOTE
from pixsmote.sampling._synthesis import synthesize

__all__ = ["SMOTEENN", "SMOTETomek"]


class _CombineMixin(ImageSamplerMixin):
    _cleaner_attr = ""

    def _make_cleaner(self):
        raise NotImplementedError

    def _validate_estimator(self):
        if self.smote is not None:
            smote = clone(self.smote)
            if not isinstance(smote, SMOTE):  # imbalanced-learn's SMOTE: upgrade it
                smote = SMOTE(
                    **smote.get_params(),
                    neighbor_space=self.neighbor_space,
                    n_components=self.n_components,
                    neighbors=self.neighbors,
                )
        else:
            smote = SMOTE(
                sampling_strategy=self.sampling_strategy,
                random_state=self.random_state,
                neighbor_space=self.neighbor_space,
                n_components=self.n_components,
                neighbors=self.neighbors,
            )
        self.smote_ = smote
        setattr(self, self._cleaner_attr, self._make_cleaner())

    def _fit_resample(self, X, y):
        self._validate_estimator()
        y = check_target_type(y)
        if not hasattr(X, "format"):
            X, y = check_X_y(X, y, accept_sparse=["csr", "csc"], dtype=None)
        self.sampling_strategy_ = self.sampling_strategy
        nd = getattr(self, "_nd_input", None)
        X_smote = nd[0] if nd is not None and nd[1] is not None else X
        idx0, plan = self.smote_.fit_plan(X_smote, y)
        n = X.shape[0]
        # The cleaning rule sees the resampled set in the neighbour space: the
        # pixels themselves, or the features of the originals plus the same
        # interpolation applied to them (exact for PCA, which is affine).
        if (
            isinstance(self.smote_.neighbor_space, str)
            and self.smote_.neighbor_space == "pixel"
        ):
            F = X
        else:
            F = self.smote_._features(X)
        F_res = self.smote_._materialize(F, y, idx0, plan)[0]
        y_res = np.concatenate([y, plan.cls.astype(y.dtype)])
        cleaner = bounded_cleaner(
            getattr(self, self._cleaner_attr),
            F_res,
            self.neighbors,
            images=self._images(),
        )
        setattr(self, self._cleaner_attr, cleaner)
        cleaner.fit_resample(F_res, y_res)
        order = np.asarray(cleaner.sample_indices_)
        is_orig = order < n
        self.sample_indices_ = idx0[order[is_orig]].astype(np.int64)
        self.plan_ = plan[order[~is_orig] - n]
        if getattr(self, "_plan_only", False):
            return X[:0], y[:0]
        # Rows in the cleaner's order, as imbalanced-learn returns them.
        if F is X:
            return F_res[order], y_res[order]
        if hasattr(X, "format"):
            X_all = self.smote_._materialize(X, y, idx0, plan)[0]
            return X_all[order], y_res[order]
        X_out = np.empty((len(order), *X.shape[1:]), dtype=X.dtype)
        pos_o = np.flatnonzero(is_orig)
        X_out[pos_o] = X[order[pos_o]]
        pos_s = np.flatnonzero(~is_orig)
        step = 4096
        for s in range(0, len(pos_s), step):
            p = pos_s[s : s + step]
            X_out[p] = synthesize(X, plan[order[p] - n])
        return X_out, y_res[order]


_COMBINE_DOC = """
    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
    random_state : int, RandomState instance or None, default=None
    smote : SMOTE, default=None
        pixsmote's or imbalanced-learn's SMOTE (the latter is upgraded to
        pixsmote's, taking this sampler's ``neighbor_space``).
    {cleaner} : estimator, default=None
    n_jobs : int, default=None
    {space}

    Attributes
    ----------
    sampling_strategy_ : dict
    smote_ : SMOTE
    plan_ : Plan
        The synthetic samples that survived cleaning.
    sample_indices_ : ndarray of int64
        The originals that survived cleaning.

    Notes
    -----
    ``fit_resample`` returns rows in the cleaner's order (per class), as
    imbalanced-learn does, so originals and synthetic samples are interleaved;
    ``fit_plan`` gives them apart.
"""


class SMOTEENN(_CombineMixin, _ImbSMOTEENN):
    __doc__ = (
        """Over-sample images with SMOTE, then clean with Edited Nearest Neighbours.

    Drop-in for :class:`imblearn.combine.SMOTEENN`.
"""
        + _COMBINE_DOC.format(cleaner="enn", space=_SPACE_DOC)
        + """
    References
    ----------
    .. [1] G. Batista, R. C. Prati, M. C. Monard, "A study of the behavior of
       several methods for balancing machine learning training data", SIGKDD
       Explorations 6(1), 20-29, 2004.
    """
    )

    _cleaner_attr = "enn_"
    _parameter_constraints: dict = {
        **_ImbSMOTEENN._parameter_constraints,
        **ImageSamplerMixin._image_parameter_constraints,
        "smote": [_ImbSMOTE, None],
    }

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        smote=None,
        enn=None,
        n_jobs=None,
        neighbor_space="pixel",
        n_components=None,
        neighbors="auto",
    ):
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            smote=smote,
            enn=enn,
            n_jobs=n_jobs,
        )
        self.neighbor_space = neighbor_space
        self.n_components = n_components
        self.neighbors = neighbors

    def _make_cleaner(self):
        if self.enn is not None:
            return clone(self.enn)
        return EditedNearestNeighbours(sampling_strategy="all", n_jobs=self.n_jobs)


class SMOTETomek(_CombineMixin, _ImbSMOTETomek):
    __doc__ = (
        """Over-sample images with SMOTE, then remove Tomek links.

    Drop-in for :class:`imblearn.combine.SMOTETomek`.
"""
        + _COMBINE_DOC.format(cleaner="tomek", space=_SPACE_DOC)
        + """
    References
    ----------
    .. [1] G. Batista, A. L. C. Bazzan, M. C. Monard, "Balancing training data
       for automated annotation of keywords: a case study", WOB 2003, 10-18.
    """
    )

    _cleaner_attr = "tomek_"
    _parameter_constraints: dict = {
        **_ImbSMOTETomek._parameter_constraints,
        **ImageSamplerMixin._image_parameter_constraints,
        "smote": [_ImbSMOTE, None],
    }

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        smote=None,
        tomek=None,
        n_jobs=None,
        neighbor_space="pixel",
        n_components=None,
        neighbors="auto",
    ):
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            smote=smote,
            tomek=tomek,
            n_jobs=n_jobs,
        )
        self.neighbor_space = neighbor_space
        self.n_components = n_components
        self.neighbors = neighbors

    def _make_cleaner(self):
        if self.tomek is not None:
            return clone(self.tomek)
        return TomekLinks(sampling_strategy="all", n_jobs=self.n_jobs)
