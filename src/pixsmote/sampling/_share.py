"""The same share of synthetic samples in every class (``synthetic_share``).

A sampler that tops each class up to its target with synthetic samples leaves
the smallest classes almost all synthetic and the largest all real, so "looks
synthetic" goes with the label. With a share ``s`` every class, the largest
too, is first brought to its target with copies of its own samples (as random
over-sampling does) and then gets ``s / (1 - s)`` times that many synthetic
ones: no original is dropped, every class ends with the share ``s``.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval

from pixsmote.sampling._groups import CopiesAndPlanDrawer

__all__ = ["SHARE_DOC", "SyntheticShareMixin", "share_counts"]


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
            f"synthetic_share must lie strictly between 0 and 1. Got {share!r} instead."
        )
    labels, counts = np.unique(y, return_counts=True)
    synthetic, copies = {}, {}
    for label, n in zip(labels.tolist(), counts.tolist(), strict=True):
        extra = int(sampling_strategy.get(label, 0))
        synthetic[label] = int(round((n + extra) * share / (1.0 - share)))
        copies[label] = extra
    return synthetic, copies


#: The numpydoc entry of ``synthetic_share`` for the samplers that have it.
SHARE_DOC = """synthetic_share : float in (0, 1) or None, default=None
        ``None``: imbalanced-learn's behaviour, each class topped up to its
        target with synthetic images, so the smallest classes end up almost
        all synthetic and the largest all real. A float ``s``: every class,
        the largest included, ends with the same share ``s`` of synthetic
        images. Each class is first brought to its ``sampling_strategy``
        target with copies of its own images (as :class:`RandomOverSampler`
        does), then gets ``round(target * s / (1 - s))`` synthetic ones, so no
        image is dropped and the output grows by ``1 / (1 - s)``. See
        :class:`SMOTE` for why (a label-correlated "looks synthetic" cue)."""


class SyntheticShareMixin:
    """``synthetic_share`` for a :class:`GroupSamplerMixin` sampler.

    The sampler's ``_groups`` loops over :meth:`_synthetic_counts` instead of
    ``sampling_strategy_``; this mixin adds the copies (per class, drawn after
    the plan from the call's one resolved RNG) and the fresh per-epoch draw of
    both. It comes before the group mixin in the class list.
    """

    synthetic_share: float | None
    sampling_strategy_: dict
    random_state: Any

    _share_constraint = {
        "synthetic_share": [Interval(numbers.Real, 0, 1, closed="neither"), None]
    }

    def _synthetic_counts(self, y) -> dict:
        """Synthetic samples to draw per class; records ``n_synthetic_``.

        Every ``_groups`` calls it once per fit, so the attribute always
        describes the last fit.
        """
        if self.synthetic_share is None:
            counts = super()._synthetic_counts(y)  # type: ignore[misc]
        else:
            counts = share_counts(y, self.sampling_strategy_, self.synthetic_share)[0]
        self.n_synthetic_ = {c: n for c, n in counts.items() if n}
        return counts

    def _copy_counts(self, y) -> dict:
        """Copies of its originals per class (none without a share)."""
        if self.synthetic_share is None:
            return super()._copy_counts(y)  # type: ignore[misc]
        return share_counts(y, self.sampling_strategy_, self.synthetic_share)[1]

    def _plan(self, X, y, X_orig):
        if self.synthetic_share is None:
            return super()._plan(X, y, X_orig)  # type: ignore[misc]
        drawer = self._share_drawer(X, y, X_orig, warn=False)
        indices, plan = drawer.draw(self.random_state)
        # Said from the plan, not the groups: SVM-SMOTE's danger/safe split is
        # drawn, so only the plan knows how short a class fell.
        self._warn_shortfall(drawer.groups, plan, y)  # type: ignore[attr-defined]
        return indices, plan

    def _fit_drawer(self, X, y, X_orig):
        if self.synthetic_share is None:
            return super()._fit_drawer(X, y, X_orig)  # type: ignore[misc]
        return self._share_drawer(X, y, X_orig, warn=True)

    def _share_drawer(self, X, y, X_orig, *, warn: bool) -> CopiesAndPlanDrawer:
        groups = self._graph(X, y, X_orig, draw=False, warn=warn)[1]  # type: ignore[attr-defined]
        copies = tuple(
            (np.flatnonzero(y == label), n) for label, n in self._copy_counts(y).items()
        )
        return CopiesAndPlanDrawer(tuple(groups), copies, len(y))
