"""Feature-space augmentation: synthetic penultimate features drawn during training.

A :class:`GaussianFeatureAugmentation` replaces each training image's
penultimate feature ``f`` (label ``y``) by a synthetic one,
``f + eps`` with ``eps ~ N(0, lam * Sigma_y)``, before the classifier head, so
the gradient reaches the backbone through ``f``. ``Sigma_y`` is the covariance
of class ``y``'s features, estimated online from the (detached) training
features of every batch; ``lam`` rises linearly from 0 to ``strength`` over the
run. This is the explicit form of ISDA (Wang et al., NeurIPS 2019; TPAMI 2021),
one draw per image per step: directions in which a class's features vary
stand for changes of the object (pose, shape, texture) that keep its label.

Two registered forms, differing only in whose covariance a class draws from:

==================  ==========================================================
``gaussian``        every class its own covariance (ISDA as published)
``gaussian-pooled`` every class the within-class covariance pooled over all
                    classes, weighted by the features each class contributed:
                    a rare class, whose few real images (and interpolations
                    of them) vary little, gets the variation the large classes
                    show -- the transfer from frequent to rare classes that
                    RSG (Wang et al., CVPR 2021) and feature-transfer
                    long-tail methods build on, in its simplest form
==================  ==========================================================

``none`` leaves the features as they are (the default of
:func:`~pixsmote.train.fit`).
"""

from __future__ import annotations

import torch
from torch import nn

from pixsmote._errors import UsageError
from pixsmote._registry import Registry

__all__ = [
    "FEATURE_AUGMENTATIONS",
    "GaussianFeatureAugmentation",
    "get_feature_augmentation",
    "list_feature_augmentations",
]

#: Feature augmentation name -> factory ``(n_classes, *, seed, **kw)``;
#: ``none`` builds ``None``.
FEATURE_AUGMENTATIONS = Registry("feature augmentation")

_COVARIANCES = ("class", "pooled")


