"""Decoding, converting and encoding single images with Pillow.

Every function here names the file it was reading when something goes wrong,
and turns Pillow's many exception types into :class:`~pixsmote.DataError`.
Pillow's decompression-bomb guard (``Image.MAX_IMAGE_PIXELS``) is left as it
is: an image above twice that limit is refused like any unreadable file.

How each Pillow mode becomes 8-bit L or RGB pixels (the only modes written):

* ``L``, ``RGB``: as they are; ``1`` (bilevel): 0 and 255;
* ``P`` (palette): the palette's colours; ``LA``, ``RGBA``, ``PA``, ...: the
  alpha channel is dropped (colours are not premultiplied);
* ``I;16``, ``I;16L``, ``I;16B``, ``I;16N`` (16-bit grey): ``round(v / 257)``,
  so 0..65535 maps onto 0..255 exactly at both ends;
* ``CMYK``, ``YCbCr``, ``LAB``, ``HSV``: Pillow's conversion to RGB;
* ``I`` (32-bit integer) and ``F`` (32-bit float) are refused, naming the file
  and the mode: their values have no fixed range (a float image may hold
  0..1, 0..255 or physical units), so any scaling would be a guess. Convert
  them to 8- or 16-bit images first.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from pixsmote._errors import DataError, UsageError

__all__ = [
    "IMAGE_EXTENSIONS",
    "FITS",
    "MODES",
    "parse_size",
    "check_image_size",
    "mode_family",
    "probe_image",
    "decode_image",
    "convert_image",
    "encode_png",
    "common_mode",
]

#: File name suffixes read as images (lower case), as ImageFolder would.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")

#: How an image of another size is brought to ``size``.
FITS = ("resize", "crop", "pad")

#: The modes images are converted to.
MODES = ("L", "RGB")

# Pillow modes whose pixels are one grey channel; everything else (RGB, RGBA,
# P, CMYK, YCbCr, ...) is treated as colour.
_GREY_MODES = frozenset({"1", "L", "LA", "La", "I;16", "I;16L", "I;16B", "I;16N"})
_SIXTEEN_BIT = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
# Modes without a fixed value range: refused rather than scaled by a guess.
_REFUSED_MODES = {"I": "32-bit integer", "F": "32-bit floating point"}


def _refuse_mode(path, mode: str) -> DataError:
    return DataError(
        f"Cannot read image {os.fspath(path)}: mode {mode!r} "
        f"({_REFUSED_MODES[mode]}) has no fixed value range to scale to 8 bits. "
        "Convert it to an 8-bit (L, RGB) or 16-bit (I;16) image first, e.g. "
        "with numpy: np.clip(a, lo, hi) scaled to 0..255 as uint8. "
        f"Got mode {mode!r} instead."
    )


def parse_size(text: str | tuple[int, int] | None) -> tuple[int, int] | None:
    """Parse ``"HxW"`` (e.g. ``"28x28"``) into ``(height, width)``.

    Parameters
    ----------
    text : str, tuple of int or None
        ``"HxW"`` with positive integers, an ``(H, W)`` pair, or None.

    Returns
    -------
    tuple of int or None
        ``(height, width)``, or None when `text` is None.
    """
    if text is None:
        return None
    if isinstance(text, tuple | list) and len(text) == 2:
        h, w = (int(v) for v in text)
    else:
        match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", str(text))
        if match is None:
            raise UsageError(
                "size must be HxW with positive integers, e.g. 28x28. "
                f"Got {text!r} instead."
            )
        h, w = int(match[1]), int(match[2])
    if h <= 0 or w <= 0:
        raise UsageError(
            f"size must be HxW with positive integers, e.g. 28x28. Got {text!r} "
            "instead."
        )
    return h, w


def check_image_size(size: tuple[int, int] | None, mode: str | None = None) -> None:
    """Refuse a ``--size`` no image may be decoded to, before any decoding.

    The limit is Pillow's decompression-bomb guard (``Image.MAX_IMAGE_PIXELS``
    pixels an image): one image above it would take gigabytes of memory.
    """
    if size is None or not Image.MAX_IMAGE_PIXELS:
        return
    h, w = size
    if h * w > Image.MAX_IMAGE_PIXELS:
        channels = 1 if mode == "L" else 3
        gib = h * w * channels / 2**30
        raise UsageError(
            f"--size {h}x{w} makes every image {h * w / 1e6:.0f} megapixels, "
            f"{gib:.1f} GiB of memory decoded, above the limit of "
            f"{Image.MAX_IMAGE_PIXELS} pixels an image. Choose a smaller --size. "
            f"Got {h}x{w} instead."
        )


def mode_family(mode: str) -> str:
    """Map a Pillow mode to the mode it is converted to by default: L or RGB."""
    return "L" if mode in _GREY_MODES else "RGB"


def common_mode(modes: Counter) -> str:
    """The most common mode family in `modes` (``{pillow_mode: count}``).

    A tie goes to RGB, so that no colour is thrown away by default.
    """
    families: Counter[str] = Counter()
    for mode, n in modes.items():
        families[mode_family(mode)] += n
    if not families:
        return "L"
    return "RGB" if families["RGB"] >= families["L"] else "L"


def _unreadable(path: os.PathLike | str, exc: BaseException) -> DataError:
    reason = str(exc) or type(exc).__name__
    return DataError(f"Cannot read image {os.fspath(path)}: {reason}")


def probe_image(path: os.PathLike | str, verify: bool = False) -> tuple[str, int, int]:
    """Read an image's header: its Pillow mode and ``(height, width)``.

    Parameters
    ----------
    path : path-like
        The image file.
    verify : bool, default=False
        Decode the pixels too, so that a truncated or corrupt file is found now
        rather than when it is first read.

    Returns
    -------
    mode : str
    height, width : int

    Raises
    ------
    DataError
        When the file is missing, not an image, corrupt or a decompression bomb.
    """
    try:
        with Image.open(path) as im:
            mode, (w, h) = im.mode, im.size
            if verify:
                im.load()
    except MemoryError:
        raise
    except Exception as exc:  # Pillow raises many types for a bad file
        raise _unreadable(path, exc) from None
    if mode in _REFUSED_MODES:
        raise _refuse_mode(path, mode)
    return mode, h, w


def convert_image(
    im: Image.Image, mode: str, size: tuple[int, int] | None = None, fit: str = "resize"
) -> np.ndarray:
    """Convert a Pillow image to `mode` and `size` and return its uint8 pixels.

    Parameters
    ----------
    im : PIL.Image.Image
        A loaded image.
    mode : {"L", "RGB"}
        The mode of the result: ``(H, W)`` for L, ``(H, W, 3)`` for RGB.
    size : (int, int) or None
        ``(height, width)`` of the result; None keeps the image's size.
    fit : {"resize", "crop", "pad"}
        ``resize`` stretches to `size`; ``crop`` scales to cover `size` and
        crops the centre; ``pad`` scales to fit inside `size` and pads with
        black.

    Returns
    -------
    numpy.ndarray of uint8
    """
    if im.mode in _REFUSED_MODES:
        raise _refuse_mode(getattr(im, "filename", "") or "<image>", im.mode)
    if im.mode in _SIXTEEN_BIT:
        # 16-bit grey (e.g. 16-bit PNG): scale 0..65535 to 0..255, do not clip.
        grey = np.asarray(im, dtype=np.float64) / 257.0
        im = Image.fromarray(np.clip(np.rint(grey), 0, 255).astype(np.uint8), "L")
    if im.mode != mode:
        im = im.convert(mode)
    if size is not None and (im.height, im.width) != tuple(size):
        wh = (size[1], size[0])
        if fit == "resize":
            im = im.resize(wh, Image.Resampling.BICUBIC)
        elif fit == "crop":
            im = ImageOps.fit(im, wh, Image.Resampling.BICUBIC)
        elif fit == "pad":
            im = ImageOps.pad(im, wh, Image.Resampling.BICUBIC, color=0)
        else:
            raise UsageError(f"fit must be one of {FITS}. Got {fit!r} instead.")
    return np.asarray(im, dtype=np.uint8)


def decode_image(
    path: os.PathLike | str,
    mode: str,
    size: tuple[int, int] | None = None,
    fit: str = "resize",
) -> np.ndarray:
    """Decode one image file into uint8 pixels of `mode` and `size`.

    See :func:`convert_image` for the parameters. Raises
    :class:`~pixsmote.DataError` naming `path` when the file cannot be decoded.

    Parameters
    ----------
    path : path-like
        The image file.
    mode : {"L", "RGB"}
        Mode to convert to.
    size : (int, int), optional
        ``(height, width)`` to bring the image to.
    fit : {"resize", "crop", "pad"}, default="resize"
        How an image of another size is brought to ``size``.
    """
    try:
        with Image.open(path) as im:
            im.load()
            return convert_image(im, mode, size, fit)
    except (MemoryError, UsageError, DataError):
        raise
    except Exception as exc:  # Pillow raises many types for a bad file
        raise _unreadable(path, exc) from None


def encode_png(pixels: np.ndarray, path: os.PathLike | str, compress_level: int = 1):
    """Write uint8 pixels ``(H, W)``, ``(H, W, 1|3|4)`` as a PNG file.

    ``compress_level=1`` rather than Pillow's default 6: on smooth 512x512 RGB
    images it encoded about 4x faster (39 vs 154 ms an image on a busy 2-core
    machine) for files about 30 % larger (186 vs 142 KiB), and encoding is
    what a large balance run spends its time on.

    Parameters
    ----------
    pixels : ndarray of uint8
        ``(H, W)`` or ``(H, W, 1|3|4)``.
    path : path-like
        Where the PNG goes.
    compress_level : int, default=1
        zlib level (0-9).
    """
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8:
        raise DataError(
            f"Only uint8 images can be written as PNG ({os.fspath(path)}). "
            f"Got dtype {pixels.dtype} instead; write a .npz file instead."
        )
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    Image.fromarray(pixels).save(
        Path(path), format="PNG", compress_level=compress_level
    )
