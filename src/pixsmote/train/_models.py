"""Image classifiers in plain PyTorch, registered by name in :data:`MODELS`.

Every model takes ``(B, C, H, W)`` float input with ``C`` in {1, 3} and any
``H, W >= 8``, and returns ``(B, n_classes)`` logits. Small inputs work because
each network ends in adaptive average pooling and, below 64 px, uses a
"small-image stem" (a 3x3 stride-1 convolution instead of the ImageNet 7x7
stride-2 convolution and max-pool), so an 8x8 digit is not pooled away before
the first residual stage. The factory signature is
``factory(in_channels, n_classes, image_size, head_scale=None) -> nn.Module``.

Every model splits into a backbone and a head: ``forward_features(x)`` returns
the penultimate features ``(B, d)`` (after global pooling) and ``fc`` is the
head, so that ``forward(x) == fc(forward_features(x))``. Two-stage training
(:func:`~pixsmote.train.retrain_head`) retrains ``fc`` alone on them.

``head_scale`` replaces the final linear layer by a cosine classifier
(:class:`NormedLinear`) whose logits are ``head_scale * cos(w_c, f)``; LDAM
(Cao 2019) is defined on such normalised logits, and the training loop asks for
it when the loss sets ``head_scale``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pixsmote._errors import UsageError
from pixsmote._registry import Registry

__all__ = ["MODELS", "NormedLinear", "get_model", "list_models"]

#: Model name -> factory ``(in_channels, n_classes, image_size, head_scale)``.
MODELS = Registry("model")

# Below this size the ImageNet stem (7x7/2 conv + 3x3/2 max-pool, a 4x
# reduction) would leave too little spatial extent; CIFAR-style networks use a
# 3x3/1 stem for the same reason (He 2016, section 4.2).
_LARGE_IMAGE = 64


class NormedLinear(nn.Module):
    """Cosine classifier: ``scale * normalize(x) @ normalize(W).T``.

    Used with LDAM (Cao 2019), whose margins are defined on cosine logits.
    """

    def __init__(self, in_features: int, out_features: int, scale: float):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        nn.init.kaiming_uniform_(self.weight, a=5**0.5)
        self.scale = float(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * F.linear(F.normalize(x, dim=1), F.normalize(self.weight))


def _head(in_features: int, n_classes: int, head_scale: float | None) -> nn.Module:
    if head_scale is None:
        return nn.Linear(in_features, n_classes)
    return NormedLinear(in_features, n_classes, head_scale)


def _conv_bn(c_in: int, c_out: int, k: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, k, stride, k // 2, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


# --------------------------------------------------------------------- small CNN
class SmallCNN(nn.Module):
    """Two conv-conv-pool blocks (32, 64 channels) and a linear head.

    A fast baseline: about 65k parameters, a few ms per batch of 128 28x28
    images on two CPU cores.
    """

    def __init__(self, in_channels, n_classes, image_size, head_scale=None):
        super().__init__()
        self.features = nn.Sequential(
            _conv_bn(in_channels, 32),
            _conv_bn(32, 32),
            nn.MaxPool2d(2),
            _conv_bn(32, 64),
            _conv_bn(64, 64),
            nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.fc = _head(64, n_classes, head_scale)

    def forward_features(self, x):
        return self.features(x)

    def forward(self, x):
        return self.fc(self.forward_features(x))


# ------------------------------------------------------------------ ResNets
class BasicBlock(nn.Module):
    """The two-3x3-convolution residual block of He 2016 (with projection)."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            # Option B of He 2016 (1x1 projection); option A (zero padding) saves
            # a few parameters but makes the block harder to read.
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x), inplace=True)


