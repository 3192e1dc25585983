"""Classification losses for imbalanced data, registered by name in :data:`LOSSES`.

Every loss is an ``nn.Module`` called as ``loss(logits, target)`` with logits
``(B, C)`` and either int64 labels ``(B,)`` or soft targets ``(B, C)`` (rows
summing to 1), and returns the batch mean. They share one formulation: a
per-class loss matrix ``L[i, c]`` (the loss of sample ``i`` if its label were
``c``), a per-class weight ``w_c``, and

    loss = mean_i  sum_c  t[i, c] * w_c * L[i, c]

where ``t`` is the one-hot label or the soft target. With hard labels this is
``mean_i w_{y_i} * L[i, y_i]`` (the batch mean, *not* PyTorch's
``sum(w * l) / sum(w)``): weights are normalised to average 1 over the classes
(Cui 2019's "sum to C"), so the re-weighted losses keep the scale of plain CE
and share its learning rate.

Losses that depend on training progress (LDAM-DRW) have ``set_progress(fraction)``,
which the loop calls before every step; the others inherit a no-op. A loss whose
``head_scale`` is not ``None`` wants a cosine classifier with that scale (see
:func:`~pixsmote.train.get_model`).

Classes with no training example get the weight of a class with one example
(their counts are clipped to 1), so that a class absent from one resampled epoch
does not produce infinite weights.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pixsmote._errors import UsageError
from pixsmote._registry import Registry

__all__ = [
    "LOSSES",
    "Loss",
    "class_balanced_weights",
    "get_loss",
    "list_losses",
    "mixed_loss",
]

#: Loss name -> factory ``(class_counts, **kw)``.
LOSSES = Registry("loss")


def _counts(class_counts) -> np.ndarray:
    counts = np.asarray(class_counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size < 2 or not np.all(np.isfinite(counts)):
        raise UsageError(
            "class_counts must be a 1-D sequence of at least 2 finite counts. "
            f"Got {class_counts!r} instead."
        )
    if np.any(counts < 0) or counts.sum() <= 0:
        raise UsageError(
            "class_counts must be non-negative with a positive total. "
            f"Got {counts.tolist()!r} instead."
        )
    return np.maximum(counts, 1.0)


def _normalised(w: np.ndarray) -> torch.Tensor:
    """Scale weights to average 1 over the classes (sum to C)."""
    return torch.as_tensor(w / w.mean(), dtype=torch.float32)


def class_balanced_weights(class_counts, beta: float) -> torch.Tensor:
    """Class-balanced weights of Cui 2019: ``(1 - beta) / (1 - beta ** n_c)``,
    the inverse "effective number of samples", normalised to average 1.

    ``beta = 0`` gives equal weights (plain CE); ``beta -> 1`` tends to inverse
    frequency.

    Parameters
    ----------
    class_counts : array-like of int
        Training images per class.
    beta : float
        In [0, 1).
    """
    if not 0.0 <= beta < 1.0:
        raise UsageError(f"beta must be in [0, 1). Got {beta!r} instead.")
    n = _counts(class_counts)
    return _normalised((1.0 - beta) / (1.0 - np.power(beta, n)))


class Loss(nn.Module):
    """Weighted cross-entropy in the shared formulation (see the module doc).

    Subclasses override :meth:`loss_matrix`. ``weight`` is a buffer (so
    ``.to(device)`` moves it) or ``None`` for equal weights.

    Parameters
    ----------
    n_classes : int
        Number of classes.
    weight : Tensor, optional
        Per-class weights; ``None`` for equal weights.
    """

    head_scale: float | None = None
    # Buffers, declared for type checkers (nn.Module's __getattr__ is typed
    # Tensor | Module).
    weight: torch.Tensor | None

    def __init__(self, n_classes: int, weight: torch.Tensor | None = None):
        super().__init__()
        self.n_classes = int(n_classes)
        self.register_buffer("weight", weight)

    def set_progress(self, fraction: float) -> None:
        """Tell the loss how far training is, in [0, 1). No-op by default."""

    def loss_matrix(self, logits: torch.Tensor) -> torch.Tensor:
        """``L[i, c]``: the loss of sample ``i`` were its label ``c``."""
        return -F.log_softmax(logits, dim=1)

    def loss_at(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``L[i, y_i]`` for hard labels (subclasses may compute it directly)."""
        return self.loss_matrix(logits).gather(1, y[:, None])[:, 0]

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if target.dtype.is_floating_point:
            if target.shape != logits.shape:
                raise UsageError(
                    f"soft targets must have shape {tuple(logits.shape)}. "
                    f"Got {tuple(target.shape)} instead."
                )
            t = target.to(logits.dtype)
            if self.weight is not None:
                t = t * self.weight
            return (t * self.loss_matrix(logits)).sum(1).mean()
        per_sample = self.loss_at(logits, target)
        if self.weight is not None:
            per_sample = per_sample * self.weight[target]
        return per_sample.mean()

    def extra_repr(self) -> str:
        return f"n_classes={self.n_classes}"