class GaussianFeatureAugmentation(nn.Module):
    """Class-conditional Gaussian noise on penultimate features (explicit ISDA).

    Parameters
    ----------
    n_classes : int
        Number of classes.
    strength : float, default=0.5
        ``lambda_0`` of Wang et al. (2019): the noise covariance is
        ``strength * fraction * Sigma_y`` at training progress ``fraction``
        (the paper's linear ramp; its CIFAR value 0.5).
    covariance : {"class", "pooled"}, default="class"
        ``"class"``: each class draws from its own feature covariance (the
        paper); ``"pooled"``: every class from the within-class covariance
        pooled over the classes.
    seed : int, default=0
        Seeds the draws: one seed gives one sequence of noise.

    Notes
    -----
    The covariance estimate is the paper's online one: per class a running
    mean and covariance over every feature seen so far, merged batch by batch
    with the exact update for two samples' moments. Features of an early,
    untrained backbone stay in it, as in the paper; their weight shrinks as
    ``1 / count``. The noise is drawn through a Cholesky factor of
    ``Sigma + 1e-6 * mean(diag(Sigma)) * I`` (the jitter keeps a class seen in
    fewer images than feature dimensions drawable).

    References
    ----------
    Wang, Y., Pan, X., Song, S., Zhang, H., Wu, C., Huang, G. "Implicit
    Semantic Data Augmentation for Deep Networks." NeurIPS 2019.

    Wang, J., Lukasiewicz, T., Hu, X., Cai, J., Xu, Z. "RSG: A Simple but
    Effective Module for Learning Imbalanced Datasets." CVPR 2021.
    """

    count: torch.Tensor  # buffers
    mean: torch.Tensor
    cov: torch.Tensor

    def __init__(
        self,
        n_classes: int,
        strength: float = 0.5,
        covariance: str = "class",
        seed: int = 0,
    ):
        super().__init__()
        if isinstance(strength, bool) or not isinstance(strength, int | float):
            raise UsageError(
                f"strength must be a number >= 0. Got {strength!r} instead."
            )
        if not strength >= 0:
            raise UsageError(f"strength must be >= 0. Got {strength!r} instead.")
        if covariance not in _COVARIANCES:
            raise UsageError(
                f"covariance must be one of {list(_COVARIANCES)}. "
                f"Got {covariance!r} instead."
            )
        self.n_classes = int(n_classes)
        self.strength = float(strength)
        self.covariance = covariance
        self.seed = int(seed)
        self.fraction = 0.0
        self._generator: torch.Generator | None = None
        # Sized on the first batch: the feature width is the model's.
        self.register_buffer("count", torch.zeros(self.n_classes))
        self.register_buffer("mean", torch.zeros(0))
        self.register_buffer("cov", torch.zeros(0))

    def set_progress(self, fraction: float) -> None:
        """Training progress in ``[0, 1]``; the noise scale follows it."""
        self.fraction = float(fraction)

    @torch.no_grad()
    def update(self, features: torch.Tensor, y: torch.Tensor) -> None:
        """Merge a batch's features (rows, labels `y`) into the estimates."""
        f = features.detach().to(torch.float64)
        if self.mean.numel() == 0:
            d = f.shape[1]
            self.mean = f.new_zeros(self.n_classes, d)
            self.cov = f.new_zeros(self.n_classes, d, d)
        for c in torch.unique(y).tolist():
            fc = f[y == c]
            n_b = fc.shape[0]
            m_b = fc.mean(0)
            centred = fc - m_b
            s_b = centred.T @ centred / n_b
            w = n_b / (self.count[c].item() + n_b)
            delta = self.mean[c] - m_b
            spread = w * (1 - w) * torch.outer(delta, delta)
            self.cov[c] = (1 - w) * self.cov[c] + w * s_b + spread
            self.mean[c] = (1 - w) * self.mean[c] + w * m_b
            self.count[c] += n_b

    def class_covariances(self) -> torch.Tensor:
        """``(n_classes, d, d)``: the covariance each class draws from now."""
        if self.covariance == "class":
            return self.cov
        return self._pooled().expand_as(self.cov)

    def _pooled(self) -> torch.Tensor:
        """``(d, d)``: the within-class covariance pooled over the classes,
        each weighted by the features it contributed."""
        weights = self.count / self.count.sum().clamp(min=1)
        return (weights.to(self.cov)[:, None, None] * self.cov).sum(0)

    def forward(self, features: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Update the estimates with `features`, then return them plus noise.

        Out of training mode, or at zero scale, the features come back as they
        are.
        """
        if not self.training:
            return features
        self.update(features, y)
        scale = self.strength * self.fraction
        if scale == 0.0:
            return features
        if self._generator is None:
            self._generator = torch.Generator(device=features.device)
            self._generator.manual_seed(self.seed)
        # Pooled: one matrix, factored once and shared by every class (the
        # factor is bit for bit the one each class's copy would get).
        cov = self.cov if self.covariance == "class" else self._pooled()[None]
        d = cov.shape[-1]
        jitter = 1e-6 * cov.diagonal(dim1=1, dim2=2).mean(1).clamp(min=1e-12)
        eye = torch.eye(d, dtype=cov.dtype, device=cov.device)
        chol, _ = torch.linalg.cholesky_ex(cov + jitter[:, None, None] * eye)
        chol = chol.expand(self.n_classes, d, d)
        z = torch.randn(
            features.shape, generator=self._generator, device=features.device,
            dtype=torch.float64,
        )  # fmt: skip
        noise = torch.einsum("bij,bj->bi", chol[y], z) * scale**0.5
        return features + noise.to(features.dtype)

    def extra_repr(self) -> str:
        return (
            f"n_classes={self.n_classes}, strength={self.strength}, "
            f"covariance={self.covariance!r}"
        )


@FEATURE_AUGMENTATIONS.register("none")
def _none(n_classes, *, seed=0):
    """No feature augmentation."""
    return None


@FEATURE_AUGMENTATIONS.register("gaussian")
def _gaussian(n_classes, *, seed=0, strength=0.5):
    """Explicit ISDA (Wang 2019): class-conditional Gaussian feature noise,
    each class its own covariance, strength 0.5 ramped over the run."""
    return GaussianFeatureAugmentation(n_classes, strength, "class", seed)


@FEATURE_AUGMENTATIONS.register("gaussian-pooled")
def _gaussian_pooled(n_classes, *, seed=0, strength=0.5):
    """Explicit ISDA with the within-class covariance pooled over the
    classes: rare classes get the large classes' variation."""
    return GaussianFeatureAugmentation(n_classes, strength, "pooled", seed)


def list_feature_augmentations(pattern: str | None = None) -> list[str]:
    """Names of the registered feature augmentations, in registration order.

    Parameters
    ----------
    pattern : str, optional
        Shell-style pattern (``fnmatch``); all names when omitted.
    """
    return FEATURE_AUGMENTATIONS.names(pattern)


def get_feature_augmentation(
    name: str, n_classes: int, *, seed: int = 0, **kw
) -> GaussianFeatureAugmentation | None:
    """Build a feature augmentation by name (``None`` for ``"none"``).

    Parameters
    ----------
    name : str
        One of :func:`list_feature_augmentations`.
    n_classes : int
        Number of classes.
    seed : int
        Seeds the draws.
    **kw
        Options of the factory (``strength``). Unknown options raise
        :class:`UsageError`.
    """
    return FEATURE_AUGMENTATIONS.build(name, n_classes, seed=seed, **kw)
