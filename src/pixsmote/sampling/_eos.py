"""Expansive over-sampling (EOS, Dablain, Krawczyk & Chawla 2022), for features.

EOS was designed for the penultimate-layer features of a trained CNN: it
interpolates a minority sample towards one of its nearest *enemies* (neighbours
of another class) rather than towards a neighbour of its own class, which
expands the minority class's region in feature space into the space the
classifier's head currently gives to the majority classes.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from pixsmote.sampling._plan import Plan
from pixsmote.sampling._synthesis import synthesize
from pixsmote.sampling._validation import flatten_images, label_repr

__all__ = ["EOS"]


class EOS(BaseOverSampler):
    """Over-sample by interpolating minority samples towards their nearest enemies.

    For each class to over-sample: find the ``k_neighbors`` nearest neighbours
    of each of its samples among *all* samples (every class); the samples with
    at least one neighbour of another class (an *enemy*) are the candidate
    bases. A synthetic sample is ``x + gap * (x_e - x)``, with ``x`` a candidate
    base drawn uniformly, ``x_e`` one of its enemies among its ``k_neighbors``
    nearest neighbours drawn uniformly, ``gap ~ U[0, 1)``, and the label of
    ``x``.

    Made for 2-D feature arrays (e.g. CNN embeddings, for retraining a
    classifier's head); ``(N, H, W[, C])`` arrays are accepted and flattened for
    the neighbour search, as by pixsmote's other samplers.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        As in imbalanced-learn: the target class counts after resampling.
    random_state : int, RandomState instance or None, default=None
        Seeds the plan (one ``RandomState`` for the whole call). ``None`` draws
        fresh OS entropy; numpy's global RNG is never used.
    k_neighbors : int, default=10
        Neighbours searched among all classes (the paper's ``k = 10``).

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of samples to generate per class.
    plan_ : Plan
        Class, base index, enemy index (``neighbor``) and gap of every
        synthetic sample.
    sample_indices_ : ndarray of int64
        Indices of the original samples kept (all of them).
    n_bases_ : dict
        Number of candidate bases (samples with an enemy) per over-sampled class.

    Notes
    -----
    The released EOS code draws the enemy's position ``j`` among the query's
    ``k`` neighbours *without* itself (positions 1..k of its ``k + 1``
    nearest), but then reads position ``j - 1`` of the list *with* itself (off
    by one): where the first enemy is the nearest neighbour it copies the base
    (position 0 is the query), and otherwise it often interpolates towards the
    neighbour before the enemy, possibly of the base's own class. It also takes
    position 0 to be the query, which exact duplicates break. This
    implementation removes the query from its neighbour list by index and
    interpolates towards the drawn enemy itself, as the paper describes the
    method; enemies are drawn uniformly among the base's enemies, as there.

    A class none of whose samples has an enemy among its ``k_neighbors``
    nearest neighbours cannot be expanded; it is then over-sampled by copies
    (plan rows with ``neighbor == base`` and ``gap == 0``), with a warning. A
    class with fewer than ``k_neighbors`` bases is expanded from those few,
    with a warning too: on the penultimate features of a backbone trained on
    randomly over-sampled Fashion-MNIST, 2 of 36 Ankle boots, 5 of 90 Sneakers
    and 9 of 315 Sandals had an enemy among 10 neighbours, and EOS's head then
    did worse than no balancing (``eos:backbone=ros`` in docs/benchmarks.md).

    References
    ----------
    .. [1] D. Dablain, C. Bellinger, B. Krawczyk, N. V. Chawla, "Efficient
       augmentation for imbalanced deep learning", arXiv:2207.06080, 2022
       (ICDE 2023).
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "k_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, *, sampling_strategy="auto", random_state=None, k_neighbors=10):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.k_neighbors = k_neighbors

    def fit_resample(self, X, y, **params):
        """Resample the dataset.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features) or (n_samples, ...)
            Features (or images: flattened for the search, returned in shape).
        y : array-like of shape (n_samples,)

        Returns
        -------
        X_resampled : ndarray of shape (n_samples_new, ...)
            Same trailing shape and dtype as ``X``; originals first.
        y_resampled : ndarray of shape (n_samples_new,)
        """
        X2, shape = flatten_images(X, y)
        X_res, y_res = super().fit_resample(X2, y, **params)
        if shape is not None and len(shape) > 2:
            X_res = X_res.reshape((-1, *shape[1:]))
        return X_res, y_res

    def fit_plan(self, X, y):
        """Fit and draw the plan without producing any synthetic sample.

        Returns
        -------
        sample_indices : ndarray of int64
            ``arange(n_samples)``: every original is kept.
        plan : Plan
            Pass it with ``X`` to :func:`pixsmote.sampling.synthesize`.
        """
        X2, _ = flatten_images(X, y)
        self._validate_params()
        from imblearn.utils import check_sampling_strategy
        from sklearn.utils.multiclass import check_classification_targets

        check_classification_targets(y)
        X2, y, _ = self._check_X_y(X2, y)
        self.sampling_strategy_ = check_sampling_strategy(
            self.sampling_strategy, y, self._sampling_type
        )
        self.plan_ = self._plan(X2, y)
        self.sample_indices_ = np.arange(X2.shape[0], dtype=np.int64)
        return self.sample_indices_, self.plan_

    def _fit_resample(self, X, y):
        self.plan_ = self._plan(X, y)
        self.sample_indices_ = np.arange(X.shape[0], dtype=np.int64)
        X_res = np.concatenate([X, synthesize(X, self.plan_)], axis=0)
        y_res = np.concatenate([y, self.plan_.cls.astype(y.dtype)])
        return X_res, y_res

    def _plan(self, X, y) -> Plan:
        rs = (
            np.random.RandomState()
            if self.random_state is None
            else check_random_state(self.random_state)
        )
        n, k = X.shape[0], self.k_neighbors
        if n < k + 1:
            raise ValueError(
                f"EOS needs more samples than k_neighbors={k} (each sample's "
                f"{k} nearest others). Got {n} samples instead."
            )
        nn = NearestNeighbors(n_neighbors=k + 1).fit(X)
        parts = []
        self.n_bases_ = {}
        for cls, n_samples in self.sampling_strategy_.items():
            if n_samples == 0:
                continue
            idx = np.flatnonzero(y == cls)
            neigh = _without_self(nn.kneighbors(X[idx], return_distance=False), idx)
            enemy = y[neigh] != cls
            has_enemy = enemy.any(axis=1)
            self.n_bases_[cls] = int(has_enemy.sum())
            if not has_enemy.any():
                warnings.warn(
                    f"EOS: no sample of class {label_repr(cls)} has an enemy among "
                    f"its {k} nearest neighbours; it is over-sampled by copies.",
                    UserWarning,
                    stacklevel=3,
                )
                base = idx[rs.randint(len(idx), size=n_samples)]
                parts.append(
                    Plan(np.full(n_samples, cls), base, base, np.zeros(n_samples))
                )
                continue
            if self.n_bases_[cls] < k:
                # Measured once, on the study's seed-0 `ros` backbone: on the
                # features of a backbone trained on over-sampled data, minority
                # classes are so well separated that 2 of 36 Ankle boots had an
                # enemy among 10 neighbours, and a head trained on such
                # expansions lost most Sneakers; say so instead of failing
                # quietly.
                warnings.warn(
                    f"EOS: only {self.n_bases_[cls]} of the {len(idx)} samples of "
                    f"class {label_repr(cls)} have an enemy among their {k} "
                    f"nearest neighbours, so all its {n_samples} synthetic samples "
                    "expand from those. EOS expects features where classes "
                    "overlap (a backbone trained on the imbalanced data); raise "
                    f"k_neighbors to widen the search. Got fewer than {k} bases "
                    "instead.",
                    UserWarning,
                    stacklevel=3,
                )
            bases, neigh, enemy = idx[has_enemy], neigh[has_enemy], enemy[has_enemy]
            rows = rs.randint(len(bases), size=n_samples)
            # One of the row's enemies, uniformly: the j-th True of its mask.
            n_enemies = enemy.sum(axis=1)[rows]
            pick = np.floor(rs.uniform(size=n_samples) * n_enemies).astype(np.int64)
            ranks = np.cumsum(enemy[rows], axis=1) - 1
            cols = np.argmax((ranks == pick[:, None]) & enemy[rows], axis=1)
            gap = rs.uniform(size=n_samples)
            parts.append(
                Plan(
                    cls=np.full(n_samples, cls),
                    base=bases[rows].astype(np.int64),
                    neighbor=neigh[rows, cols].astype(np.int64),
                    gap=gap,
                )
            )
        return Plan.concat(parts, y_dtype=y.dtype)


def _without_self(neigh: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Drop each query's own index from its ``k + 1`` neighbours.

    By index, not by position: with exact duplicates the query need not come
    first. When it is absent (more than ``k`` exact duplicates), the farthest
    neighbour is dropped instead, so each row keeps ``k`` others.
    """
    is_self = neigh == idx[:, None]
    drop = np.where(is_self.any(axis=1), is_self.argmax(axis=1), neigh.shape[1] - 1)
    keep = np.ones(neigh.shape, dtype=bool)
    keep[np.arange(len(neigh)), drop] = False
    return neigh[keep].reshape(len(neigh), -1)