class FocalLoss(Loss):
    """Softmax focal loss (Lin 2017): ``-(1 - p_c) ** gamma * log p_c``.

    ``gamma = 0`` is plain CE. No alpha weighting (use a weighted loss for that).
    """

    def __init__(self, n_classes, gamma=2.0):
        super().__init__(n_classes)
        if not gamma >= 0:
            raise UsageError(f"gamma must be >= 0. Got {gamma!r} instead.")
        self.gamma = float(gamma)

    def loss_matrix(self, logits):
        logp = F.log_softmax(logits, dim=1)
        return -((1.0 - logp.exp()).pow(self.gamma) * logp)


class LogitAdjustedLoss(Loss):
    """Logit-adjusted softmax CE (Menon 2021, eq. 10): CE on
    ``logits + tau * log(prior)``; predictions use the unadjusted logits.

    ``tau = 0`` is plain CE.
    """

    log_prior: torch.Tensor  # a buffer

    def __init__(self, n_classes, class_counts, tau=1.0):
        super().__init__(n_classes)
        n = _counts(class_counts)
        self.tau = float(tau)
        self.register_buffer(
            "log_prior", torch.as_tensor(np.log(n / n.sum()), dtype=torch.float32)
        )

    def loss_matrix(self, logits):
        return -F.log_softmax(logits + self.tau * self.log_prior, dim=1)


class LDAMLoss(Loss):
    """LDAM with deferred re-weighting (Cao 2019).

    The logit of the true class is lowered by a margin ``m_c ~ n_c ** -1/4``,
    scaled so the largest is ``max_margin``, before a softmax CE on cosine logits
    of scale ``s`` (the model gets a cosine head: ``head_scale = s``). Deferred
    re-weighting (DRW): equal weights until ``drw_start`` of training, then the
    class-balanced weights of Cui 2019 with ``beta``.
    """

    margin: torch.Tensor  # buffers
    drw_weight: torch.Tensor

    def __init__(
        self,
        n_classes,
        class_counts,
        max_margin=0.5,
        s=30.0,
        beta=0.9999,
        drw_start=0.8,
    ):
        super().__init__(n_classes)
        n = _counts(class_counts)
        m = 1.0 / np.power(n, 0.25)
        # Margins are in cosine units; the head multiplies cosines by s, so the
        # logit margin is s * m.
        m = m * (max_margin / m.max())
        self.head_scale = float(s)
        self.drw_start = float(drw_start)
        self.register_buffer("margin", torch.as_tensor(s * m, dtype=torch.float32))
        self.register_buffer("drw_weight", class_balanced_weights(n, beta))

    def set_progress(self, fraction):
        self.weight = self.drw_weight if fraction >= self.drw_start else None

    def loss_at(self, logits, y):
        # Cao 2019's form: subtract the margin from the target logit only.
        z = (
            logits
            - F.one_hot(y, self.n_classes).to(logits.dtype) * self.margin[y, None]
        )
        return F.cross_entropy(z, y, reduction="none")

    def loss_matrix(self, logits):
        # L[i, c] = CE(logits - margin_c * e_c, c) for every c at once, through a
        # (B, C, C) tensor: exact and stable (a logsumexp per row), and small for
        # the class counts this package handles; only soft targets need it.
        eye = torch.eye(self.n_classes, dtype=logits.dtype, device=logits.device)
        z = logits[:, None, :] - eye * self.margin[:, None]  # z[i, c, k]
        return torch.logsumexp(z, dim=2) - z.diagonal(dim1=1, dim2=2)

    def extra_repr(self):
        return f"n_classes={self.n_classes}, s={self.head_scale}, drw={self.drw_start}"


# -------------------------------------------------------------------- registry
@LOSSES.register("ce")
def _ce(class_counts, *, label_smoothing=0.0):
    """Plain cross-entropy (optionally label-smoothed)."""
    n = _counts(class_counts)
    if label_smoothing:
        return _SmoothedCE(n.size, float(label_smoothing))
    return Loss(n.size)


