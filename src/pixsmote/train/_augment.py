"""Batched training-time augmentations, registered by name in :data:`AUGMENTATIONS`.

An augmentation is called on a float batch ``x`` of shape ``(B, C, H, W)`` with
values in [0, 1] (on the training device) and int64 labels ``y`` of shape
``(B,)``, and returns a :class:`Batch` ``(x, y, y_b, lam)``:

* single-image augmentations and SamplePairing return ``y_b=None, lam=1.0``: the
  targets are the hard labels ``y``;
* mixup, Remix and CutMix return the partner labels ``y_b`` and the mixing
  weight ``lam``; the loss is ``lam * loss(logits, y) + (1 - lam) *
  loss(logits, y_b)`` (:func:`~pixsmote.train.mixed_loss`). Mixing the two
  hard-label losses, rather than building soft targets, is what the reference
  implementations of mixup and CutMix do, and it works unchanged with every
  loss, including the re-weighted and margin losses whose soft-label form is
  not standard.

Randomness comes from the augmentation's own generators, seeded at construction
(``seed``): the same seed and the same input give the same output, and the
global RNG state is left as it was.
"""

from __future__ import annotations

import inspect
from typing import NamedTuple

import kornia.augmentation as K
import numpy as np
import torch
from torch import nn

from pixsmote._errors import UsageError
from pixsmote._registry import Registry

__all__ = [
    "AUGMENTATIONS",
    "Augmentation",
    "Batch",
    "Remix",
    "get_augmentation",
    "list_augmentations",
]

#: Augmentation name -> factory ``(image_size, channels, *, seed=0, **kw)``.
AUGMENTATIONS = Registry("augmentation")


class Batch(NamedTuple):
    """An augmented training batch.

    Attributes
    ----------
    x : torch.Tensor
        Images ``(B, C, H, W)``, float in [0, 1].
    y : torch.Tensor
        Labels ``(B,)`` int64 of the first (or only) image.
    y_b : torch.Tensor or None
        Labels of the mixed-in images (mixup, CutMix), else ``None``.
    lam : float
        Weight of ``y`` in the loss (1.0 when ``y_b`` is ``None``).
    """

    x: torch.Tensor
    y: torch.Tensor
    y_b: torch.Tensor | None = None
    lam: float = 1.0


