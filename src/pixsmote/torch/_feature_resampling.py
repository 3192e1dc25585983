"""Feature-space resampling for two-stage training (head retraining).

Each helper is a callable ``resample(epoch, feats, y) -> (feats_epoch,
y_epoch)``, the form :func:`pixsmote.train.retrain_head` takes: it is called
at the start of every head epoch with the real penultimate features, and
every epoch's draw is reproducible from ``(seed, epoch)``
(:func:`pixsmote.torch.epoch_random_state`).

* :class:`ClassBalancedFeatures` (``crt``): real features only, class-balanced
  sampling (Kang et al. 2020's classifier re-training).
* :class:`SamplerFeatures` (``feature-<sampler>``, ``eos``): the real features
  plus synthetic ones drawn by a pixsmote sampler in feature space, with a
  fresh plan every epoch; for the SMOTE family the neighbour groups are
  fitted once (as :class:`pixsmote.torch.ResampledDataset` does) and only the
  plan is redrawn.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import clone

from pixsmote._errors import UsageError
from pixsmote.sampling import EOS, get_sampler, list_samplers, synthesize
from pixsmote.torch._dataset import epoch_random_state

__all__ = [
    "FEATURE_PREFIX",
    "ClassBalancedFeatures",
    "SamplerFeatures",
    "feature_resampler",
    "list_feature_recipes",
]

#: ``feature-<sampler>`` names a sampler of the registry applied to features.
FEATURE_PREFIX = "feature-"


class ClassBalancedFeatures:
    """cRT's class-balanced sampling of real features (Kang et al. 2020).

    Every epoch has as many rows as the real set; each class gets an equal
    share (``round(N / C)``), drawn uniformly with replacement within the
    class: a class is picked with equal probability, then an instance.

    Parameters
    ----------
    seed : int
        With the epoch, seeds the draws (:func:`epoch_random_state`).
    """

    def __init__(self, seed: int = 0):
        self.seed = int(seed)

    def __call__(self, epoch: int, feats, y):
        y = np.asarray(y)
        rs = epoch_random_state(self.seed, epoch)
        classes = np.unique(y)
        per_class = max(1, int(round(len(y) / len(classes))))
        idx = np.concatenate(
            [rs.choice(np.flatnonzero(y == c), per_class) for c in classes]
        )
        return np.asarray(feats)[idx], y[idx]

    def __repr__(self) -> str:
        return f"ClassBalancedFeatures(seed={self.seed})"


class SamplerFeatures:
    """Real features plus a pixsmote sampler's synthetic ones, redrawn each epoch.

    For samplers built on neighbour groups (the SMOTE family) the groups are
    fitted on the first call and reused: each epoch only draws a new plan
    (``draw_plan``) and synthesises it (:func:`pixsmote.sampling.synthesize`).
    The others (random over/under-sampling, SMOTE+ENN/Tomek, :class:`EOS`) are
    refitted each epoch with that epoch's random state; their kept originals
    (``sample_indices_``) come first.

    Parameters
    ----------
    sampler : pixsmote sampler
        E.g. ``pixsmote.SMOTE()`` or ``EOS()``; cloned, never modified.
    seed : int
        With the epoch, seeds every plan (:func:`epoch_random_state`).
    """

    def __init__(self, sampler, seed: int = 0):
        self.sampler = sampler
        self.seed = int(seed)
        self._fitted_on: tuple[np.ndarray, np.ndarray] | None = None
        self._groups = None
        self._warned = False

    def _fit_groups(self, feats, y):
        fitted = clone(self.sampler).set_params(random_state=self.seed)
        try:
            groups = fitted.fit_groups(feats, y)
        except (TypeError, AttributeError):
            groups = None
        # The arrays themselves, not their ids: a freed array's id can be
        # reused by a new one, which must not get the old neighbours.
        self._fitted_on = (feats, y)
        self._groups, self._drawer = groups, fitted
        self._warned = False  # new data: its warnings are news

    def __call__(self, epoch: int, feats, y):
        feats, y = np.asarray(feats), np.asarray(y)
        rs = epoch_random_state(self.seed, epoch)
        if (
            self._fitted_on is None
            or self._fitted_on[0] is not feats
            or self._fitted_on[1] is not y
        ):
            self._fit_groups(feats, y)
        if self._groups is not None:
            kept = np.arange(len(y))
            plan = self._drawer.draw_plan(self._groups, rs)
        else:
            s = clone(self.sampler).set_params(random_state=rs)
            # The sampler refits every head epoch; what it warns about (EOS's
            # few bases, say) is the same each time: say it on the first only
            # (Python's once-per-location rule does not hold once anything
            # has used warnings.catch_warnings, so it would repeat).
            with warnings.catch_warnings():
                if self._warned:
                    warnings.simplefilter("ignore")
                kept, plan = s.fit_plan(feats, y)
            self._warned = True
        X_epoch = np.concatenate([feats[kept], synthesize(feats, plan)])
        y_epoch = np.concatenate([y[kept], plan.cls.astype(y.dtype)])
        return X_epoch, y_epoch

    def __repr__(self) -> str:
        return f"SamplerFeatures({self.sampler!r}, seed={self.seed})"


def list_feature_recipes() -> list[str]:
    """``crt``, ``eos`` and ``feature-<name>`` for every synthetic sampler that
    works on feature vectors (not those that need images, e.g. DeepSMOTE)."""
    from pixsmote.sampling import SAMPLERS

    names = [
        n
        for n in list_samplers(synthetic=True)
        if not getattr(SAMPLERS[n].cls, "_needs_images", False)
    ]
    return ["crt", "eos"] + [FEATURE_PREFIX + n for n in names]


def feature_resampler(name: str, *, seed: int = 0, **sampler_params):
    """The head-epoch resampling callable of a two-stage recipe.

    Parameters
    ----------
    name : str
        ``"crt"``, ``"eos"`` or ``"feature-<sampler>"`` (any registered
        sampler, e.g. ``"feature-smote"``, ``"feature-svm-smote"``).
    seed : int
        Seeds the samplers and every epoch's draw.
    **sampler_params
        Passed to the sampler (``k_neighbors``, ``sampling_strategy``, ...);
        none for ``crt``.

    Returns
    -------
    callable
        ``resample(epoch, feats, y) -> (feats_epoch, y_epoch)`` for
        :func:`pixsmote.train.retrain_head`.
    """
    if name == "crt":
        if sampler_params:
            raise UsageError(
                f"crt takes no sampler parameters. Got {sorted(sampler_params)} "
                "instead."
            )
        return ClassBalancedFeatures(seed)
    if name == "eos":
        return SamplerFeatures(EOS(random_state=seed, **sampler_params), seed)
    if name.startswith(FEATURE_PREFIX):
        sampler = get_sampler(
            name[len(FEATURE_PREFIX) :], random_state=seed, **sampler_params
        )
        return SamplerFeatures(sampler, seed)
    raise UsageError(
        f"Unknown feature resampling. Expected one of {list_feature_recipes()}. "
        f"Got {name!r} instead."
    )
