"""Borderline-SMOTE (Han et al. 2005) and SVM-SMOTE (Nguyen et al. 2011) on images."""

from __future__ import annotations

from typing import Any

import numpy as np
from imblearn.over_sampling import SVMSMOTE as _ImbSVMSMOTE
from imblearn.over_sampling import BorderlineSMOTE as _ImbBorderlineSMOTE
from sklearn.utils._param_validation import StrOptions

from pixsmote.sampling._base import GroupSamplerMixin, ImageSamplerMixin
from pixsmote.sampling._groups import SmoteGroup, SvmGroup
from pixsmote.sampling._share import SHARE_DOC, SyntheticShareMixin
from pixsmote.sampling._smote import _SPACE_DOC, _AutoKMixin

__all__ = ["BorderlineSMOTE", "SVMSMOTE"]


def _constraints(base):
    c = {
        **base._parameter_constraints,
        **ImageSamplerMixin._image_parameter_constraints,
    }
    for name in ("k_neighbors", "m_neighbors"):
        c[name] = [*base._parameter_constraints[name], StrOptions({"auto"})]
    c.update(SyntheticShareMixin._share_constraint)
    return c


class _AutoMMixin(_AutoKMixin):
    m_neighbors: Any  # an int, "auto" or a neighbours estimator

    def _validate_estimator(self):
        m = self.m_neighbors
        if isinstance(m, str):
            self.m_neighbors = 10
        try:
            super()._validate_estimator()
        finally:
            self.m_neighbors = m


class BorderlineSMOTE(
    SyntheticShareMixin, GroupSamplerMixin, _AutoMMixin, _ImbBorderlineSMOTE
):
    __doc__ = f"""Over-sample images near the class border with Borderline-SMOTE.

    Only samples "in danger" (at least half, but not all, of their
    ``m_neighbors`` nearest neighbours in the whole dataset belong to other
    classes) are used as bases. ``kind="borderline-1"`` interpolates towards
    same-class neighbours; ``"borderline-2"`` towards any neighbour, with the
    step scaled into ``[0, 0.5)`` when the neighbour is of another class.
    Drop-in for :class:`imblearn.over_sampling.BorderlineSMOTE`.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
    random_state : int, RandomState instance or None, default=None
    k_neighbors : int, "auto" or estimator, default=5
    m_neighbors : int, "auto" or estimator, default=10
        Neighbours (in the whole dataset) that decide whether a sample is in danger.
    kind : {{"borderline-1", "borderline-2"}}, default="borderline-1"
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
        ``scale`` holds the Borderline-2 factor for neighbours of other classes.
    sample_indices_ : ndarray of int64
    in_danger_indices : dict
        Per class, the indices of the samples found in danger.

    References
    ----------
    .. [1] H. Han, W.-Y. Wang, B.-H. Mao, "Borderline-SMOTE: a new over-sampling
       method in imbalanced data sets learning", ICIC 2005, LNCS 3644, 878-887.
    """

    _parameter_constraints: dict = _constraints(_ImbBorderlineSMOTE)

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        k_neighbors=5,
        m_neighbors=10,
        kind="borderline-1",
        neighbor_space="pixel",
        n_components=None,
        neighbors="auto",
        synthetic_share=None,
    ):
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            k_neighbors=k_neighbors,
            m_neighbors=m_neighbors,
            kind=kind,
        )
        self.neighbor_space = neighbor_space
        self.n_components = n_components
        self.neighbors = neighbors
        self.synthetic_share = synthetic_share

    _bases_described = (
        "its samples in danger: half or more, not all, of their m_neighbors "
        "nearest of other classes"
    )

    def _groups(self, F, y, outer):
        self.in_danger_indices = {}
        n = F.shape[0]
        for class_sample, n_samples in self._synthetic_counts(y).items():
            if n_samples == 0:
                continue
            idx = np.flatnonzero(y == class_sample)
            F_class = F[idx]
            nn_m = self._nn("m_neighbors", self.m_neighbors, 10, n, class_sample, F)
            self.nn_m_ = nn_m
            mask_danger = self._in_danger_noise(
                nn_m, F_class, class_sample, y, kind="danger"
            )
            if not any(mask_danger):
                continue
            danger = idx[mask_danger]
            self.in_danger_indices[class_sample] = danger
            fit_idx = idx if self.kind == "borderline-1" else np.arange(n)
            F_fit = F_class if self.kind == "borderline-1" else F
            nn_k = self._nn(
                "k_neighbors", self.k_neighbors, 5, len(fit_idx), class_sample, F_fit
            )
            self.nn_k_ = nn_k
            nns = fit_idx[nn_k.kneighbors(F[danger], return_distance=False)[:, 1:]]
            other = None if self.kind == "borderline-1" else (y[nns] != class_sample)
            yield SmoteGroup(class_sample, n_samples, base=danger, nn=nns, other=other)


