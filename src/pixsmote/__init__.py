"""pixsmote: the SMOTE family for images.

Samplers with imbalanced-learn's API that take ``(N, H, W[, C])`` images of any
integer or float dtype, return correct images of the same dtype, keep memory
bounded, find neighbours in a chosen feature space and record the provenance of
every synthetic sample (``plan_``).
"""

__version__ = "0.1.0"

from pixsmote.sampling import (  # noqa: E402
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
    # DeepSMOTE needs PyTorch; import it only when asked for, so that
    # ``import pixsmote`` stays free of torch.
    if name == "DeepSMOTE":
        from pixsmote.torch import DeepSMOTE

        return DeepSMOTE
    raise AttributeError(f"module 'pixsmote' has no attribute {name!r}")