@LOSSES.register("weighted-ce")
def _weighted_ce(class_counts):
    """CE weighted by inverse class frequency, ``w_c ~ 1 / n_c``."""
    n = _counts(class_counts)
    return Loss(n.size, _normalised(1.0 / n))


@LOSSES.register("class-balanced")
def _class_balanced(class_counts, *, beta=0.9999):
    """Class-balanced softmax CE (Cui 2019), ``beta = 0.9999``."""
    n = _counts(class_counts)
    return Loss(n.size, class_balanced_weights(n, beta))


@LOSSES.register("focal")
def _focal(class_counts, *, gamma=2.0):
    """Focal loss (Lin 2017), ``gamma = 2``."""
    return FocalLoss(_counts(class_counts).size, gamma)


@LOSSES.register("logit-adjusted")
def _logit_adjusted(class_counts, *, tau=1.0):
    """Logit-adjusted loss (Menon 2021), ``tau = 1``."""
    n = _counts(class_counts)
    return LogitAdjustedLoss(n.size, n, tau)


@LOSSES.register("ldam-drw")
def _ldam_drw(class_counts, *, max_margin=0.5, s=30.0, beta=0.9999, drw_start=0.8):
    """LDAM-DRW (Cao 2019): margin ``C / n^(1/4)`` (max 0.5), s = 30, DRW with
    class-balanced weights (beta = 0.9999) from 80 % of training."""
    n = _counts(class_counts)
    return LDAMLoss(n.size, n, max_margin, s, beta, drw_start)


class _SmoothedCE(Loss):
    def __init__(self, n_classes, eps):
        super().__init__(n_classes)
        self.eps = eps

    def forward(self, logits, target):
        if not target.dtype.is_floating_point:
            target = F.one_hot(target, self.n_classes).to(logits.dtype)
        return super().forward(
            logits, target * (1.0 - self.eps) + self.eps / self.n_classes
        )


def list_losses(pattern: str | None = None) -> list[str]:
    """Names of the registered losses, in registration order (optionally only
    those matching the shell-style `pattern`, e.g. ``"*-ce"``).

    Parameters
    ----------
    pattern : str, optional
        Shell-style pattern (``fnmatch``); all names when omitted.
    """
    return LOSSES.names(pattern)


def get_loss(name: str, class_counts, **kw) -> Loss:
    """Build a loss by name for a training set with the given class counts.

    Parameters
    ----------
    name : str
        One of :func:`list_losses`: "ce", "weighted-ce", "class-balanced",
        "focal", "logit-adjusted", "ldam-drw".
    class_counts : sequence of int
        Training examples per class (length = number of classes).
    **kw
        The loss's parameters: ``beta`` (class-balanced, ldam-drw), ``gamma``
        (focal), ``tau`` (logit-adjusted), ``max_margin``, ``s``, ``drw_start``
        (ldam-drw), ``label_smoothing`` (ce). Unknown ones raise
        :class:`UsageError`.

    Returns
    -------
    Loss
        ``loss(logits, target) -> scalar``, with ``set_progress(fraction)`` and
        ``head_scale``.

    References
    ----------
    Cui, Jia, Lin, Song, Belongie (2019). Class-balanced loss based on effective
    number of samples. CVPR.
    Lin, Goyal, Girshick, He, Dollar (2017). Focal loss for dense object
    detection. ICCV.
    Menon, Jayasumana, Rawat, Jain, Veit, Kumar (2021). Long-tail learning via
    logit adjustment. ICLR.
    Cao, Wei, Gaidon, Arechiga, Ma (2019). Learning imbalanced datasets with
    label-distribution-aware margin loss. NeurIPS.
    """
    return LOSSES.build(name, class_counts, **kw)


def mixed_loss(criterion, logits, y, y_b=None, lam=1.0) -> torch.Tensor:
    """``lam * criterion(logits, y) + (1 - lam) * criterion(logits, y_b)``.

    The loss of a mixed batch (mixup, CutMix) as in the papers' reference code;
    with ``y_b=None`` (or ``lam == 1``) just ``criterion(logits, y)``.

    Parameters
    ----------
    criterion : callable
        ``criterion(logits, y) -> loss``.
    logits : Tensor
        The model's outputs on the mixed batch.
    y : Tensor
        Labels of the first images.
    y_b : Tensor, optional
        Labels of the images mixed in.
    lam : float, default=1.0
        Weight of ``y``.
    """
    if y_b is None or lam >= 1.0:
        return criterion(logits, y)
    return lam * criterion(logits, y) + (1.0 - lam) * criterion(logits, y_b)
