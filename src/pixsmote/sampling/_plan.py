"""The generation plan: which synthetic samples to make, before any pixel exists.

A plan row says "interpolate from ``X[base]`` towards ``X[neighbor]`` by ``gap``"
and carries the class label of the result. Drawing a plan only needs integers and
floats, so it is tiny (about 24 bytes a row) and can be stored, replayed, sliced,
shipped to worker processes or redrawn every epoch; pixels come later from
:func:`pixsmote.sampling.synthesize`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import DTypeLike, NDArray

__all__ = ["Plan"]


@dataclass(frozen=True, eq=False)
class Plan:
    """Provenance of synthetic samples.

    Row ``i`` stands for ``X[base] + gap * scale * (X[neighbor] - X[base])``.

    Parameters
    ----------
    cls : ndarray of shape (n,)
        Class label of each synthetic sample (same dtype as ``y``).
    base : ndarray of shape (n,), dtype int64
        Index into the sampler's input ``X`` of the sample the synthesis starts from.
    neighbor : ndarray of shape (n,), dtype int64
        Index into ``X`` of the neighbour it moves towards.
    gap : ndarray of shape (n,), dtype float64
        Step along the segment. In ``[0, 1)`` for SMOTE, Borderline-SMOTE,
        KMeans-SMOTE and ADASYN; in ``(-out_step, 0]`` for the samples SVM-SMOTE
        extrapolates away from a neighbour in safe regions (Nguyen et al. 2011).
    scale : ndarray of shape (n,), dtype float64, optional
        Extra factor on the difference, ``[0, 0.5)`` where Borderline-SMOTE-2
        interpolates towards a neighbour of another class (Han et al. 2005) and
        1 elsewhere. ``None`` means all ones. It is kept apart from ``gap``
        (rather than multiplied in) so that the arithmetic, and therefore the
        floating-point result, is exactly imbalanced-learn's.
    """

    cls: np.ndarray
    base: np.ndarray
    neighbor: np.ndarray
    gap: np.ndarray
    scale: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.base)
        for name in ("cls", "neighbor", "gap"):
            if len(getattr(self, name)) != n:
                raise ValueError(
                    f"Plan.{name} must have the length of Plan.base ({n}). "
                    f"Got {len(getattr(self, name))} instead."
                )
        if self.scale is not None and len(self.scale) != n:
            raise ValueError(
                f"Plan.scale must have the length of Plan.base ({n}). "
                f"Got {len(self.scale)} instead."
            )

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(
        self, item: int | np.integer | slice | NDArray[np.integer] | NDArray[np.bool_]
    ) -> Plan:
        if isinstance(item, (int, np.integer)):
            item = slice(item, item + 1 if item != -1 else None)
        return Plan(
            cls=self.cls[item],
            base=self.base[item],
            neighbor=self.neighbor[item],
            gap=self.gap[item],
            scale=None if self.scale is None else self.scale[item],
        )

    def __repr__(self) -> str:
        return f"Plan(n={len(self)}, classes={np.unique(self.cls).tolist()})"

    @property
    def effective_gap(self) -> np.ndarray:
        """``gap * scale``: where each sample lies on the base→neighbour segment."""
        return self.gap if self.scale is None else self.gap * self.scale

    @classmethod
    def empty(cls, y_dtype: DTypeLike = np.int64) -> Plan:
        """A plan with no rows (for samplers that synthesise nothing)."""
        return cls(
            cls=np.empty(0, dtype=y_dtype),
            base=np.empty(0, dtype=np.int64),
            neighbor=np.empty(0, dtype=np.int64),
            gap=np.empty(0, dtype=np.float64),
        )

    @classmethod
    def concat(cls, plans: Iterable[Plan], y_dtype: DTypeLike = np.int64) -> Plan:
        """Concatenate plans in order."""
        parts = [p for p in plans if len(p)]
        if not parts:
            return cls.empty(y_dtype)
        scale = None
        if any(p.scale is not None for p in parts):
            scale = np.concatenate(
                [np.ones(len(p)) if p.scale is None else p.scale for p in parts]
            )
        return cls(
            cls=np.concatenate([p.cls for p in parts]),
            base=np.concatenate([p.base for p in parts]).astype(np.int64, copy=False),
            neighbor=np.concatenate([p.neighbor for p in parts]).astype(
                np.int64, copy=False
            ),
            gap=np.concatenate([p.gap for p in parts]).astype(np.float64, copy=False),
            scale=scale,
        )
