"""The same share of synthetic samples in every class (``synthetic_share``).

A sampler that tops each class up to its target with synthetic samples leaves
the smallest classes almost all synthetic and the largest all real, so "looks
synthetic" goes with the label. With a share ``s`` every class, the largest
too, is first brought to its target with copies of its own samples (as random
over-sampling does) and then gets ``s / (1 - s)`` times that many synthetic
ones: no original is dropped, every class ends with the share ``s``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["share_counts"]


def share_counts(
    y: np.ndarray, sampling_strategy: Mapping[Any, int], share: float
) -> tuple[dict, dict]:
    """Synthetic samples and copies per class for a ``synthetic_share``.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Class labels.
    sampling_strategy : mapping
        Samples to add per class to reach its target (a fitted sampler's
        ``sampling_strategy_``; classes missing from it get none).
    share : float in (0, 1)
        The share of synthetic samples every class ends with.

    Returns
    -------
    synthetic : dict
        Per class (every class of ``y``), ``round(target * share / (1 -
        share))`` synthetic samples to draw.
    copies : dict
        Per class, the copies of its originals that bring it to its target.

    Examples
    --------
    >>> import numpy as np
    >>> from pixsmote.sampling import share_counts
    >>> y = np.array([0] * 6 + [1] * 2)
    >>> share_counts(y, {1: 4}, 0.5)
    ({0: 6, 1: 6}, {0: 0, 1: 4})
    """
    if not 0 < share < 1:
        raise ValueError(
            f"synthetic_share must lie strictly between 0 and 1. Got {share!r} "
            "instead."
        )
    labels, counts = np.unique(y, return_counts=True)
    synthetic, copies = {}, {}
    for label, n in zip(labels.tolist(), counts.tolist(), strict=True):
        extra = int(sampling_strategy.get(label, 0))
        synthetic[label] = int(round((n + extra) * share / (1.0 - share)))
        copies[label] = extra
    return synthetic, copies
