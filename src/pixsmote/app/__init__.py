"""The orchestration layer: the one package that combines the others.

:mod:`pixsmote.sampling` (the samplers), :mod:`pixsmote.data` (reading and
writing images), :mod:`pixsmote.torch` (online resampling), :mod:`pixsmote.train`
(the training harness) and :mod:`pixsmote.report` (tables and reports) know
nothing of one another beyond what docs/architecture.md allows; the workflows
that need several of them live here, and the command line (:mod:`pixsmote.cli`)
only parses, calls them and prints.

* :func:`balance` — the ``pixsmote balance`` pipeline: resample a dataset with
  a registered sampler, decoding only what the sampler needs, and write it with
  a provenance manifest; with ``client=`` (or :func:`balance_on_dask`) the
  same output, byte for byte, written by the workers of a Dask cluster from
  and to fsspec URLs (:func:`dask_client` opens ``local:N`` or a scheduler).
* :data:`RECIPES` — the balancing recipes of ``pixsmote bench``, offline and
  online in one registry: ``none``, ``undersample``, every sampler of
  :data:`pixsmote.sampling.SAMPLERS` (resampled once before training),
  ``online-<sampler>`` for the synthesising ones (a fresh plan every epoch,
  :func:`online_train_data`) and ``imblearn-smote`` (imbalanced-learn on
  flattened uint8 pixels). A recipe string may override the bench's
  augmentation and loss and set sampler parameters:
  ``"smote:aug=mixup,loss=focal,k_neighbors=3"``. Two-stage recipes (``crt``,
  ``eos``, ``feature-<sampler>``, option ``backbone=``) retrain the head on
  resampled penultimate features of a cached backbone; ``defer=F`` on any
  recipe trains the first fraction F of the steps on the imbalanced data
  with plain cross-entropy (deferred rebalancing).
* :class:`BenchConfig` / :func:`load_config` — the bench's settings, from the
  command line or a TOML file of the same keys (unknown keys are an error);
  :func:`resolve_data` — train / validation / test arrays in one label space;
  :func:`run_bench` — the resumable runner (skips runs whose ``results.json``
  exists)::

      from pixsmote.app import BenchConfig, run_bench, list_recipes

      config = BenchConfig(train="digits-seed-3", recipes=["none", "smote"],
                           aug="mixup", steps=300, seeds=3, out="runs/digits")
      result = run_bench(config)          # run folders + report.html / report.md
      print(result.table)

* :func:`run_demo` — ``pixsmote demo``, the motivating case end to end.
"""

from pixsmote.app._balance_dask import (
    DASK_EXTRA,
    balance_on_dask,
    dask_client,
    parse_dask_address,
)
from pixsmote.app._balance_dataset import (
    BalanceResult,
    balance,
    balance_methods,
    latent_plan_methods,
    parse_strategy,
    share_methods,
)
from pixsmote.app._bench_balance import Balanced, balance_training, online_train_data
from pixsmote.app._bench_config import (
    DEFAULT_STEPS,
    BenchConfig,
    load_config,
    training_choices,
)
from pixsmote.app._bench_data import BenchData, holdout_split, resolve_data
from pixsmote.app._bench_recipes import (
    ONLINE_PREFIX,
    RECIPES,
    Recipe,
    RecipeSpec,
    list_online_recipes,
    list_recipes,
    parse_recipe,
    parse_recipes,
)
from pixsmote.app._bench_runner import (
    BenchResult,
    RunRecord,
    command_line,
    resolve_steps,
    run_bench,
)
from pixsmote.app._demo import DemoResult, DemoSettings, run_demo

__all__ = [
    # balance a dataset on disk
    "BalanceResult",
    "balance",
    "balance_methods",
    "latent_plan_methods",
    "parse_strategy",
    "share_methods",
    # the same on a Dask cluster
    "DASK_EXTRA",
    "balance_on_dask",
    "dask_client",
    "parse_dask_address",
    # recipes
    "ONLINE_PREFIX",
    "RECIPES",
    "Recipe",
    "RecipeSpec",
    "list_online_recipes",
    "list_recipes",
    "parse_recipe",
    "parse_recipes",
    "Balanced",
    "balance_training",
    "online_train_data",
    # the bench
    "DEFAULT_STEPS",
    "BenchConfig",
    "BenchData",
    "BenchResult",
    "RunRecord",
    "command_line",
    "holdout_split",
    "load_config",
    "resolve_data",
    "resolve_steps",
    "run_bench",
    "training_choices",
    # the demo
    "DemoResult",
    "DemoSettings",
    "run_demo",
]
