"""DeepSMOTE's encoder and decoder (Dablain, Krawczyk and Chawla, 2022).

The DCGAN-style layout of the paper, scaled down: strided convolutions down to
a latent code, transposed convolutions back, with the pixel range mapped to and
from [-1, 1]. Used by :class:`~pixsmote.torch.DeepSMOTE`.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["DeepSMOTEDecoder", "DeepSMOTEEncoder"]


def _n_down(h: int, w: int) -> int:
    """Stride-2 stages: 3 (the paper's 28x28 -> 4x4 scale) down to 1 for tiny
    images, so the smallest feature map keeps at least 2 pixels a side."""
    side = min(h, w)
    return max(1, min(3, int(np.log2(max(side, 2))) - 1))


class _Scaling(nn.Module):
    """Maps data values ``[lo, hi]`` to the networks' ``[-1, 1]`` and back, and
    pads/crops to a multiple of the stride. Saved with the weights (buffers)."""

    # Registered as buffers below; declared so that ``self.lo`` is a Tensor to
    # the type checker rather than ``Module.__getattr__``'s ``Tensor | Module``.
    lo: torch.Tensor
    hi: torch.Tensor

    def __init__(self, shape, lo: float, hi: float):
        super().__init__()
        c, h, w = shape
        self.shape = (int(c), int(h), int(w))
        self.n_down = _n_down(h, w)
        m = 2**self.n_down
        self.padded = (-(-h // m) * m, -(-w // m) * m)
        self.register_buffer("lo", torch.tensor(float(lo), dtype=torch.float32))
        self.register_buffer("hi", torch.tensor(float(hi), dtype=torch.float32))

    def to_unit(self, x):
        span = torch.clamp(self.hi - self.lo, min=1e-12)
        x = (x - self.lo) / span * 2.0 - 1.0
        h, w = self.shape[1:]
        ph, pw = self.padded[0] - h, self.padded[1] - w
        if ph or pw:  # pad with "black" (-1) at the bottom and right
            x = F.pad(x, (0, pw, 0, ph), value=-1.0)
        return x

    def crop(self, x):
        return x[:, :, : self.shape[1], : self.shape[2]]

    def from_unit(self, x):
        return (x + 1.0) * 0.5 * (self.hi - self.lo) + self.lo


class DeepSMOTEEncoder(nn.Module):
    """DCGAN-style encoder: stride-2 4x4 convolutions (LeakyReLU 0.2, batch norm
    from the second on), then a linear layer to the code, as in DeepSMOTE.

    Input ``(B, C, H, W)`` float in data units (e.g. 0..255), output ``(B, d)``.

    Parameters
    ----------
    shape : tuple of int
        Image shape ``(H, W[, C])`` the encoder takes.
    latent_dim : int
        Size of the latent code.
    width : int
        Channels of the first convolution (the network scales with it).
    lo, hi : float
        The pixel range of the inputs, scaled to [-1, 1] before encoding.
    """

    def __init__(self, shape, latent_dim: int, width: int, lo: float, hi: float):
        super().__init__()
        self.scaling = _Scaling(shape, lo, hi)
        c = self.scaling.shape[0]
        layers: list[nn.Module] = []
        c_in = c
        for i in range(self.scaling.n_down):
            c_out = width * 2**i
            layers.append(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False))
            if i > 0:
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            c_in = c_out
        self.conv = nn.Sequential(*layers)
        m = 2**self.scaling.n_down
        ph, pw = self.scaling.padded
        self.fc = nn.Linear(c_in * (ph // m) * (pw // m), latent_dim)

    def forward_unit(self, x_unit):
        return self.fc(self.conv(x_unit).flatten(1))

    def forward(self, x):
        return self.forward_unit(self.scaling.to_unit(x))


class DeepSMOTEDecoder(nn.Module):
    """DCGAN-style decoder: a linear layer (ReLU) to the smallest feature map,
    stride-2 4x4 transposed convolutions (batch norm, ReLU), tanh output.

    Input ``(B, d)``, output ``(B, C, H, W)`` float in data units.

    Parameters
    ----------
    shape : tuple of int
        Image shape ``(H, W[, C])`` the decoder produces.
    latent_dim : int
        Size of the latent code.
    width : int
        Channels of the widest convolution (the network scales with it).
    lo, hi : float
        The pixel range the outputs are scaled to (the input dtype's range).
    """

    def __init__(self, shape, latent_dim: int, width: int, lo: float, hi: float):
        super().__init__()
        self.scaling = _Scaling(shape, lo, hi)
        c, n = self.scaling.shape[0], self.scaling.n_down
        m = 2**n
        ph, pw = self.scaling.padded
        self.start = (width * 2 ** (n - 1), ph // m, pw // m)
        self.fc = nn.Sequential(
            nn.Linear(latent_dim, int(np.prod(self.start))), nn.ReLU(inplace=True)
        )
        layers, c_in = [], self.start[0]
        for i in reversed(range(n)):
            if i == 0:
                layers += [nn.ConvTranspose2d(c_in, c, 4, 2, 1), nn.Tanh()]
                break
            c_out = width * 2 ** (i - 1)
            layers += [
                nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True),
            ]
            c_in = c_out
        self.deconv = nn.Sequential(*layers)

    def forward_unit(self, z):
        x = self.deconv(self.fc(z).view(-1, *self.start))
        return self.scaling.crop(x)

    def forward(self, z):
        return self.scaling.from_unit(self.forward_unit(z))
