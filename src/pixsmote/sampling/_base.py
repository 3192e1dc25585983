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
import warnings
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils._param_validation import Interval, StrOptions

from pixsmote.sampling._groups import (
    Drawer,
    DrawRNG,
    Group,
    GroupDrawer,
    draw_groups,
)
from pixsmote.sampling._knn import NEIGHBORS_MODES, make_neighbors
from pixsmote.sampling._neighbors import compute_features
from pixsmote.sampling._plan import Plan
from pixsmote.sampling._synthesis import synthesize
from pixsmote.sampling._validation import flatten_images, label_repr, resolve_k

__all__ = ["ImageSamplerMixin", "GroupSamplerMixin", "Group", "Drawer", "SamplerBase"]

if TYPE_CHECKING:
    from typing import Self

    # The mixins of this package are always combined with an imbalanced-learn
    # sampler, which supplies fit/fit_resample, _validate_estimator,
    # sampling_strategy, random_state...; imbalanced-learn ships no
    # annotations, so to mypy that base is Any. At run time the mixins derive
    # from object and the sampler's own class list puts imbalanced-learn after
    # them.
    from imblearn.base import BaseSampler as SamplerBase
else:
    SamplerBase = object


class ImageSamplerMixin(SamplerBase):
    """Adds image input, neighbour spaces and plans to an imbalanced-learn sampler.

    Subclasses put this mixin first in their bases and implement
    ``_plan(X, y, X_orig) -> (sample_indices, plan)``, or derive from
    :class:`GroupSamplerMixin` and implement ``_groups``. Every public entry
    point validates ``X``/``y`` through imbalanced-learn's ``fit_resample`` and
    then runs one *step* with explicit arguments: ``X`` (2-D, validated), ``y``
    and ``X_orig`` (the images as the user passed them, or ``None`` when that is
    ``X`` itself). Nothing about the call is kept on the instance except the
    documented fitted attributes, so calls may nest (SMOTE-ENN runs its SMOTE
    inside its own call).

    * :meth:`fit_resample`: ``_resample`` (plan, then pixels);
    * :meth:`fit_plan`: ``_plan`` only;
    * :meth:`fit_groups`: ``_fit_groups`` (SMOTE family only);
    * :meth:`fit_drawer`: ``_fit_drawer``, a :class:`Drawer` for repeated draws.
    """

    _image_parameter_constraints: dict = {
        "neighbor_space": [StrOptions({"pixel", "pca"}), "array-like", callable],
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "neighbors": [StrOptions(set(NEIGHBORS_MODES))],
    }
    #: Whether the algorithm only looks at the class it oversamples.
    _class_local = False
    _allow_object = False
    #: Whether the plan depends on ``y`` alone (random over/under-sampling): a
    #: caller may then fit it without reading the pixels (a stand-in ``X``).
    _labels_only = False
    #: Whether the sampler draws its plans from neighbour groups
    #: (:meth:`fit_groups`, :meth:`draw_plan`).
    _from_groups = False

    # ------------------------------------------------------------------ API
    def fit(self, X: Any, y: ArrayLike, **params: Any) -> Self:
        """Check inputs and statistics of the sampler, as imbalanced-learn does.

        Accepts everything :meth:`fit_resample` accepts (images included) and
        sets ``sampling_strategy_``; use :meth:`fit_resample` to resample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features), \
                (n_samples, height, width) or (n_samples, height, width, channels)
            Samples; images of any integer or float dtype.
        y : array-like of shape (n_samples,)
            Class labels.
        **params : dict
            Passed to imbalanced-learn's ``fit``.

        Returns
        -------
        self : object
            The sampler itself.
        """
        X2, _ = flatten_images(X, y, allow_object=self._allow_object)
        return super().fit(X2, y, **params)

    def fit_resample(self, X: Any, y: ArrayLike, **params: Any) -> tuple[Any, Any]:
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
        X_orig = X if shape is not None else None
        step = partial(self._resample, X_orig=X_orig)
        X_res, y_res = super().fit_resample(X2, y, _step=step, **params)
        if shape is not None and len(shape) > 2:
            X_res = X_res.reshape((-1, *shape[1:]))
        return X_res, y_res

    def fit_plan(self, X: Any, y: ArrayLike) -> tuple[np.ndarray, Plan]:
        """Fit and draw the plan without producing any synthetic pixel.

        Returns
        -------
        sample_indices : ndarray of int64
            Indices into ``X`` of the original samples kept (``sample_indices_``).
        plan : Plan
            The synthetic samples to produce (``plan_``); pass it with ``X`` to
            :func:`pixsmote.sampling.synthesize`, whole or in chunks.
        """
        return self._run(X, y, self._fit_plan_step)

    def fit_groups(self, X: Any, y: ArrayLike) -> list[Group]:
        """Fit the neighbour structure once and return it, drawing no plan.

        For samplers built on groups (the SMOTE family, not ROS/RUS or the
        SMOTE+cleaning combinations). :meth:`draw_plan` then turns the groups
        into a plan with any random state, as often as wanted.

        Returns
        -------
        groups : list of Group
            Candidate bases, their neighbours and the number of samples to draw,
            per class (or per cluster); indices are into ``X``.
        """
        if not self._from_groups:
            raise TypeError(
                f"fit_groups needs a sampler that draws from neighbour groups (the "
                f"SMOTE family). Got {type(self).__name__} instead."
            )
        return self._run(X, y, self._fit_groups)

    def fit_drawer(self, X: Any, y: ArrayLike) -> Drawer:
        """Fit once, then draw ``(sample_indices, plan)`` with any random state.

        The expensive part (neighbour search, cleaning) runs here, once;
        ``drawer.draw(random_state)`` is then cheap and depends only on its
        argument. This is how :class:`pixsmote.torch.ResampledDataset` draws a
        fresh plan every epoch.

        * SMOTE family: the neighbour groups; every draw gives a new plan with
          the same per-class counts and keeps every original.
        * ``RandomOverSampler`` / ``RandomUnderSampler``: every draw gives new
          indices (they only look at ``y``).
        * ``SMOTEENN`` / ``SMOTETomek``: the cleaning runs once and is final
          (the originals it removed stay out of every draw, and each class
          keeps as many synthetic samples as survived); every draw gives that
          many fresh SMOTE samples per class from the one neighbour graph.

        Returns
        -------
        drawer : Drawer
            ``drawer.draw(random_state) -> (sample_indices, plan)``, indices
            into ``X``.
        """
        return self._run(X, y, self._fit_drawer)

    def draw_plan(self, groups: Sequence[Group], random_state: Any) -> Plan:
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
        return draw_groups(groups, random_state)

    # -------------------------------------------------------- the template
    def _run(self, X, y, step):
        """Validate as imbalanced-learn does, then return ``step(X2, y, X_orig)``."""
        X2, shape = flatten_images(X, y, allow_object=self._allow_object)
        X_orig = X if shape is not None else None
        result = []

        def run_step(X2, y):
            result.append(step(X2, y, X_orig))
            return X2[:0], y[:0]

        super().fit_resample(X2, y, _step=run_step)
        return result[0]

    def _fit_resample(self, X, y, *, _step=None):
        # imbalanced-learn's fit_resample calls this after its checks; the
        # public methods above pass the step to run.
        if _step is None:
            return self._resample(X, y, None)
        return _step(X, y)

    def _plan(self, X, y, X_orig):
        """``(sample_indices, plan)`` for validated 2-D ``X``: every sampler's own."""
        raise NotImplementedError

    def _resample(self, X, y, X_orig):
        kept, plan = self._fit_plan_step(X, y, X_orig)
        return self._materialize(X, y, kept, plan)

    def _fit_plan_step(self, X, y, X_orig):
        kept, plan = self._plan(X, y, X_orig)
        self.sample_indices_ = np.asarray(kept, dtype=np.int64)
        self.plan_ = plan
        return self.sample_indices_, plan

    def _fit_groups(self, X, y, X_orig):
        raise NotImplementedError

    def _fit_drawer(self, X, y, X_orig) -> Drawer:
        raise TypeError(
            f"fit_drawer needs a sampler whose plan can be redrawn (pixsmote's "
            f"SMOTE family, random or SMOTE+cleaning samplers). Got "
            f"{type(self).__name__} instead."
        )

    def _materialize(self, X, y, sample_indices, plan):
        n_keep = len(sample_indices)
        if not len(plan) and not isinstance(X, np.ndarray):
            # Nothing to synthesise from a sparse matrix, or from a DataFrame
            # that ROS/RUS's validation keeps as is (it accepts mixed column
            # types): rows selected as imbalanced-learn selects them.
            from sklearn.utils import _safe_indexing

            return _safe_indexing(X, sample_indices), y[sample_indices]
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
    def _prepare(self, X, X_orig):
        """Validate the estimator's parameters and map ``X`` to the neighbour space.

        ``X_orig`` (the images as passed, or ``None`` for ``X`` itself) is what a
        callable ``neighbor_space`` receives.
        """
        self._validate_estimator()
        space = getattr(self, "neighbor_space", "pixel")
        F = compute_features(
            space,
            X,
            X if X_orig is None else X_orig,
            getattr(self, "n_components", None),
        )
        self.features_shape_ = tuple(F.shape)
        self.image_input_ = X_orig is not None and np.ndim(X_orig) > 2
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

    def _images(self) -> bool:
        """Whether the last fit's input was images (``ndim > 2``), as
        :meth:`_prepare` recorded it in ``image_input_``: ``neighbors="auto"``
        keeps imbalanced-learn's exact search for 2-D input."""
        return bool(getattr(self, "image_input_", False))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.sampler_tags.sample_indices = True
        return tags