class SVMSMOTE(SyntheticShareMixin, GroupSamplerMixin, _AutoMMixin, _ImbSVMSMOTE):
    __doc__ = f"""Over-sample images along an SVM's decision boundary with SVM-SMOTE.

    An SVM is fitted in the neighbour space; the minority support vectors that
    are not noise become bases. Those in danger interpolate towards a
    same-class neighbour (gap in ``[0, 1)``); safe ones extrapolate away from it
    (gap in ``(-out_step, 0]``). The split between the two is drawn from a
    Beta(10, 10). Drop-in for :class:`imblearn.over_sampling.SVMSMOTE`.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
    random_state : int, RandomState instance or None, default=None
    k_neighbors : int, "auto" or estimator, default=5
    m_neighbors : int, "auto" or estimator, default=10
    svm_estimator : estimator, default=None
        ``None``: ``SVC(gamma="scale")``.
    out_step : float, default=0.5
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
    svm_estimator_ : estimator

    References
    ----------
    .. [1] H. M. Nguyen, E. W. Cooper, K. Kamei, "Borderline over-sampling for
       imbalanced data classification", International Journal of Knowledge
       Engineering and Soft Data Paradigms, 3(1), 4-21, 2011.
    """

    _parameter_constraints: dict = _constraints(_ImbSVMSMOTE)

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        k_neighbors=5,
        m_neighbors=10,
        svm_estimator=None,
        out_step=0.5,
        neighbor_space="pixel",
        n_components=None,
        neighbors="auto",
        synthetic_share=None,
    ):
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            k_neighbors=k_neighbors,
            m_neighbors=m_neighbors,
            svm_estimator=svm_estimator,
            out_step=out_step,
        )
        self.neighbor_space = neighbor_space
        self.n_components = n_components
        self.neighbors = neighbors
        self.synthetic_share = synthetic_share

    _bases_described = "its support vectors that are not noise"

    def _groups(self, F, y, outer):
        if self.svm_estimator is None and self.random_state is None:
            # imbalanced-learn would hand None to SVC, which then draws from
            # numpy's global RNG; give it a seed from this call's generator.
            self.svm_estimator_.set_params(
                random_state=int(outer.randint(np.iinfo(np.int32).max))
            )
        # imbalanced-learn refits the same estimator on the same (F, y) once
        # per class. An SVM's fit is deterministic (its seed only serves
        # probability calibration), so one fit gives the same support
        # vectors; measured on fmnist-deepsmote's 8,100 training images with
        # synthetic_share=0.5 (10 classes), fit_resample took 18 s instead of
        # 147 s, with a bit-identical plan. The exception is a RandomState
        # the SVM shares with the sampler: libsvm's fit takes a draw from it
        # each time, so there the refits are kept and the plans stay
        # bit-identical to imbalanced-learn's (tests/sampling/test_parity.py).
        shared = isinstance(
            self.svm_estimator_.get_params().get("random_state"),
            np.random.RandomState,
        )
        n = F.shape[0]
        fitted = False
        for class_sample, n_samples in self._synthetic_counts(y).items():
            if n_samples == 0:
                continue
            idx = np.flatnonzero(y == class_sample)
            F_class = F[idx]
            if shared or not fitted:
                self.svm_estimator_.fit(F, y)
                fitted = True
            if not hasattr(self.svm_estimator_, "support_"):
                raise RuntimeError(
                    "`svm_estimator` is required to exposed a `support_` fitted "
                    "attribute. Such estimator belongs to the familly of Support "
                    "Vector Machine."
                )
            support = self.svm_estimator_.support_
            support_index = support[y[support] == class_sample]
            nn_m = self._nn("m_neighbors", self.m_neighbors, 10, n, class_sample, F)
            self.nn_m_ = nn_m
            noise = self._in_danger_noise(
                nn_m, F[support_index], class_sample, y, kind="noise"
            )
            sv = support_index[np.flatnonzero(np.logical_not(noise))]
            if sv.shape[0] == 0:
                raise ValueError(
                    "All support vectors are considered as noise. SVM-SMOTE is not "
                    "adapted to your dataset. Try another SMOTE variant."
                )
            danger_bool = self._in_danger_noise(
                nn_m, F[sv], class_sample, y, kind="danger"
            )
            nn_k = self._nn(
                "k_neighbors", self.k_neighbors, 5, len(idx), class_sample, F_class
            )
            self.nn_k_ = nn_k
            groups = {}
            for name, sel, step in (
                ("danger", danger_bool, 1.0),
                ("safe", np.logical_not(danger_bool), -self.out_step),
            ):
                if np.count_nonzero(sel) > 0:
                    base = sv[np.flatnonzero(sel)]
                    nns = idx[nn_k.kneighbors(F[base], return_distance=False)[:, 1:]]
                    groups[name] = SmoteGroup(
                        class_sample, 0, base=base, nn=nns, step_size=step
                    )
            yield SvmGroup(class_sample, n_samples, **groups)
