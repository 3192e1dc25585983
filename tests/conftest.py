"""Suite-wide settings, and the image-file fixtures of the data and app tests.

The image helpers are fixtures (factories) rather than importable functions
because a test module cannot import a sibling under ``--import-mode=importlib``.

`make test` runs two pytest-xdist workers on a 2-core machine; letting each
worker's BLAS/OpenMP pools (scikit-learn's k-means, numpy's products) spawn one
thread per core oversubscribes the CPU (measured: the KMeans-SMOTE parity test
went from ~2 s to ~45 s under contention). One thread per worker.
"""

import signal
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from threadpoolctl import threadpool_limits

threadpool_limits(limits=1)

try:  # same for PyTorch's intra-op pool (measured: 100 small-cnn steps on 8x8
    # images took 2.2 s with one thread, 23 s with two, under two xdist workers)
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - torch is a hard dependency
    pass


def _image(rng, shape, mode, label):
    """A smooth, class-dependent picture: a gradient plus a little noise."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w]
    base = (40 * label + 4 * xx + 3 * yy) % 200
    grey = np.clip(base + rng.integers(0, 40, (h, w)), 0, 255).astype(np.uint8)
    if mode == "L":
        return grey
    g = grey.astype(np.int64)
    return np.stack([g, 255 - g, (g // 2 + 60 * label) % 256], axis=-1).astype(np.uint8)


@pytest.fixture
def make_folder(tmp_path):
    """``make_folder(counts, mode="RGB", shape=(12, 10), ext=".png", name="src")``.

    Writes ``<tmp>/<name>/<class_i>/<j>.<ext>`` and returns the folder path.
    ``counts`` maps class name -> number of images.
    """

    def make(counts, mode="RGB", shape=(12, 10), ext=".png", name="src", seed=0):
        rng = np.random.default_rng(seed)
        root = tmp_path / name
        for label, (cls, n) in enumerate(counts.items()):
            (root / cls).mkdir(parents=True, exist_ok=True)
            for j in range(n):
                pixels = _image(rng, shape, mode, label)
                Image.fromarray(pixels).save(root / cls / f"{j:03d}{ext}")
        return root

    return make


@pytest.fixture
def make_image():
    """``make_image(path, shape=(12, 10), mode="RGB", label=0)``: one image file."""

    def make(path, shape=(12, 10), mode="RGB", label=0, seed=0):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(seed)
        Image.fromarray(_image(rng, shape, mode, label)).save(path)
        return path

    return make


@pytest.fixture
def pixels_of():
    """``pixels_of(path)``: the pixels of an image file as a numpy array."""

    def read(path):
        with Image.open(path) as im:
            return np.asarray(im)

    return read


def _as_from_a_terminal():
    """In the child, before exec: the signal dispositions of a command typed
    in a terminal. A suite started in the background (``cmd &``) or under
    ``nohup`` passes SIGINT/SIGHUP down as ignored, and a process that starts
    with them ignored rightly keeps them so -- not what signal tests test."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


@pytest.fixture
def terminal_signals():
    """``preexec_fn`` for a subprocess that should get Ctrl-C and hang-ups."""
    return _as_from_a_terminal
