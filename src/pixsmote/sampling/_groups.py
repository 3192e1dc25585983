"""Neighbour groups and the drawers that turn them into plans.

A sampler of the SMOTE family fits its neighbour structure once and describes
it as *groups*: candidate base samples, their neighbours and how many synthetic
samples to draw. Each kind of group knows how to draw its part of a plan, with
imbalanced-learn's exact sequence of random draws, so a plan can be redrawn
from the same groups with any random state (a fresh one every epoch, in
:class:`pixsmote.torch.ResampledDataset`) without searching neighbours again.

A *drawer* is what a sampler hands out for such repeated draws
(:meth:`ImageSamplerMixin.fit_drawer`): ``drawer.draw(random_state)`` returns
the originals kept and a plan. It holds index arrays only (no estimator, no
pixels), so it pickles cheaply to data-loader workers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_random_state

from pixsmote.sampling._plan import Plan

__all__ = [
    "Group",
    "SmoteGroup",
    "AdasynGroup",
    "SvmGroup",
    "DrawRNG",
    "draw_groups",
    "Drawer",
    "GroupDrawer",
    "CopiesAndPlanDrawer",
    "IndexDrawer",
    "FixedDrawer",
]


def fresh_random_state(random_state) -> np.random.RandomState:
    """imbalanced-learn re-resolves ``random_state`` at every draw site.

    With an int this restarts the stream (each class draws the same first
    numbers); with a ``RandomState`` it continues. pixsmote keeps that so its
    plans are bit-for-bit imbalanced-learn's, but never touches numpy's global
    RNG: ``None`` gets a fresh, OS-seeded ``RandomState``.
    """
    if random_state is None:
        return np.random.RandomState()
    return check_random_state(random_state)


class DrawRNG:
    """The random streams of one plan draw, as imbalanced-learn consumes them.

    ``outer`` is resolved once per draw; it serves the draws imbalanced-learn
    makes from the sampler's own resolved state (ADASYN's neighbour and gap,
    SVM-SMOTE's Beta split). :meth:`site` re-resolves ``random_state`` for each
    call of imbalanced-learn's ``_make_samples`` (see
    :func:`fresh_random_state`).

    Parameters
    ----------
    random_state : int, RandomState instance or None
    """

    def __init__(self, random_state):
        self.random_state = random_state
        self.outer = fresh_random_state(random_state)

    def site(self) -> np.random.RandomState:
        return fresh_random_state(self.random_state)


@dataclass
class Group:
    """Candidates one batch of synthetic samples of class ``cls`` is drawn from.

    Subclasses implement :meth:`draw`, one per algorithm's way of drawing.

    Parameters
    ----------
    cls : object
        The class label of the samples drawn.
    n_samples : int
        How many synthetic samples to draw.
    """

    cls: object
    n_samples: int

    def draw(self, rng: DrawRNG) -> Plan:
        """This group's part of the plan."""
        raise NotImplementedError

    @property
    def expected_n_samples(self) -> float:
        """How many samples a draw gives on average (``n_samples`` here)."""
        return float(self.n_samples)


@dataclass
class SmoteGroup(Group):
    """``n_samples`` pairs drawn uniformly among ``base x nn``.

    Mirrors imbalanced-learn's ``_make_samples`` (Chawla et al. 2002), draw for
    draw. ``step_size`` scales the gap (negative for SVM-SMOTE's extrapolation);
    ``other`` marks neighbours of another class, whose step Borderline-SMOTE-2
    scales into ``[0, 0.5)`` (Han et al. 2005).
    """

    base: np.ndarray  # global indices of candidate base samples
    nn: np.ndarray  # (len(base), k) global indices of their neighbours
    step_size: float = 1.0
    other: np.ndarray | None = None

    def draw(self, rng: DrawRNG) -> Plan:
        return self.draw_n(rng, self.n_samples)

    def draw_n(self, rng: DrawRNG, n: int) -> Plan:
        rs = rng.site()
        k = self.nn.shape[1]
        samples_indices = rs.randint(low=0, high=self.nn.size, size=n)
        steps = self.step_size * rs.uniform(size=n)[:, np.newaxis]
        rows = np.floor_divide(samples_indices, k)
        cols = np.mod(samples_indices, k)
        scale = None
        if self.other is not None:  # Borderline-SMOTE-2, in _generate_samples
            rs2 = rng.site()
            mask = self.other[rows, cols]
            scale = np.ones(n)
            scale[mask] = rs2.uniform(low=0.0, high=0.5, size=(mask.sum(), 1))[:, 0]
        return Plan(
            cls=np.full(n, self.cls),
            base=self.base[rows].astype(np.int64),
            neighbor=self.nn[rows, cols].astype(np.int64),
            gap=steps[:, 0],
            scale=scale,
        )


@dataclass
class AdasynGroup(Group):
    """Fixed per-base counts; only the neighbour and the gap are drawn.

    He et al. 2008: base ``i`` receives ``counts[i]`` samples, in proportion to
    the share of other classes among its neighbours.
    """

    base: np.ndarray
    nn: np.ndarray
    counts: np.ndarray

    def draw(self, rng: DrawRNG) -> Plan:
        n = int(self.counts.sum())
        k = self.nn.shape[1]
        rows = np.repeat(np.arange(len(self.base)), self.counts)
        cols = rng.outer.choice(k, size=n)
        steps = rng.outer.uniform(size=(n, 1))[:, 0]
        return Plan(
            cls=np.full(n, self.cls),
            base=self.base[rows],
            neighbor=self.nn[rows, cols],
            gap=steps,
        )