class Augmentation:
    """Base class: identity transform with seeded generators.

    Parameters
    ----------
    seed : int
        Seeds this augmentation's torch (CPU) and numpy generators.
    """

    name = "none"
    #: Whether its batches may carry a second label (``y_b``): the mixing
    #: augmentations, whose images belong to two classes at once.
    mixes_labels = False

    def __init__(self, *, seed: int = 0):
        self.seed = int(seed)
        self.generator = torch.Generator().manual_seed(self.seed)
        self.rng = np.random.default_rng(self.seed)
        self._device_generators: dict[torch.device, torch.Generator] = {}

    def set_progress(self, epoch: int, fraction: float) -> None:
        """Tell the augmentation where training is (epoch index, fraction done in
        [0, 1)). The loop calls it before every step; most augmentations ignore
        it."""

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> Batch:
        return Batch(x, y)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed})"

    # Helpers -----------------------------------------------------------------
    def _seed(self) -> int:
        return int(torch.randint(0, 2**62, (1,), generator=self.generator))

    def _perm(self, n: int, device: torch.device) -> torch.Tensor:
        return torch.randperm(n, generator=self.generator).to(device)

    def _kornia(self, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Run a kornia module reproducibly without touching global RNG state.

        kornia draws its parameters from torch's global generators, so we fork
        them, seed them from our own generator, and restore them afterwards
        (about 20 us per call on CPU: negligible against the ops themselves).
        """
        seed = self._seed()
        devices = [x.device.index or 0] if x.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.random.default_generator.manual_seed(seed)
            if devices:
                torch.cuda.manual_seed(seed)
            return module(x)


# ----------------------------------------------------------------------- basic
class BasicAugmentation(Augmentation):
    """The classic single-image augmentations, batched, sized to the image.

    Applied in this order, each with its own probability, all but padding+crop
    from :mod:`kornia.augmentation`:

    ========================  ============================  ======================
    switch                    op                            size (side ``S``)
    ========================  ============================  ======================
    ``resized_crop``          RandomResizedCrop, p=0.5      area 0.85-1, aspect
                                                            0.9-1.1 if S < 16;
                                                            area 0.7-1, aspect
                                                            0.8-1.25 otherwise
    ``pad_crop``              pad + RandomCrop              ``padding`` =
                                                            max(1, S // 8): 1 px
                                                            at 8, 3 at 28, 4 at 32
    ``hflip``                 RandomHorizontalFlip          p=0.5
    ``rotation``              RandomRotation, p=0.5         +-``degrees`` (10)
    ``color``                 ColorJitter, p=0.5            brightness, contrast
                                                            0.2; saturation 0.2
                                                            and hue 0.05 for RGB
    ``noise``                 RandomGaussianNoise, p=0.5    std ``noise_std``
                                                            (0.03)
    ``erasing``               RandomErasing, p=0.25         2-15 % of the area
    ========================  ============================  ======================

    Parameters
    ----------
    image_size : int or (int, int)
        Height and width of the images.
    channels : {1, 3}
        Saturation and hue jitter need colour, so they only apply for 3.
    hflip : bool, optional
        Horizontal flips. ``None`` (default) means on for 3-channel images and
        off for 1-channel ones: grey-scale datasets here are mostly digits and
        characters, for which a mirror image is another (or no) symbol.
        Pass ``hflip=True`` for grey-scale images whose mirror image is the
        same class. Fashion-MNIST is not one: its shoes all point one way, and
        flips lowered every recipe of the study by 0.4-0.7 ACSA points.
    resized_crop, pad_crop, rotation, color, noise, erasing : bool
        Switch each op on (default) or off.
    padding : int, optional
        Padding for ``pad_crop`` (default max(1, S // 8)).
    degrees : float
        Maximum rotation.
    noise_std : float
        Standard deviation of the Gaussian noise.
    seed : int
        Seed of the augmentation's generators.
    """

    name = "basic"

    def __init__(
        self,
        image_size,
        channels: int,
        *,
        hflip: bool | None = None,
        resized_crop: bool = True,
        pad_crop: bool = True,
        rotation: bool = True,
        color: bool = True,
        noise: bool = True,
        erasing: bool = True,
        padding: int | None = None,
        degrees: float = 10.0,
        noise_std: float = 0.03,
        seed: int = 0,
    ):
        super().__init__(seed=seed)
        h, w = _size_pair(image_size)
        side = min(h, w)
        small = side < 16
        if hflip is None:
            hflip = channels == 3
        if padding is None:
            padding = max(1, side // 8)
        ops: list[nn.Module] = []
        if resized_crop:
            scale, ratio = (
                ((0.85, 1.0), (0.9, 1.1)) if small else ((0.7, 1.0), (0.8, 1.25))
            )
            ops.append(K.RandomResizedCrop((h, w), scale=scale, ratio=ratio, p=0.5))
        if pad_crop:
            ops.append(K.RandomCrop((h, w), padding=int(padding)))
        if hflip:
            ops.append(K.RandomHorizontalFlip())
        if rotation:
            ops.append(K.RandomRotation(float(degrees), p=0.5))
        if color:
            rgb = channels == 3
            ops.append(
                K.ColorJitter(
                    0.2, 0.2, 0.2 if rgb else 0.0, 0.05 if rgb else 0.0, p=0.5
                )
            )
        if noise:
            ops.append(K.RandomGaussianNoise(std=float(noise_std), p=0.5))
        if erasing:
            ops.append(K.RandomErasing(scale=(0.02, 0.15), p=0.25))
        self.ops = nn.Sequential(*ops)
        self.config = dict(
            hflip=bool(hflip),
            resized_crop=resized_crop,
            pad_crop=pad_crop,
            rotation=rotation,
            color=color,
            noise=noise,
            erasing=erasing,
            padding=int(padding),
            degrees=float(degrees),
            noise_std=float(noise_std),
        )

    def __call__(self, x, y):
        if len(self.ops) == 0:
            return Batch(x, y)
        # kornia's noise and jitter can leave [0, 1]; clamp once at the end.
        return Batch(self._kornia(self.ops, x).clamp_(0.0, 1.0), y)

    def __repr__(self):
        return f"BasicAugmentation({self.config}, seed={self.seed})"


# --------------------------------------------------------------------- mixers
class _Mixer(Augmentation):
    """Shared part of the two-image augmentations: a base single-image
    augmentation applied first (``base``, default "basic", as in the papers'
    CIFAR recipes), then the pairing."""

    def __init__(self, image_size, channels, *, base="basic", seed=0, **base_kw):
        super().__init__(seed=seed)
        if base not in ("none", "basic"):
            raise UsageError(
                f"base must be a single-image augmentation. Expected one of "
                f"['basic', 'none']. Got {base!r} instead."
            )
        self.base = get_augmentation(
            base, image_size, channels, seed=seed + 1, **base_kw
        )

    def set_progress(self, epoch, fraction):
        self.base.set_progress(epoch, fraction)


class SamplePairing(_Mixer):
    """SamplePairing (Inoue 2018): average each image with another random
    training image and keep the first image's label.

    The partner is drawn from the same (already base-augmented) batch by a random
    permutation, which draws a random training image as in the paper without a
    second pass over the data. The paper's schedule is kept, expressed as
    fractions of the run so that it scales with the run's length: off for the
    first ``start`` of training; then cycles of ``on`` on and ``off`` off
    (default 0.08 / 0.02 of the run, the paper's 8-epochs-on / 2-off ratio);
    off again from ``end`` on, the paper's final fine-tuning without pairing.

    Parameters
    ----------
    image_size, channels : see :class:`BasicAugmentation`.
    start, end : float
        Fractions of training where pairing may begin and must end.
    on, off : float
        Lengths of the on and off phases, as fractions of training.
    base : {"basic", "none"}
        Single-image augmentation applied before pairing.
    seed : int
        Seed of the generators.
    **base_kw
        Passed to the base augmentation.

    References
    ----------
    Inoue (2018). Data augmentation by pairing samples for images classification.
    arXiv:1801.02929.
    """

    name = "samplepairing"

    def __init__(
        self,
        image_size,
        channels,
        *,
        start=0.1,
        end=0.9,
        on=0.08,
        off=0.02,
        base="basic",
        seed=0,
        **base_kw,
    ):
        super().__init__(image_size, channels, base=base, seed=seed, **base_kw)
        if not 0.0 <= start <= end <= 1.0 or on <= 0 or off < 0:
            raise UsageError(
                "SamplePairing schedule must satisfy 0 <= start <= end <= 1, on > 0, "
                f"off >= 0. Got start={start!r}, end={end!r}, on={on!r}, "
                f"off={off!r} instead."
            )
        self.start, self.end, self.on, self.off = start, end, on, off
        self.active = False

    def is_active(self, fraction: float) -> bool:
        """Whether pairing is on at this point of training (a pure function)."""
        if not self.start <= fraction < self.end:
            return False
        # A small epsilon so that a phase boundary computed in floating point
        # (e.g. 0.1 + 0.08) lands in the phase it starts.
        return (fraction - self.start + 1e-9) % (self.on + self.off) < self.on

    def set_progress(self, epoch, fraction):
        super().set_progress(epoch, fraction)
        self.active = self.is_active(fraction)

    def __call__(self, x, y):
        x, y = self.base(x, y)[:2]
        if not self.active:
            return Batch(x, y)
        perm = self._perm(x.shape[0], x.device)
        return Batch(x.add(x[perm]).mul_(0.5), y)


class MixUp(_Mixer):
    """mixup (Zhang 2018): ``x = lam * x_i + (1 - lam) * x_j``, with one
    ``lam ~ Beta(alpha, alpha)`` per batch and ``j`` a random permutation of the
    batch, as in the paper's reference code.

    Parameters
    ----------
    image_size : (int, int)
        ``(height, width)`` of the batches.
    channels : int
        Channels of the batches.
    alpha : float
        Beta concentration (1.0, the paper's CIFAR setting).
    p : float
        Probability of mixing a batch (1.0).
    base, seed, **base_kw : see :class:`SamplePairing`.

    Notes
    -----
    Not :class:`kornia.augmentation.RandomMixUpV2`: it draws one ``lam`` per
    sample from the global RNG and returns labels as a ``(B, 3)`` table; one
    ``lam`` per batch keeps the loss a plain weighted sum of two batch losses.

    References
    ----------
    Zhang, Cisse, Dauphin, Lopez-Paz (2018). mixup: Beyond empirical risk
    minimization. ICLR.
    """

    name = "mixup"
    mixes_labels = True

    def __init__(
        self, image_size, channels, *, alpha=1.0, p=1.0, base="basic", seed=0, **base_kw
    ):
        super().__init__(image_size, channels, base=base, seed=seed, **base_kw)
        _check_alpha_p(alpha, p)
        self.alpha, self.p = float(alpha), float(p)

    def __call__(self, x, y):
        x, y = self.base(x, y)[:2]
        if self.rng.random() >= self.p:
            return Batch(x, y)
        lam = float(self.rng.beta(self.alpha, self.alpha))
        perm = self._perm(x.shape[0], x.device)
        return Batch(x.mul(lam).add_(x[perm], alpha=1.0 - lam), y, y[perm], lam)


class Remix(MixUp):
    """Remix (Chou 2020): mixup whose label favours the minority class.

    Images are mixed exactly as by :class:`MixUp` (``x = lam * x_i + (1 - lam)
    * x_j``, one ``lam ~ Beta(alpha, alpha)`` per batch, ``j`` a random
    permutation). The label weight of ``y_i`` is ``lam_y`` per pair:

    * ``0`` if ``n_i / n_j >= kappa`` and ``lam < tau`` (``i`` is the majority
      class and contributes little: the label is the minority ``y_j``);
    * ``1`` if ``n_i / n_j <= 1 / kappa`` and ``1 - lam < tau`` (the label is
      the minority ``y_i``);
    * ``lam`` otherwise (mixup's label).

    The returned :class:`Batch` keeps mixup's form, so every loss takes it
    unchanged: a pair whose label goes to ``y_j`` gets ``y = y_j`` (both
    labels), one whose label goes to ``y_i`` gets ``y_b = y_i``, so that
    ``lam * loss(y) + (1 - lam) * loss(y_b)`` is that pair's one-label loss.
    With the per-sample mean losses of :mod:`pixsmote.train` this is exactly
    the soft-label loss of the paper.

    Parameters
    ----------
    class_counts : sequence of int
        Training images per class (``n_c``), of the imbalanced training set.
    kappa : float
        Imbalance ratio from which the minority label wins (3, the paper's).
    tau : float
        Largest share of the majority image for which the minority label wins
        (0.5, the paper's).
    alpha, p, base, seed, **base_kw : see :class:`MixUp`.
    image_size : (int, int)
        Height and width of the batches.
    channels : int
        Channels of the batches.

    References
    ----------
    Chou, Chang, Pan, Wei, Juan (2020). Remix: Rebalanced mixup. ECCV 2020
    Workshops.
    """

    name = "remix"

    def __init__(
        self,
        image_size,
        channels,
        *,
        class_counts,
        kappa=3.0,
        tau=0.5,
        alpha=1.0,
        p=1.0,
        base="basic",
        seed=0,
        **base_kw,
    ):
        super().__init__(
            image_size, channels, alpha=alpha, p=p, base=base, seed=seed, **base_kw
        )
        counts = np.asarray(class_counts, dtype=np.float64)
        if counts.ndim != 1 or counts.size < 2 or not np.all(counts >= 0):
            raise UsageError(
                "class_counts must be a 1-D sequence of at least 2 non-negative "
                f"counts. Got {class_counts!r} instead."
            )
        if not kappa >= 1.0:
            raise UsageError(f"kappa must be >= 1. Got {kappa!r} instead.")
        if not 0.0 <= tau <= 1.0:
            raise UsageError(f"tau must be in [0, 1]. Got {tau!r} instead.")
        # A class absent from training counts as one image: finite ratios.
        self.class_counts = torch.as_tensor(np.maximum(counts, 1.0))
        self.kappa, self.tau = float(kappa), float(tau)

    def label_weight(self, y, y_b, lam: float) -> torch.Tensor:
        """``lam_y`` of each pair: the weight of ``y`` in the mixed label."""
        counts = self.class_counts.to(y.device)
        ratio = counts[y] / counts[y_b]
        lam_y = torch.full(y.shape, float(lam), dtype=torch.float64, device=y.device)
        lam_y[(ratio >= self.kappa) & (lam < self.tau)] = 0.0
        lam_y[(ratio <= 1.0 / self.kappa) & (1.0 - lam < self.tau)] = 1.0
        return lam_y

    def __call__(self, x, y):
        x, y = self.base(x, y)[:2]
        if self.rng.random() >= self.p:
            return Batch(x, y)
        lam = float(self.rng.beta(self.alpha, self.alpha))
        perm = self._perm(x.shape[0], x.device)
        y_b = y[perm]
        lam_y = self.label_weight(y, y_b, lam)
        y_a = torch.where(lam_y == 0.0, y_b, y)
        y_b = torch.where(lam_y == 1.0, y, y_b)
        return Batch(x.mul(lam).add_(x[perm], alpha=1.0 - lam), y_a, y_b, lam)


class CutMix(_Mixer):
    """CutMix (Yun 2019): paste a random box of another image of the batch; the
    label weight ``lam`` is the exact fraction of the image left uncovered.

    The box follows the paper's reference code: ``lam0 ~ Beta(alpha, alpha)``,
    side ratio ``sqrt(1 - lam0)``, centre uniform, box clipped to the image,
    ``lam`` recomputed from the clipped area.

    Parameters
    ----------
    image_size : (int, int)
        ``(height, width)`` of the batches.
    channels : int
        Channels of the batches.
    alpha : float
        Beta concentration (1.0, as in the paper).
    p : float
        Probability of applying CutMix to a batch (0.5, the paper's CIFAR
        ``cutmix_prob``).
    base, seed, **base_kw : see :class:`SamplePairing`.

    Notes
    -----
    Not :class:`kornia.augmentation.RandomCutMixV2`: in kornia 0.9.0 its default
    ``lam`` is not the area fraction (it warns so itself: "uses the old
    (inconsistent) lambda computation"), it uses the global RNG and per-sample
    boxes, and it took 5.3 ms per 128x3x32x32 batch on 2 CPU cores against
    well under 1 ms for the slice assignment here.

    References
    ----------
    Yun, Han, Oh, Chun, Choe, Yoo (2019). CutMix: Regularization strategy to
    train strong classifiers with localizable features. ICCV.
    """

    name = "cutmix"
    mixes_labels = True

    def __init__(
        self, image_size, channels, *, alpha=1.0, p=0.5, base="basic", seed=0, **base_kw
    ):
        super().__init__(image_size, channels, base=base, seed=seed, **base_kw)
        _check_alpha_p(alpha, p)
        self.alpha, self.p = float(alpha), float(p)

    def box(self, h: int, w: int, lam: float) -> tuple[int, int, int, int]:
        """A box ``(y0, y1, x0, x1)`` covering about ``1 - lam`` of the image."""
        cut = np.sqrt(1.0 - lam)
        ch, cw = int(h * cut), int(w * cut)
        cy, cx = int(self.rng.integers(h)), int(self.rng.integers(w))
        y0, y1 = np.clip(cy - ch // 2, 0, h), np.clip(cy + ch // 2, 0, h)
        x0, x1 = np.clip(cx - cw // 2, 0, w), np.clip(cx + cw // 2, 0, w)
        return int(y0), int(y1), int(x0), int(x1)

    def __call__(self, x, y):
        x, y = self.base(x, y)[:2]
        if self.rng.random() >= self.p:
            return Batch(x, y)
        h, w = x.shape[-2:]
        y0, y1, x0, x1 = self.box(h, w, float(self.rng.beta(self.alpha, self.alpha)))
        perm = self._perm(x.shape[0], x.device)
        x = x.clone()
        x[:, :, y0:y1, x0:x1] = x[perm, :, y0:y1, x0:x1]
        lam = 1.0 - (y1 - y0) * (x1 - x0) / (h * w)
        return Batch(x, y, y[perm], lam)


def _check_alpha_p(alpha, p):
    if not alpha > 0:
        raise UsageError(f"alpha must be > 0. Got {alpha!r} instead.")
    if not 0.0 <= p <= 1.0:
        raise UsageError(f"p must be in [0, 1]. Got {p!r} instead.")


def _size_pair(image_size) -> tuple[int, int]:
    if isinstance(image_size, tuple | list):
        h, w = (int(s) for s in image_size)
    else:
        h = w = int(image_size)
    return h, w


# -------------------------------------------------------------------- registry
@AUGMENTATIONS.register("none")
def _none(image_size, channels, *, seed=0):
    """No augmentation."""
    return Augmentation(seed=seed)


AUGMENTATIONS.register("basic")(BasicAugmentation)


@AUGMENTATIONS.register("basic-hflip")
def _basic_hflip(image_size, channels, *, seed=0, **kw):
    """``basic`` with horizontal flips whatever the channels: for grey-scale
    images whose mirror image is the same class (``basic`` leaves flips off for
    grey-scale images, which here are mostly digits and characters). A name of
    its own so that a recipe string (``ros:aug=basic-hflip``), ``--aug`` and
    the stage-1 cache key can ask for it. Measured on Fashion-MNIST (3 seeds,
    3000 steps): flips lowered ros, crt and SVM-SMOTE's share by 0.4-0.7 ACSA
    points, its shoes all pointing one way."""
    if "hflip" in kw:
        raise UsageError(
            "basic-hflip always flips; pass hflip to 'basic' instead. "
            f"Got hflip={kw['hflip']!r} instead."
        )
    return BasicAugmentation(image_size, channels, hflip=True, seed=seed, **kw)


AUGMENTATIONS.register("samplepairing")(SamplePairing)
AUGMENTATIONS.register("mixup")(MixUp)
AUGMENTATIONS.register("remix")(Remix)
AUGMENTATIONS.register("cutmix")(CutMix)


def list_augmentations(pattern: str | None = None) -> list[str]:
    """Names of the registered augmentations, in registration order (optionally only
    those matching the shell-style `pattern`, e.g. ``"*-ce"``).

    Parameters
    ----------
    pattern : str, optional
        Shell-style pattern (``fnmatch``); all names when omitted.
    """
    return AUGMENTATIONS.names(pattern)


def get_augmentation(
    name: str, image_size, channels: int, *, class_counts=None, **kw
) -> Augmentation:
    """Build an augmentation by name.

    Parameters
    ----------
    name : str
        One of :func:`list_augmentations`: "none", "basic", "basic-hflip",
        "samplepairing", "mixup", "remix", "cutmix".
    image_size : int or (int, int)
        Image height and width; the basic ops are sized to it.
    channels : {1, 3}
        Image channels.
    class_counts : sequence of int, optional
        Training images per class, passed to the augmentations that take it
        (:class:`Remix`, which requires it) and ignored by the others, so a
        training loop can pass it for whichever augmentation it builds.
    **kw
        ``seed`` (default 0) and the options of the augmentation's class
        (:class:`BasicAugmentation`, :class:`SamplePairing`, :class:`MixUp`,
        :class:`Remix`, :class:`CutMix`). Unknown options raise
        :class:`UsageError`.

    Returns
    -------
    Augmentation
        Callable ``aug(x, y) -> Batch`` with ``set_progress(epoch, fraction)``.
    """
    AUGMENTATIONS.lookup(name)  # unknown names first
    if channels not in (1, 3):
        raise UsageError(
            f"channels must be 1 or 3. Expected one of [1, 3]. Got {channels!r} "
            "instead."
        )
    if class_counts is not None and "class_counts" in inspect.signature(
        AUGMENTATIONS[name]
    ).parameters:
        kw["class_counts"] = class_counts
    return AUGMENTATIONS.build(name, image_size, channels, **kw)
