"""pixsmote: the SMOTE family for images.

Samplers with imbalanced-learn's API that take ``(N, H, W[, C])`` images of any
integer or float dtype, return correct images of the same dtype, keep memory
bounded, find neighbours in a chosen feature space and record the provenance of
every synthetic sample (``plan_``).
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what the lazy attributes below resolve to
    from pixsmote.sampling import (
        ADASYN,
        EOS,
        SMOTE,
        SMOTEENN,
        SMOTEN,
        SMOTENC,
        SVMSMOTE,
        BorderlineSMOTE,
        KMeansSMOTE,
        Plan,
        RandomOverSampler,
        RandomUnderSampler,
        SMOTETomek,
        get_sampler,
        list_samplers,
        synthesize,
    )
    from pixsmote.torch import DeepSMOTE

__all__ = [
    "__version__",
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
    "get_sampler",
    "list_samplers",
    "DeepSMOTE",
]


def __getattr__(name):
    # Imported on first use (PEP 562), so that ``import pixsmote`` is cheap:
    # the ``pixsmote`` command imports this package before its own error
    # handling runs, and a Ctrl-C during a second of scikit-learn imports here
    # would print a traceback. DeepSMOTE needs PyTorch, which a sampling-only
    # install lacks.
    if name == "DeepSMOTE":
        from pixsmote.torch import DeepSMOTE

        return DeepSMOTE
    if name in __all__ and name != "__version__":
        import pixsmote.sampling

        return getattr(pixsmote.sampling, name)
    raise AttributeError(f"module 'pixsmote' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
