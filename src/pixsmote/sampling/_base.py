"""The image-aware ``fit_resample`` template shared by every pixsmote sampler.

pixsmote's samplers subclass imbalanced-learn's classes of the same name, so
they keep its constructor parameters, ``sampling_strategy`` semantics,
parameter validation and fitted attributes, and drop into
``imblearn.pipeline.Pipeline``. This module adds what images need:

* ``X`` of shape ``(N, H, W)`` or ``(N, H, W, C)`` (flattened as a view, never
  copied), any integer or float dtype, returned with the same trailing shape
  and dtype;
* a ``neighbor_space`` separate from the pixel space;
* "sample, then apply": each algorithm yields *groups* (candidate base samples
  and their neighbours), a plan is drawn from them with imbalanced-learn's exact
  sequence of random draws, and pixels are synthesised afterwards, in chunks.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from pixsmote.sampling._knn import NEIGHBORS_MODES, make_neighbors
from pixsmote.sampling._neighbors import compute_features
from pixsmote.sampling._plan import Plan
from pixsmote.sampling._synthesis import synthesize
from pixsmote.sampling._validation import flatten_images, resolve_k

__all__ = ["ImageSamplerMixin", "Group"]


@dataclass
class Group:
    """Candidates one batch of synthetic samples is drawn from.

    ``kind="smote"`` mirrors imbalanced-learn's ``_make_samples``: ``n_samples``
    pairs drawn uniformly among ``base x nn``. ``kind="adasyn"`` uses fixed
    per-base counts (``counts``) and draws only the neighbour and the gap.
    ``kind="svm"`` holds a danger and a safe sub-group whose split is drawn from
    a Beta(10, 10) at draw time (Nguyen et al. 2011).
    """

    kind: str
    cls: object
    n_samples: int
    base: np.ndarray | None = None  # global indices of candidate base samples
    nn: np.ndarray | None = None  # (len(base), k) global indices of neighbours
    step_size: float = 1.0
    other: np.ndarray | None = None  # Borderline-2: neighbour of another class
    counts: np.ndarray | None = None  # ADASYN: samples per base
    danger: Group | None = None
    safe: Group | None = None


def _fresh(random_state):
    """imbalanced-learn re-resolves ``random_state`` at every draw site.

    With an int this restarts the stream (each class draws the same first
    numbers); with a ``RandomState`` it continues. pixsmote keeps that so its
    plans are bit-for-bit imbalanced-learn's, but never touches numpy's global
    RNG: ``None`` gets a fresh, OS-seeded ``RandomState``.
    """
    if random_state is None:
        return np.random.RandomState()
    return check_random_state(random_state)


class ImageSamplerMixin:
    """Adds image input, neighbour spaces and plans to an imbalanced-learn sampler.

    Subclasses put this mixin first in their bases and implement either
    ``_groups(F, y, outer)`` (a generator of :class:`Group`) or ``_fit_plan_2d``.
    """

    _image_parameter_constraints: dict = {
        "neighbor_space": [StrOptions({"pixel", "pca"}), "array-like", callable],
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "neighbors": [StrOptions(set(NEIGHBORS_MODES))],
    }
    #: Whether the algorithm only looks at the class it oversamples.
    _class_local = False
    _allow_object = False

    # ------------------------------------------------------------------ API
    def fit_resample(self, X, y, **params):
        """Resample the dataset.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features), \
                (n_samples, height, width) or (n_samples, height, width, channels)
            Samples; images of any integer or float dtype.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        X_resampled : ndarray of shape (n_samples_new, ...)
            Same trailing shape and dtype as ``X``.
        y_resampled : ndarray of shape (n_samples_new,)
        """
        X2, shape = flatten_images(X, y, allow_object=self._allow_object)
        self._nd_input = (X, shape)
        try:
            X_res, y_res = super().fit_resample(X2, y, **params)
        finally:
            self._nd_input = None
        if shape is not None and len(shape) > 2:
            X_res = X_res.reshape((-1, *shape[1:]))
        return X_res, y_res

    def fit_plan(self, X, y):
        """Fit and draw the plan without producing any synthetic pixel.

        Returns
        -------
        sample_indices : ndarray of int64
            Indices into ``X`` of the original samples kept (``sample_indices_``).
        plan : Plan
            The synthetic samples to produce (``plan_``); pass it with ``X`` to
            :func:`pixsmote.sampling.synthesize`, whole or in chunks.
        """
        self._plan_only = True
        try:
            self.fit_resample(X, y)
        finally:
            self._plan_only = False
        return self.sample_indices_, self.plan_

    def fit_groups(self, X, y):
        """Fit the neighbour structure once and return it, drawing no plan.

        For samplers built on groups (the SMOTE family, not ROS/RUS or the
        SMOTE+cleaning combinations). :meth:`draw_plan` then turns the groups
        into a plan with any random state, as often as wanted: this is how
        :class:`pixsmote.torch.ResampledDataset` draws a fresh plan every epoch
        without recomputing neighbours.

        Returns
        -------
        groups : list of Group
            Candidate bases, their neighbours and the number of samples to draw,
            per class (or per cluster); indices are into ``X``.
        """
        cls = type(self)
        if (
            cls._fit_plan_2d is not ImageSamplerMixin._fit_plan_2d
            or cls._fit_resample is not ImageSamplerMixin._fit_resample
        ):
            raise TypeError(
                f"fit_groups needs a sampler that draws from neighbour groups (the "
                f"SMOTE family). Got {type(self).__name__} instead."
            )
        self._groups_only = True
        try:
            self.fit_plan(X, y)
        finally:
            self._groups_only = False
        return self.groups_

    def draw_plan(self, groups, random_state):
        """Draw a plan from groups returned by :meth:`fit_groups`.

        Parameters
        ----------
        groups : list of Group
        random_state : int, RandomState instance or None
            A ``RandomState`` continues its stream across groups; an int restarts
            it at every draw site, as imbalanced-learn does.

        Returns
        -------
        plan : Plan
        """
        outer = _fresh(random_state)
        parts = [self._draw(g, random_state, outer) for g in groups]
        y_dtype = np.asarray([g.cls for g in groups]).dtype if groups else np.int64
        return Plan.concat(parts, y_dtype=y_dtype)

    # -------------------------------------------------------- the template
    def _fit_resample(self, X, y):
        sample_indices, plan = self._fit_plan_2d(X, y)
        self.sample_indices_ = np.asarray(sample_indices, dtype=np.int64)
        self.plan_ = plan
        if getattr(self, "_plan_only", False):
            return X[:0], y[:0]
        return self._materialize(X, y, self.sample_indices_, plan)

    def _fit_plan_2d(self, X, y):
        """Default for SMOTE-family samplers: keep all originals, draw groups."""
        self._validate_estimator()
        F = self._features(X)
        outer = _fresh(self.random_state)
        if getattr(self, "_groups_only", False):
            self.groups_ = list(self._groups(F, y, outer))
            return np.arange(X.shape[0]), Plan.empty(y.dtype)
        parts = [
            self._draw(g, self.random_state, outer) for g in self._groups(F, y, outer)
        ]
        plan = Plan.concat(parts, y_dtype=y.dtype)
        return np.arange(X.shape[0]), plan

    def _materialize(self, X, y, sample_indices, plan):
        n_keep = len(sample_indices)
        if hasattr(X, "format"):  # sparse: imbalanced-learn's layout
            from scipy import sparse

            blocks = [X[sample_indices]]
            if len(plan):
                blocks.append(synthesize(X, plan))
            X_res = sparse.vstack(blocks, format=X.format)
        else:
            X_res = np.empty((n_keep + len(plan), *X.shape[1:]), dtype=X.dtype)
            np.take(X, sample_indices, axis=0, out=X_res[:n_keep])
            synthesize(X, plan, out=X_res[n_keep:])
        y_res = np.concatenate([y[sample_indices], plan.cls.astype(y.dtype)])
        return X_res, y_res

    # ------------------------------------------------------------- helpers
    def _features(self, X):
        space = getattr(self, "neighbor_space", "pixel")
        X_orig = X
        nd = getattr(self, "_nd_input", None)
        if nd is not None and nd[1] is not None:
            X_orig = nd[0]
        F = compute_features(space, X, X_orig, getattr(self, "n_components", None))
        self.features_shape_ = tuple(F.shape)
        return F

    def _nn(self, param_name, param, default, n_fit, cls, F_fit, *, extra=1):
        """A fitted neighbours estimator for ``F_fit`` with the right ``k``.

        An estimator object given by the user is cloned and used as is;
        otherwise :func:`pixsmote.sampling._knn.make_neighbors` picks one from
        the ``neighbors`` mode (exact or approximate search in bounded memory).
        """
        if not isinstance(param, (numbers.Integral, str)):
            from sklearn.base import clone

            est = clone(param)
        else:
            k = resolve_k(param_name, param, default, n_fit, cls, extra=extra)
            est = make_neighbors(
                k + 1, F_fit, getattr(self, "neighbors", "auto"), images=self._images()
            )
        return est.fit(F_fit)

    def _images(self):
        """Whether the input of the current ``fit_resample`` was images."""
        nd = getattr(self, "_nd_input", None)
        return nd is not None and nd[1] is not None and len(nd[1]) > 2

    def _draw(self, g: Group, random_state, outer) -> Plan:
        if g.kind == "svm":
            fractions = outer.beta(10, 10)
            n1 = int(fractions * (g.n_samples + 1))
            parts = []
            if g.danger is not None:
                parts.append(self._draw_smote(g.danger, n1, random_state))
            if g.safe is not None:
                parts.append(self._draw_smote(g.safe, g.n_samples - n1, random_state))
            return Plan.concat(parts, y_dtype=np.asarray([g.cls]).dtype)
        if g.kind == "adasyn":
            n = int(g.counts.sum())
            k = g.nn.shape[1]
            rows = np.repeat(np.arange(len(g.base)), g.counts)
            cols = outer.choice(k, size=n)
            steps = outer.uniform(size=(n, 1))[:, 0]
            return Plan(
                cls=np.full(n, g.cls),
                base=g.base[rows],
                neighbor=g.nn[rows, cols],
                gap=steps,
            )
        return self._draw_smote(g, g.n_samples, random_state)

    @staticmethod
    def _draw_smote(g: Group, n, random_state) -> Plan:
        # imbalanced-learn's _make_samples, draw for draw.
        rs = _fresh(random_state)
        k = g.nn.shape[1]
        samples_indices = rs.randint(low=0, high=g.nn.size, size=n)
        steps = g.step_size * rs.uniform(size=n)[:, np.newaxis]
        rows = np.floor_divide(samples_indices, k)
        cols = np.mod(samples_indices, k)
        scale = None
        if g.other is not None:  # Borderline-SMOTE-2, in _generate_samples
            rs2 = _fresh(random_state)
            mask = g.other[rows, cols]
            scale = np.ones(n)
            scale[mask] = rs2.uniform(low=0.0, high=0.5, size=(mask.sum(), 1))[:, 0]
        return Plan(
            cls=np.full(n, g.cls),
            base=g.base[rows].astype(np.int64),
            neighbor=g.nn[rows, cols].astype(np.int64),
            gap=steps[:, 0],
            scale=scale,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.sampler_tags.sample_indices = True
        return tags
