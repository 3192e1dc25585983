"""The study report's figures: PNG files under ``docs/figures/``, linked from
the Markdown by a path relative to it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pixsmote.report import (
    figure_png,
    plot_curves,
    plot_per_class_recall,
    plot_synthetic_grid,
)

__all__ = ["Figures"]


class Figures:
    """Writes the figures into `folder` (``<doc folder>/figures``).

    Parameters
    ----------
    folder : Path
    grids : bool
        Draw the synthetic-image grids (they re-run the resampling of split
        seed 0, the slow part of the report).
    """

    def __init__(self, folder: Path, grids: bool = True):
        self.folder = Path(folder)
        self.grids = grids

    def save(self, fig, name: str, dpi: int = 72) -> str:
        """Write `fig` as ``name`` and return its link, ``figures/<name>``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / name).write_bytes(figure_png(fig, dpi=dpi))
        return f"figures/{name}"

    def curves(self, runs, split: str) -> tuple[str, int]:
        """Training curves of one seed, the lowest any run has (a section
        of seeds 3 and 4 has no seed 0); returns the link and that seed."""
        seed = min(run.seed for run in runs)
        fig = plot_curves(runs, seed=seed)
        return self.save(fig, f"study-curves-{split}.png"), seed

    def recall(self, runs, test: str, split: str) -> str:
        fig = plot_per_class_recall(runs, test)
        return self.save(fig, f"study-recall-{split}.png")

    def synthetic_grids(
        self, split: str, recipes: list[str], tail: list[int]
    ) -> list[tuple[str, str]]:
        """Grids of synthetic images (parents | child) for `recipes`, split
        seed 0, rows from the `tail` classes (where synthesis matters)."""
        from pixsmote.app import balance_training, parse_recipe, resolve_data
        from pixsmote.sampling import synthesize

        data = resolve_data(split, None, None, split_seed=0)
        out = []
        for recipe in recipes:
            b = balance_training(parse_recipe(recipe), data.X, data.y, 0)
            if b.plan is None or len(b.plan) == 0:
                continue
            X_synth = b.X[b.synthetic]
            if len(X_synth) != len(b.plan):
                X_synth = synthesize(data.X, b.plan)
            keep = np.flatnonzero(np.isin(np.asarray(b.plan.cls), tail))
            plan = b.plan[keep] if len(keep) else b.plan
            xs = X_synth[keep] if len(keep) else X_synth
            fig = plot_synthetic_grid(
                data.X, plan, xs, n=6, class_names=data.class_names
            )
            slug = parse_recipe(recipe).slug
            name = f"study-grid-{split}-{slug}.png"
            out.append((recipe, self.save(fig, name, dpi=60)))
        return out
