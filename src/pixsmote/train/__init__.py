"""Training harness: models, augmentations, losses, metrics and the loop.

Each piece is a registry (name -> factory) that the CLI, the tests and the
benchmarks all iterate::

    from pixsmote.train import fit, list_models, list_augmentations, list_losses

    result = fit((X_train, y_train), (X_val, y_val), n_classes=10,
                 model="resnet20", aug="basic", loss="ldam-drw", steps=2000,
                 test_sets={"test": (X_test, y_test)}, out_dir="runs/ldam")
    result.test["test"]["acsa"]

Conventions shared by the pieces:

* images enter :func:`fit` as uint8 ``(N, H, W)`` or ``(N, H, W, C)``; models
  and augmentations see float ``(B, C, H, W)`` in [0, 1];
* an augmentation returns a :class:`Batch` ``(x, y, y_b, lam)``; the loss of a
  batch is :func:`mixed_loss` (``lam`` mix of two hard-label losses);
* a feature augmentation (:data:`FEATURE_AUGMENTATIONS`, e.g. explicit ISDA)
  replaces the penultimate features of a training batch by synthetic ones
  before the head;
* augmentations have ``set_progress(epoch, fraction)`` and losses
  ``set_progress(fraction)``; :func:`fit` calls both before every step;
* metrics are fractions; ACSA is balanced accuracy (mean per-class recall), GM
  the geometric mean of recalls; the kept checkpoint is the best by validation
  ACSA (ties: the later epoch).
"""

from pixsmote._registry import Registry
from pixsmote.train._augment import (
    AUGMENTATIONS,
    Augmentation,
    BasicAugmentation,
    Batch,
    CutMix,
    MixUp,
    Remix,
    SamplePairing,
    get_augmentation,
    list_augmentations,
)
from pixsmote.train._feature_aug import (
    FEATURE_AUGMENTATIONS,
    GaussianFeatureAugmentation,
    get_feature_augmentation,
    list_feature_augmentations,
)
from pixsmote.train._inputs import KEEP_CHOICES, check_keep
from pixsmote.train._loop import METRICS_COLUMNS, SCHEDULES, FitResult, fit, lr_at
from pixsmote.train._losses import (
    LOSSES,
    Loss,
    class_balanced_weights,
    get_loss,
    list_losses,
    mixed_loss,
)
from pixsmote.train._metrics import compute_metrics, confusion_matrix
from pixsmote.train._models import MODELS, get_model, list_models
from pixsmote.train._two_stage import HeadResult, extract_features, retrain_head

__all__ = [
    "AUGMENTATIONS",
    "Augmentation",
    "BasicAugmentation",
    "Batch",
    "CutMix",
    "FEATURE_AUGMENTATIONS",
    "FitResult",
    "GaussianFeatureAugmentation",
    "HeadResult",
    "KEEP_CHOICES",
    "LOSSES",
    "Loss",
    "METRICS_COLUMNS",
    "MODELS",
    "MixUp",
    "Registry",
    "Remix",
    "SCHEDULES",
    "SamplePairing",
    "check_keep",
    "class_balanced_weights",
    "compute_metrics",
    "confusion_matrix",
    "extract_features",
    "fit",
    "get_augmentation",
    "get_feature_augmentation",
    "get_loss",
    "get_model",
    "list_augmentations",
    "list_feature_augmentations",
    "list_losses",
    "list_models",
    "lr_at",
    "mixed_loss",
    "retrain_head",
]
