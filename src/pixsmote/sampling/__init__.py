"""Samplers, plans and chunked synthesis: arrays and plans in, arrays and plans out.

This package knows nothing of files, PyTorch or the command line.
"""

from pixsmote.sampling._adasyn import ADASYN
from pixsmote.sampling._base import GroupSamplerMixin, ImageSamplerMixin
from pixsmote.sampling._combine import SMOTEENN, SMOTETomek
from pixsmote.sampling._eos import EOS
from pixsmote.sampling._filter import SVMSMOTE, BorderlineSMOTE
from pixsmote.sampling._groups import Drawer, FixedDrawer, Group
from pixsmote.sampling._kmeans import KMeansSMOTE
from pixsmote.sampling._neighbors import BlockKNN, PCABasis, compute_features, fit_pca
from pixsmote.sampling._plan import Plan
from pixsmote.sampling._random import RandomOverSampler, RandomUnderSampler
from pixsmote.sampling._registry import (
    SAMPLERS,
    TABULAR_SAMPLERS,
    SamplerSpec,
    get_sampler,
    list_samplers,
)
from pixsmote.sampling._share import share_counts
from pixsmote.sampling._smote import SMOTE
from pixsmote.sampling._synthesis import synthesize
from pixsmote.sampling._tabular import SMOTEN, SMOTENC
from pixsmote.sampling._validation import flatten_images, resolve_k

__all__ = [
    "ADASYN",
    "EOS",
    "SMOTE",
    "SMOTEENN",
    "SMOTEN",
    "SMOTENC",
    "SMOTETomek",
    "SVMSMOTE",
    "BorderlineSMOTE",
    "KMeansSMOTE",
    "RandomOverSampler",
    "RandomUnderSampler",
    "Plan",
    "synthesize",
    "SAMPLERS",
    "TABULAR_SAMPLERS",
    "SamplerSpec",
    "get_sampler",
    "list_samplers",
    "compute_features",
    "BlockKNN",
    "fit_pca",
    "PCABasis",
    "Group",
    "Drawer",
    "FixedDrawer",
    "ImageSamplerMixin",
    "GroupSamplerMixin",
    "flatten_images",
    "resolve_k",
    "share_counts",
]