@dataclass
class SvmGroup(Group):
    """A danger and a safe sub-group, split by a Beta(10, 10) draw.

    Nguyen et al. 2011: a share ``~ Beta(10, 10)`` of the ``n_samples`` comes
    from the support vectors in danger (interpolation), the rest from the safe
    ones (extrapolation, negative ``step_size``).
    """

    danger: SmoteGroup | None = None
    safe: SmoteGroup | None = None

    @property
    def expected_n_samples(self) -> float:
        # imbalanced-learn draws n1 = int(f * (n + 1)), f ~ Beta(10, 10), for
        # the danger part and n - n1 for the safe one, and skips a missing
        # part's share; E[f] = 1/2, so a missing part costs about half.
        n1 = 0.5 * (self.n_samples + 1)
        return (n1 if self.danger is not None else 0.0) + (
            self.n_samples - n1 if self.safe is not None else 0.0
        )

    def draw(self, rng: DrawRNG) -> Plan:
        fractions = rng.outer.beta(10, 10)
        n1 = int(fractions * (self.n_samples + 1))
        parts = []
        if self.danger is not None:
            parts.append(self.danger.draw_n(rng, n1))
        if self.safe is not None:
            parts.append(self.safe.draw_n(rng, self.n_samples - n1))
        return Plan.concat(parts, y_dtype=np.asarray([self.cls]).dtype)


def draw_groups(groups, random_state) -> Plan:
    """A plan from ``groups``, in order, with imbalanced-learn's draws.

    Parameters
    ----------
    groups : sequence of Group
    random_state : int, RandomState instance or None
        A ``RandomState`` continues its stream across groups; an int restarts
        it at every draw site, as imbalanced-learn does.

    Returns
    -------
    plan : Plan
    """
    return _draw_all(groups, DrawRNG(random_state))


def _draw_all(groups, rng: DrawRNG) -> Plan:
    """Every group's part of the plan, in order, from the draw's streams."""
    parts = [g.draw(rng) for g in groups]
    y_dtype = np.asarray([g.cls for g in groups]).dtype if groups else np.int64
    return Plan.concat(parts, y_dtype=y_dtype)


class Drawer:
    """Draws ``(sample_indices, plan)`` again and again from one fit.

    ``sample_indices`` are the originals kept (indices into the fitted ``X``),
    ``plan`` the synthetic samples; both index the fitted ``X``, exactly as the
    sampler's ``sample_indices_`` and ``plan_``.
    """

    def draw(self, random_state) -> tuple[np.ndarray, Plan]:
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class GroupDrawer(Drawer):
    """Keeps ``sample_indices`` and draws a fresh plan from ``groups``."""

    groups: tuple
    sample_indices: np.ndarray

    def draw(self, random_state) -> tuple[np.ndarray, Plan]:
        return self.sample_indices, draw_groups(self.groups, random_state)


@dataclass(frozen=True, eq=False)
class CopiesAndPlanDrawer(Drawer):
    """Every original, random copies of them, and a fresh plan, per draw.

    For an output where real rows are over-sampled by copying and synthetic
    rows are drawn from ``groups`` (SMOTE's ``synthetic_share``). One
    ``RandomState`` is resolved per draw: its ``outer`` stream draws the
    copies (after the plan), the plan's sites re-resolve ``random_state`` as
    :func:`draw_groups` does.

    Parameters
    ----------
    groups : tuple of Group
        The groups the plan is drawn from.
    copies : tuple of (ndarray of int64, int)
        Per class, the indices of its originals and how many copies of them to
        draw with replacement.
    n_original : int
        The number of fitted samples; every one is kept once.
    """

    groups: tuple
    copies: tuple
    n_original: int

    def draw(self, random_state) -> tuple[np.ndarray, Plan]:
        rng = DrawRNG(random_state)
        plan = _draw_all(self.groups, rng)
        kept = [np.arange(self.n_original, dtype=np.int64)]
        for idx, n in self.copies:
            if n:
                kept.append(rng.outer.choice(idx, size=n, replace=True))
        return np.concatenate(kept).astype(np.int64, copy=False), plan


@dataclass(frozen=True, eq=False)
class IndexDrawer(Drawer):
    """Draws fresh indices of originals (copies or selections), no synthesis.

    ``draw_indices`` maps a resolved ``RandomState`` to the indices; it must be
    picklable (a module-level function or a ``functools.partial`` of one).
    """

    draw_indices: Callable[[np.random.RandomState], np.ndarray]
    y_dtype: np.dtype

    def draw(self, random_state) -> tuple[np.ndarray, Plan]:
        idx = self.draw_indices(fresh_random_state(random_state))
        return np.asarray(idx, dtype=np.int64), Plan.empty(self.y_dtype)


@dataclass(frozen=True, eq=False)
class FixedDrawer(Drawer):
    """The same originals and plan whatever the random state.

    Parameters
    ----------
    sample_indices : ndarray of int64
        The originals every draw returns.
    plan : Plan
        The plan every draw returns.
    """

    sample_indices: np.ndarray
    plan: Plan

    def draw(self, random_state) -> tuple[np.ndarray, Plan]:
        return self.sample_indices, self.plan
