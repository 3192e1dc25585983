"""Compare balancing recipes: train one model per (recipe, seed), report the rest.

The pieces, each usable on its own::

    from pixsmote.bench import BenchConfig, run_bench, list_recipes

    config = BenchConfig(train="digits-seed-3", recipes=["none", "smote"],
                         aug="mixup", steps=300, seeds=3, out="runs/digits")
    result = run_bench(config)          # run folders + report.html / report.md
    print(result.table)

* :data:`RECIPES` — the balancing recipes: ``none``, ``undersample``, every
  sampler of :data:`pixsmote.sampling.SAMPLERS` (resampled once before
  training), ``online-<sampler>`` for the synthesising ones (a fresh plan every
  epoch) and ``imblearn-smote`` (imbalanced-learn on flattened uint8 pixels).
  A recipe string may override the bench's augmentation and loss and set
  sampler parameters: ``"smote:aug=mixup,loss=focal,k_neighbors=3"``.
* :class:`BenchConfig` / :func:`load_config` — the settings, from the command
  line or a TOML file of the same keys (unknown keys are an error).
* :func:`resolve_data` — train / validation / test arrays in one label space.
* :func:`run_bench` — the resumable runner (skips runs whose ``results.json``
  exists).
"""

from pixsmote.bench._balance import Balanced, balance_training
from pixsmote.bench._config import DEFAULT_STEPS, BenchConfig, load_config
from pixsmote.bench._data import BenchData, holdout_split, resolve_data
from pixsmote.bench._recipes import (
    RECIPES,
    Recipe,
    RecipeSpec,
    list_recipes,
    parse_recipe,
    parse_recipes,
)
from pixsmote.bench._runner import (
    BenchResult,
    RunRecord,
    command_line,
    resolve_steps,
    run_bench,
)

__all__ = [
    "DEFAULT_STEPS",
    "RECIPES",
    "Balanced",
    "BenchConfig",
    "BenchData",
    "BenchResult",
    "Recipe",
    "RecipeSpec",
    "RunRecord",
    "balance_training",
    "command_line",
    "holdout_split",
    "list_recipes",
    "load_config",
    "parse_recipe",
    "parse_recipes",
    "resolve_data",
    "resolve_steps",
    "run_bench",
]
