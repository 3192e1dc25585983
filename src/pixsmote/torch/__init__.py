"""The PyTorch bridge: online resampling inside the data loader.

::

    from pixsmote import SMOTE
    from pixsmote.torch import ResampledDataset

    ds = ResampledDataset(X, y, sampler=SMOTE(k_neighbors=5), seed=0)
    for epoch in range(E):
        ds.set_epoch(epoch)          # a new plan, reproducible from (seed, epoch)
        for xb, yb in DataLoader(ds, batch_size=128, shuffle=True, num_workers=2):
            ...

* :class:`ResampledDataset` keeps the originals and draws a fresh SMOTE plan
  every epoch from a neighbour graph computed once; items are synthesised on
  demand, so nothing is stored and memory does not grow with the synthetic set.
* :class:`ClassBalancedSampler` yields class-balanced batches of the original
  data (random over-sampling without copies).
* :func:`epoch_arrays` / :class:`EpochArrays` give one epoch as arrays, the
  ``epoch -> (X, y)`` callable :func:`pixsmote.train.fit` accepts (the
  ``online-<sampler>`` recipes of :mod:`pixsmote.app` are built on it).
* :class:`DeepSMOTE` over-samples by SMOTE in an autoencoder's latent space,
  decoding the plan to images; :class:`DeepSMOTEEpochs` is its online form.
* :class:`M2m` over-samples by translating images of larger classes into a
  minority class with a classifier's gradients (Kim et al., CVPR 2020).
* :class:`ShapeTransfer` over-samples by warping minority images towards the
  shape variation (demons registration fields) of images of their own and the
  nearest classes.
* :func:`feature_resampler` gives the per-head-epoch feature resampling of the
  two-stage recipes (``crt``, ``eos``, ``feature-<sampler>``) for
  :func:`pixsmote.train.retrain_head`.
"""

from pixsmote.torch._balanced import ClassBalancedSampler
from pixsmote.torch._dataset import (
    EpochArrays,
    ResampledDataset,
    epoch_arrays,
    epoch_random_state,
)
from pixsmote.torch._deepsmote import (
    DeepSMOTE,
    DeepSMOTEDecoder,
    DeepSMOTEEncoder,
    DeepSMOTEEpochs,
)
from pixsmote.torch._deform import ShapeTransfer, register_demons, warp
from pixsmote.torch._feature_resampling import (
    FEATURE_PREFIX,
    ClassBalancedFeatures,
    SamplerFeatures,
    feature_resampler,
    list_feature_recipes,
)
from pixsmote.torch._m2m import M2m, M2mClassifier

__all__ = [
    "ClassBalancedFeatures",
    "ClassBalancedSampler",
    "DeepSMOTE",
    "DeepSMOTEDecoder",
    "DeepSMOTEEncoder",
    "DeepSMOTEEpochs",
    "FEATURE_PREFIX",
    "M2m",
    "M2mClassifier",
    "SamplerFeatures",
    "ShapeTransfer",
    "feature_resampler",
    "list_feature_recipes",
    "EpochArrays",
    "ResampledDataset",
    "epoch_arrays",
    "epoch_random_state",
    "register_demons",
    "warp",
]