class ResNet(nn.Module):
    """Residual network of :class:`BasicBlock` stages (He 2016).

    Parameters
    ----------
    widths : sequence of int
        Channels of each stage; every stage after the first halves the
        resolution.
    depths : sequence of int
        Blocks per stage.
    large_stem : bool
        Use the ImageNet 7x7/2 convolution + max-pool stem instead of a 3x3/1
        convolution.
    """

    def __init__(self, in_channels, n_classes, widths, depths, large_stem, head_scale):
        super().__init__()
        if large_stem:
            self.stem = nn.Sequential(
                _conv_bn(in_channels, widths[0], k=7, stride=2),
                nn.MaxPool2d(3, 2, 1),
            )
        else:
            self.stem = _conv_bn(in_channels, widths[0])
        blocks, c_in = [], widths[0]
        for i, (width, depth) in enumerate(zip(widths, depths, strict=True)):
            for j in range(depth):
                blocks.append(BasicBlock(c_in, width, 2 if (i > 0 and j == 0) else 1))
                c_in = width
        self.layers = nn.Sequential(*blocks)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = _head(c_in, n_classes, head_scale)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward_features(self, x):
        return self.pool(self.layers(self.stem(x)))

    def forward(self, x):
        return self.fc(self.forward_features(x))


# ------------------------------------------------------------------ GoogLeNet
class Inception(nn.Module):
    """Inception module of Szegedy 2015 (with batch norm): four parallel branches
    (1x1; 1x1 -> 3x3; 1x1 -> 5x5; 3x3 max-pool -> 1x1), concatenated."""

    def __init__(self, c_in, c1, c3r, c3, c5r, c5, cp):
        super().__init__()
        self.b1 = _conv_bn(c_in, c1, 1)
        self.b2 = nn.Sequential(_conv_bn(c_in, c3r, 1), _conv_bn(c3r, c3, 3))
        # The 5x5 branch as in the paper; the later "two 3x3" variant is Inception v2.
        self.b3 = nn.Sequential(_conv_bn(c_in, c5r, 1), _conv_bn(c5r, c5, 5))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), _conv_bn(c_in, cp, 1))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


class GoogLeNet(nn.Module):
    """GoogLeNet / Inception v1 (Szegedy 2015), without the auxiliary heads.

    The nine Inception modules and their widths follow Table 1 of the paper.
    Images of 64 px and more get the paper's stem (7x7/2 conv, max-pool, 1x1 and
    3x3 convs, max-pool); smaller ones a 3x3 conv to 192 channels at full
    resolution, the usual CIFAR adaptation. Dropout 0.4 before the classifier as
    in the paper.
    """

    def __init__(self, in_channels, n_classes, image_size, head_scale=None):
        super().__init__()
        if image_size >= _LARGE_IMAGE:
            self.stem = nn.Sequential(
                _conv_bn(in_channels, 64, 7, 2),
                nn.MaxPool2d(3, 2, 1),
                _conv_bn(64, 64, 1),
                _conv_bn(64, 192, 3),
                nn.MaxPool2d(3, 2, 1),
            )
        else:
            self.stem = _conv_bn(in_channels, 192)
        self.a3 = Inception(192, 64, 96, 128, 16, 32, 32)
        self.b3 = Inception(256, 128, 128, 192, 32, 96, 64)
        self.pool3 = nn.MaxPool2d(3, 2, 1)
        self.a4 = Inception(480, 192, 96, 208, 16, 48, 64)
        self.b4 = Inception(512, 160, 112, 224, 24, 64, 64)
        self.c4 = Inception(512, 128, 128, 256, 24, 64, 64)
        self.d4 = Inception(512, 112, 144, 288, 32, 64, 64)
        self.e4 = Inception(528, 256, 160, 320, 32, 128, 128)
        self.pool4 = nn.MaxPool2d(3, 2, 1)
        self.a5 = Inception(832, 256, 160, 320, 32, 128, 128)
        self.b5 = Inception(832, 384, 192, 384, 48, 128, 128)
        self.pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.4)
        )
        self.fc = _head(1024, n_classes, head_scale)

    def forward_features(self, x):
        x = self.b3(self.a3(self.stem(x)))
        x = self.pool3(x)
        x = self.e4(self.d4(self.c4(self.b4(self.a4(x)))))
        x = self.pool4(x)
        x = self.b5(self.a5(x))
        return self.pool(x)

    def forward(self, x):
        return self.fc(self.forward_features(x))