class GroupSamplerMixin(ImageSamplerMixin):
    """The template of the SMOTE family: groups of neighbours, then draws.

    Subclasses implement ``_groups(F, y, outer)``, a generator of
    :class:`Group` over the neighbour features ``F``; ``outer`` is the call's
    resolved random state (for estimators that imbalanced-learn would seed
    from the global RNG). Groups are drawn as they come, in imbalanced-learn's
    order: an estimator fitted for the next class (k-means, the SVM) may share
    a ``RandomState`` with the draws.
    """

    _from_groups = True

    def _groups(self, F, y, outer):
        raise NotImplementedError

    def _synthetic_counts(self, y) -> dict:
        """Synthetic samples per class for ``_groups`` to draw.

        ``sampling_strategy_`` here; :class:`SyntheticShareMixin` changes it.
        """
        return dict(self.sampling_strategy_)

    def _copy_counts(self, y) -> dict:
        """Copies of its originals per class (none but with a share)."""
        return {}

    def _graph(self, X, y, X_orig, *, draw, warn=True):
        """Features ``F``, the groups, and (``draw=True``) a plan drawn from them.

        ``warn=False`` leaves the shortfall warning to a caller that draws the
        plan itself.
        """
        F = self._prepare(X, X_orig)
        rng = DrawRNG(self.random_state)
        groups, parts = [], []
        for g in self._groups(F, y, rng.outer):
            groups.append(g)
            if draw:
                parts.append(g.draw(rng))
        plan = Plan.concat(parts, y_dtype=y.dtype) if draw else None
        if warn:
            self._warn_shortfall(groups, plan, y)
        return F, groups, plan

    #: What a sampler draws its bases from, for the shortfall warning (only
    #: samplers that may leave a class short, as imbalanced-learn's do).
    _bases_described: str | None = None

    def _warn_shortfall(self, groups, plan, y) -> None:
        """Warn for each class given well under the synthetic samples asked for.

        imbalanced-learn's Borderline-SMOTE skips a class none of whose samples
        is in danger, and its SVM-SMOTE can fall short; both silently, so a
        "balanced" set stays imbalanced. pixsmote keeps their behaviour and
        says so. (The study found it: on a backbone trained on over-sampled
        Fashion-MNIST, Borderline-SMOTE left Sneaker and Ankle boot at 90 and
        36 samples, and the head trained on them recalled Ankle boots 0.69-0.75
        of the time, against 0.91 after plain over-sampling.)
        """
        if self._bases_described is None:
            return  # SMOTE and the rest: nothing to count on their hot path
        planned: dict = {}
        about = ""
        if plan is not None:  # what was drawn
            labels, counts = np.unique(plan.cls, return_counts=True)
            planned = dict(zip(labels.tolist(), counts.tolist(), strict=True))
        else:  # what the groups will draw, on average (for the online forms:
            # SVM-SMOTE's danger/safe split is drawn anew every epoch)
            for g in groups:
                planned[g.cls] = planned.get(g.cls, 0) + g.expected_n_samples
            about = "about "
        copies = self._copy_counts(y)
        for cls, asked in self._synthetic_counts(y).items():
            got = int(round(planned.get(cls, 0)))
            # A few samples of rounding (SVM-SMOTE's danger/safe split) is not
            # worth a warning.
            if asked > 0 and got < asked - max(1, 0.01 * asked):
                warnings.warn(
                    f"{type(self).__name__}: class {label_repr(cls)} gets {about}"
                    f"{got} of the {asked} synthetic samples asked for (bases are only "
                    f"{self._bases_described}), so it stays at "
                    f"{int(np.sum(y == cls)) + copies.get(cls, 0) + got} samples, "
                    "as in imbalanced-learn. Use SMOTE, or a neighbour space where the "
                    f"class overlaps others. Got {got} instead of {asked}.",
                    UserWarning,
                    stacklevel=4,
                )

    def _plan(self, X, y, X_orig):
        plan = self._graph(X, y, X_orig, draw=True)[2]
        return np.arange(X.shape[0]), plan

    def _fit_groups(self, X, y, X_orig):
        return self._graph(X, y, X_orig, draw=False)[1]

    def _fit_drawer(self, X, y, X_orig) -> Drawer:
        groups = self._fit_groups(X, y, X_orig)
        return GroupDrawer(tuple(groups), np.arange(X.shape[0], dtype=np.int64))
