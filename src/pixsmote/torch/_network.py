"""What the samplers that make their own pixels share (DeepSMOTE, M2m,
ShapeTransfer).

Their ``fit_plan`` trains (or takes) the network and draws a plan; their
``synthesize`` runs the network on the plan. Everything around that — the
imbalanced-learn entry points, the input checks, the checks of a plan against
``X`` and ``out`` — is the same and lives here.
"""

from __future__ import annotations

import numpy as np
import torch
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_sampling_strategy
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets

from pixsmote.sampling import Plan, flatten_images, share_counts

__all__ = ["NetworkOverSampler", "resolve_random_state"]


class NetworkOverSampler(BaseOverSampler):
    """Base of the over-samplers whose synthetic pixels a trained network makes.

    Subclasses define ``fit_plan(X, y) -> (sample_indices, plan)`` and
    ``synthesize(X, plan, out=None, chunk_size=None)``; every original is kept.
    """

    #: Needs (N, H, W[, C]) images: not for feature vectors or tabular data.
    _needs_images = True
    #: Pixels come from a network (``synthesize``), not a mix of two rows: the
    #: online form is :class:`~pixsmote.torch.DeepSMOTEEpochs`.
    _network_synthesis = True
    #: Works on pixels in [0, 1] (:meth:`_to_unit`): float images outside it
    #: are refused; integer ones are scaled by their dtype's range.
    _unit_images = False

    def fit_plan(self, X, y):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def synthesize(self, X, plan: Plan, out=None, chunk_size: int | None = None):
        raise NotImplementedError  # pragma: no cover - every subclass defines it

    #: Fitted attributes that grow with the data (per-image codes, labels,
    #: neighbour lists, plans) and that ``synthesize`` does not read.
    _plan_state: tuple[str, ...] = ("plan_", "sample_indices_")

    def synthesizer(self):
        """A copy of the fitted sampler that can only ``synthesize``.

        It shares the networks and drops what only planning needs (per-image
        codes, labels, neighbours, the plan), which grows with the dataset:
        what to send to other processes that make a plan's pixels (Dask
        workers). ``synthesize`` gives the same images as on the sampler.
        """
        import copy

        slim = copy.copy(self)
        for name in self._plan_state:
            slim.__dict__.pop(name, None)
        return slim

    def draw(self, random_state) -> tuple[np.ndarray, Plan]:
        """Every original and a new plan from the fitted network (``draw_plan``).

        The online form (:class:`~pixsmote.torch.DeepSMOTEEpochs`) calls it once
        per epoch; DeepSMOTE's ``synthetic_share`` adds fresh copies.
        """
        return self.sample_indices_, self.draw_plan(random_state)

    def _fit_copies(self, y, share) -> dict:
        """Synthetic samples per class; with a ``synthetic_share``, also the
        copies :meth:`_kept` draws (``pixsmote.sampling.share_counts``)."""
        self._copies: tuple[tuple[np.ndarray, int], ...] = ()
        if share is None:
            return dict(self.sampling_strategy_)
        counts, copies = share_counts(y, self.sampling_strategy_, share)
        self._copies = tuple(
            (np.flatnonzero(y == label).astype(np.int64), int(n))
            for label, n in copies.items()
            if n
        )
        return counts

    def _kept(self, n_samples: int, rs: np.random.RandomState) -> np.ndarray:
        """Every original, then fresh copies for the share (drawn from ``rs``)."""
        kept: list[np.ndarray] = [np.arange(n_samples, dtype=np.int64)]
        for idx, n in self._copies:
            kept.append(rs.choice(idx, size=n, replace=True))
        return np.concatenate(kept)

    def fit_resample(self, X, y):
        """Train (or take) the network, draw the plan and synthesise it.

        Parameters
        ----------
        X : ndarray of shape (n_samples, height, width[, channels])
            Images.
        y : array-like of shape (n_samples,)

        Returns
        -------
        X_resampled : ndarray of shape (n_samples_new, height, width[, channels])
            Originals first, then the synthetic images; dtype of ``X``.
        y_resampled : ndarray of shape (n_samples_new,)
        """
        return self._fit_resample(X, y)

    def _fit_resample(self, X, y):
        idx, plan = self.fit_plan(X, y)
        X = np.asarray(X)
        X_res = np.empty((len(idx) + len(plan), *X.shape[1:]), dtype=X.dtype)
        X_res[: len(idx)] = X[idx]
        self.synthesize(X, plan, out=X_res[len(idx) :])
        y = np.asarray(y)
        return X_res, np.concatenate([y[idx], plan.cls.astype(y.dtype)])

    def fit(self, X, y):
        """Check the images and resolve ``sampling_strategy_``; train nothing.

        Like imbalanced-learn's ``fit``, which only validates: the network is
        trained by :meth:`fit_resample` / ``fit_plan``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, height, width[, channels])
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        self._check_images(X, y)
        return self

    def _check_images(self, X, y):
        self._validate_params()
        if not isinstance(X, np.ndarray):
            X = np.asarray(X)
        if X.ndim not in (3, 4):
            raise ValueError(
                f"{type(self).__name__} needs images of shape (n_samples, height, "
                "width) or (n_samples, height, width, channels). Got shape "
                f"{X.shape} instead."
            )
        flatten_images(X, y)  # dtype, finiteness and length checks
        y = np.asarray(y)
        check_classification_targets(y)
        self.sampling_strategy_ = check_sampling_strategy(
            self.sampling_strategy, y, self._sampling_type
        )
        self.n_features_in_ = int(np.prod(X.shape[1:]))
        if self._unit_images and np.issubdtype(X.dtype, np.floating) and len(X) and (
            X.min() < 0 or X.max() > 1
        ):
            raise ValueError(
                f"{type(self).__name__} takes float images in [0, 1] (or integer "
                f"images). Got values in [{X.min():g}, {X.max():g}] instead."
            )
        return X, y

    def _to_unit(self, X) -> torch.Tensor:
        """Images as a float32 ``(B, C, H, W)`` tensor in ``[0, 1]`` on ``device``."""
        x = np.ascontiguousarray(X).astype(np.float32)
        if np.issubdtype(X.dtype, np.integer):
            info = np.iinfo(X.dtype)
            x = (x - info.min) / float(info.max - info.min)
        t = torch.from_numpy(x)
        t = t.unsqueeze(1) if t.ndim == 3 else t.permute(0, 3, 1, 2)
        return t.to(self.device)

    @staticmethod
    def _from_unit(x: torch.Tensor, dtype, shape) -> np.ndarray:
        """``(B, C, H, W)`` unit-scale images back in ``dtype`` and ``shape``
        (rounded and clipped for integer dtypes)."""
        a = x.permute(0, 2, 3, 1).cpu().numpy().astype(np.float64)
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            a = np.rint(a * (info.max - info.min) + info.min)
            a = np.clip(a, info.min, info.max)
        return a.reshape((len(a), *shape)).astype(dtype)

    @staticmethod
    def _synthesis_out(X, plan, out) -> np.ndarray:
        """``out`` checked against ``plan`` and ``X`` (allocated if None)."""
        if not isinstance(plan, Plan):
            raise TypeError(
                f"plan must be a pixsmote Plan. Got {type(plan).__name__} instead."
            )
        shape = (len(plan), *X.shape[1:])
        if out is None:
            out = np.empty(shape, dtype=X.dtype)
        elif out.shape != shape or out.dtype != X.dtype:
            raise ValueError(
                f"out must have shape {shape} and dtype {X.dtype}. "
                f"Got shape {out.shape} and dtype {out.dtype} instead."
            )
        if len(plan) and max(plan.base.max(), plan.neighbor.max()) >= len(X):
            raise IndexError(
                f"plan indexes sample {max(plan.base.max(), plan.neighbor.max())} "
                f"but X has {len(X)} samples."
            )
        return out


def resolve_random_state(random_state) -> np.random.RandomState:
    """One RandomState per call; ``None`` is fresh entropy, never numpy's global."""
    if random_state is None:
        return np.random.RandomState()
    return check_random_state(random_state)