# ------------------------------------------------------------------ registry
@MODELS.register("small-cnn")
def small_cnn(in_channels, n_classes, image_size, head_scale=None):
    """A 4-conv CNN (32-32-64-64 channels): the quick baseline."""
    return SmallCNN(in_channels, n_classes, image_size, head_scale)


@MODELS.register("resnet20")
def resnet20(in_channels, n_classes, image_size, head_scale=None):
    """CIFAR ResNet-20 (He 2016, section 4.2): 3 stages x 3 blocks, 16-32-64."""
    return ResNet(in_channels, n_classes, (16, 32, 64), (3, 3, 3), False, head_scale)


@MODELS.register("resnet32")
def resnet32(in_channels, n_classes, image_size, head_scale=None):
    """CIFAR ResNet-32 (He 2016, section 4.2): 3 stages x 5 blocks, 16-32-64."""
    return ResNet(in_channels, n_classes, (16, 32, 64), (5, 5, 5), False, head_scale)


@MODELS.register("resnet18")
def resnet18(in_channels, n_classes, image_size, head_scale=None):
    """ResNet-18 (He 2016), 64-128-256-512; small-image stem below 64 px."""
    large = image_size >= _LARGE_IMAGE
    widths, depths = (64, 128, 256, 512), (2, 2, 2, 2)
    return ResNet(in_channels, n_classes, widths, depths, large, head_scale)


@MODELS.register("googlenet")
def googlenet(in_channels, n_classes, image_size, head_scale=None):
    """GoogLeNet / Inception v1 (Szegedy 2015); small-image stem below 64 px."""
    return GoogLeNet(in_channels, n_classes, image_size, head_scale)


def list_models(pattern: str | None = None) -> list[str]:
    """Names of the registered models, in registration order (optionally only
    those matching the shell-style `pattern`, e.g. ``"*-ce"``).

    Parameters
    ----------
    pattern : str, optional
        Shell-style pattern (``fnmatch``); all names when omitted.
    """
    return MODELS.names(pattern)


def get_model(
    name: str,
    in_channels: int,
    n_classes: int,
    image_size: int | tuple[int, int],
    *,
    head_scale: float | None = None,
    **kw,
) -> nn.Module:
    """Build a freshly initialised model.

    Parameters
    ----------
    name : str
        One of :func:`list_models`: "small-cnn", "resnet20", "resnet32",
        "resnet18", "googlenet".
    in_channels : {1, 3}
        Image channels.
    n_classes : int
        Number of output logits (>= 2).
    image_size : int or (int, int)
        Input height and width (the smaller side must be >= 8); selects the stem.
    head_scale : float, optional
        If given, the classifier is a cosine :class:`NormedLinear` with this
        scale (for LDAM); otherwise a plain linear layer.
    **kw
        Options of the model's factory (none of the built-in models has any);
        unknown ones raise :class:`UsageError`.

    Returns
    -------
    torch.nn.Module
        Maps ``(B, in_channels, H, W)`` float input to ``(B, n_classes)`` logits.
        Parameters are initialised from torch's global generator: seed it (or
        wrap the call in ``torch.random.fork_rng``) for reproducibility, as
        :func:`~pixsmote.train.fit` does.

    References
    ----------
    He, Zhang, Ren, Sun (2016). Deep residual learning for image recognition. CVPR.
    Szegedy et al. (2015). Going deeper with convolutions. CVPR.
    """
    MODELS.lookup(name)  # unknown names first
    size = min(image_size) if isinstance(image_size, tuple | list) else image_size
    if in_channels not in (1, 3):
        raise UsageError(
            f"in_channels must be 1 or 3. Expected one of [1, 3]. "
            f"Got {in_channels!r} instead."
        )
    if int(n_classes) < 2:
        raise UsageError(f"n_classes must be >= 2. Got {n_classes!r} instead.")
    if int(size) < 8:
        raise UsageError(
            f"image_size must be at least 8 pixels per side. Got {image_size!r} "
            "instead."
        )
    return MODELS.build(
        name, int(in_channels), int(n_classes), int(size), head_scale, **kw
    )
