"""SMOTE, then cleaning: SMOTE+ENN (Batista 2004), SMOTE+Tomek (Batista 2003)."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any, NamedTuple

import numpy as np
from imblearn.combine import SMOTEENN as _ImbSMOTEENN
from imblearn.combine import SMOTETomek as _ImbSMOTETomek
from imblearn.over_sampling import SMOTE as _ImbSMOTE
from imblearn.under_sampling import EditedNearestNeighbours, TomekLinks
from imblearn.utils import check_target_type
from sklearn.base import clone
from sklearn.utils import check_X_y

from pixsmote.sampling._base import ImageSamplerMixin
from pixsmote.sampling._groups import GroupDrawer
from pixsmote.sampling._knn import bounded_cleaner
from pixsmote.sampling._plan import Plan
from pixsmote.sampling._smote import _SPACE_DOC, SMOTE
from pixsmote.sampling._synthesis import synthesize

__all__ = ["SMOTEENN", "SMOTETomek"]


class _Cleaned(NamedTuple):
    """One SMOTE run and its cleaning, in the neighbour space."""

    X: Any  # the validated input (2-D array or sparse matrix)
    y: np.ndarray
    F: Any  # the neighbour features of X (X itself in pixel space)
    groups: list  # SMOTE's neighbour groups, one per class
    plan: Plan  # SMOTE's whole plan, before cleaning
    F_res: Any  # features of [X; synthetic samples], as the cleaner saw them
    y_res: np.ndarray
    order: np.ndarray  # rows of F_res the cleaner kept, in its order

    @property
    def is_orig(self) -> np.ndarray:
        return self.order < self.X.shape[0]

    def kept(self) -> tuple[np.ndarray, Plan]:
        """The originals and the synthetic samples that survived."""
        n = self.X.shape[0]
        is_orig = self.is_orig
        sample_indices = self.order[is_orig].astype(np.int64)
        return sample_indices, self.plan[self.order[~is_orig] - n]


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

    def _smote_and_clean(self, X, y, X_orig) -> _Cleaned:
        self._validate_estimator()
        y = check_target_type(y)
        if not hasattr(X, "format"):
            X, y = check_X_y(X, y, accept_sparse=["csr", "csc"], dtype=None)
        self.sampling_strategy_ = self.sampling_strategy
        # One neighbour graph: the SMOTE groups give the plan here and every
        # later redraw (fit_drawer). SMOTE validates its own parameters.
        F, groups, plan = self.smote_._run(
            X if X_orig is None else X_orig, y, partial(self.smote_._graph, draw=True)
        )
        # The cleaning rule sees the resampled set in the neighbour space: the
        # pixels themselves, or the features of the originals plus the same
        # interpolation applied to them (exact for PCA, which is affine).
        space = self.smote_.neighbor_space
        if isinstance(space, str) and space == "pixel":
            F = X
        F_res = self.smote_._materialize(F, y, np.arange(X.shape[0]), plan)[0]
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
        return _Cleaned(X, y, F, groups, plan, F_res, y_res, order)

    def _plan(self, X, y, X_orig):
        return self._smote_and_clean(X, y, X_orig).kept()

    def _resample(self, X, y, X_orig):
        c = self._smote_and_clean(X, y, X_orig)
        self.sample_indices_, self.plan_ = c.kept()
        X, y, plan, order, n = c.X, c.y, c.plan, c.order, c.X.shape[0]
        # Rows in the cleaner's order, as imbalanced-learn returns them.
        if c.F is X:
            return c.F_res[order], c.y_res[order]
        if hasattr(X, "format"):
            X_all = self.smote_._materialize(X, y, np.arange(n), plan)[0]
            return X_all[order], c.y_res[order]
        X_out = np.empty((len(order), *X.shape[1:]), dtype=X.dtype)
        is_orig = c.is_orig
        pos_o = np.flatnonzero(is_orig)
        X_out[pos_o] = X[order[pos_o]]
        pos_s = np.flatnonzero(~is_orig)
        step = 4096
        for s in range(0, len(pos_s), step):
            p = pos_s[s : s + step]
            X_out[p] = synthesize(X, plan[order[p] - n])
        return X_out, c.y_res[order]

    def _fit_drawer(self, X, y, X_orig):
        c = self._smote_and_clean(X, y, X_orig)
        sample_indices, survived = c.kept()
        self.sample_indices_, self.plan_ = sample_indices, survived
        # Each class keeps as many synthetic samples as survived the cleaning;
        # the fresh ones are not cleaned again (that would be a neighbour
        # search over the whole resampled set per draw).
        labels, counts = np.unique(survived.cls, return_counts=True)
        survivors = dict(zip(labels.tolist(), counts.tolist(), strict=True))
        groups = tuple(
            replace(g, n_samples=int(survivors[g.cls]))
            for g in c.groups
            if survivors.get(g.cls, 0) > 0
        )
        return GroupDrawer(groups, sample_indices)


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
