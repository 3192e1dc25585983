"""The single list of samplers that the CLI, the tests and the benchmarks iterate."""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field

from pixsmote._errors import UsageError
from pixsmote._registry import Registry
from pixsmote.sampling._adasyn import ADASYN
from pixsmote.sampling._combine import SMOTEENN, SMOTETomek
from pixsmote.sampling._filter import SVMSMOTE, BorderlineSMOTE
from pixsmote.sampling._kmeans import KMeansSMOTE
from pixsmote.sampling._random import RandomOverSampler, RandomUnderSampler
from pixsmote.sampling._smote import SMOTE
from pixsmote.sampling._tabular import SMOTEN, SMOTENC

__all__ = [
    "SamplerSpec",
    "SAMPLERS",
    "TABULAR_SAMPLERS",
    "get_sampler",
    "list_samplers",
]


@dataclass(frozen=True)
class SamplerSpec:
    """A registered sampler.

    Attributes
    ----------
    name : str
        Registry name (CLI ``--method``, bench recipe).
    factory : type or str
        The sampler class, or ``"module:attribute"`` naming it, imported on
        first use of :attr:`cls` (:class:`~pixsmote.torch.DeepSMOTE` needs
        PyTorch, which this package never imports).
    params : dict
        Constructor arguments that distinguish this entry (e.g. ``kind``).
    kind : {"over", "under", "combine"}
        The imbalanced-learn module the sampler's counterpart lives in
        (over-sampling, under-sampling, or a combination of both).
    synthetic : bool
        Whether it synthesises new samples (has a non-empty plan).
    class_local : bool
        Whether it only needs the classes it oversamples (callers may pass just
        those, with a dict ``sampling_strategy``).
    summary : str
    images_only : bool
        Whether it needs ``(N, H, W[, C])`` images (not feature vectors): no
        ``feature-<name>`` recipe.
    """

    name: str
    factory: type | str
    params: dict = field(default_factory=dict)
    kind: str = "over"
    synthetic: bool = True
    class_local: bool = False
    summary: str = ""
    images_only: bool = False

    def local_to_classes(self, params: dict | None = None) -> bool:
        """Whether, built with ``params``, it needs only the classes it over-samples.

        True for the class-local over-samplers (ROS, SMOTE), except with a
        ``synthetic_share``, which synthesises every class, the largest too.
        Callers then decode and fit just those classes.
        """
        share = (params or {}).get("synthetic_share")
        return self.class_local and self.kind == "over" and share is None

    @property
    def takes_synthetic_share(self) -> bool:
        """Whether the sampler has a ``synthetic_share`` parameter."""
        return "synthetic_share" in inspect.signature(self.cls).parameters

    @property
    def cls(self) -> type:
        """The sampler class (imported now if the entry names it by a string)."""
        if isinstance(self.factory, type):
            return self.factory
        module, _, attr = self.factory.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except ImportError as exc:
            raise UsageError(
                f"Sampler {self.name!r} needs {exc.name!r} (pip install "
                f"'pixsmote[torch]'). Got an environment without it instead."
            ) from None


_SPECS = [
    SamplerSpec(
        "ros",
        RandomOverSampler,
        kind="over",
        synthetic=False,
        class_local=True,
        summary="random over-sampling (copies)",
    ),
    SamplerSpec(
        "rus",
        RandomUnderSampler,
        kind="under",
        synthetic=False,
        summary="random under-sampling",
    ),
    SamplerSpec("smote", SMOTE, class_local=True, summary="SMOTE (Chawla 2002)"),
    SamplerSpec(
        "borderline1",
        BorderlineSMOTE,
        {"kind": "borderline-1"},
        summary="Borderline-SMOTE-1 (Han 2005)",
    ),
    SamplerSpec(
        "borderline2",
        BorderlineSMOTE,
        {"kind": "borderline-2"},
        summary="Borderline-SMOTE-2 (Han 2005)",
    ),
    SamplerSpec("svm-smote", SVMSMOTE, summary="SVM-SMOTE (Nguyen 2011)"),
    SamplerSpec("kmeans-smote", KMeansSMOTE, summary="KMeans-SMOTE (Last 2017)"),
    SamplerSpec("adasyn", ADASYN, summary="ADASYN (He 2008)"),
    SamplerSpec(
        "smote-enn",
        SMOTEENN,
        kind="combine",
        summary="SMOTE + Edited Nearest Neighbours (Batista 2004)",
    ),
    SamplerSpec(
        "smote-tomek",
        SMOTETomek,
        kind="combine",
        summary="SMOTE + Tomek links (Batista 2003)",
    ),
    SamplerSpec(
        "deepsmote",
        "pixsmote.torch:DeepSMOTE",
        kind="over",
        summary="DeepSMOTE: SMOTE in an autoencoder's latent space (Dablain 2022)",
        images_only=True,
    ),
    SamplerSpec(
        "m2m",
        "pixsmote.torch:M2m",
        kind="over",
        summary="M2m: larger classes' images translated into a minority (Kim 2020)",
        images_only=True,
    ),
    SamplerSpec(
        "shape-transfer",
        "pixsmote.torch:ShapeTransfer",
        kind="over",
        summary="shape variation of nearby classes transferred by registration "
        "(after Hauberg 2016, Yin 2019)",
        images_only=True,
    ),
]

#: Image samplers by registry name (a :class:`~pixsmote._registry.Registry` of
#: :class:`SamplerSpec`).
SAMPLERS = Registry("sampler")
for _spec in _SPECS:
    SAMPLERS.add(_spec.name, _spec)

#: Samplers for 2-D mixed/categorical tabular data only (not for images).
TABULAR_SAMPLERS = Registry("tabular sampler")
TABULAR_SAMPLERS.add(
    "smotenc", SamplerSpec("smotenc", SMOTENC, summary="SMOTE-NC (tabular)")
)
TABULAR_SAMPLERS.add(
    "smoten", SamplerSpec("smoten", SMOTEN, summary="SMOTE-N (tabular)")
)
del _spec


def list_samplers(
    pattern: str | None = None,
    *,
    synthetic: bool | None = None,
    images_only: bool | None = None,
) -> list[str]:
    """Names of the image samplers, in registration order.

    Parameters
    ----------
    pattern : str, optional
        Only names matching this shell-style pattern (e.g. ``"smote*"``).
    synthetic : bool, optional
        Only samplers that do (True) or do not (False) synthesise new images.
    images_only : bool, optional
        Only samplers that need images (True: DeepSMOTE, M2m, ShapeTransfer)
        or that also take feature vectors (False).

    Returns
    -------
    list of str

    Examples
    --------
    >>> from pixsmote.sampling import list_samplers
    >>> list_samplers("borderline*")
    ['borderline1', 'borderline2']
    >>> list_samplers(synthetic=False)
    ['ros', 'rus']
    >>> list_samplers(images_only=True)
    ['deepsmote', 'm2m', 'shape-transfer']
    """
    return [
        n
        for n in SAMPLERS.names(pattern)
        if (synthetic is None or SAMPLERS[n].synthetic == synthetic)
        and (images_only is None or SAMPLERS[n].images_only == images_only)
    ]


def get_sampler(name: str, **params):
    """A new instance of the sampler registered as ``name``.

    Parameters are the entry's own (e.g. ``kind``) updated with ``params``;
    ``k_neighbors`` reaches ADASYN as ``n_neighbors`` and SMOTE+ENN/Tomek through
    their inner SMOTE; ``neighbor_space``/``n_components``/``k_neighbors`` are
    ignored by the random samplers, which have no neighbours, so one CLI can
    drive every sampler. Any other unknown parameter is a ``UsageError``.

    Parameters
    ----------
    name : str
        A name of :data:`SAMPLERS` (:func:`list_samplers`).
    **params
        Constructor parameters, over the entry's own.

    Returns
    -------
    sampler
        An unfitted instance.

    Examples
    --------
    >>> from pixsmote.sampling import get_sampler
    >>> get_sampler("borderline2", k_neighbors=3)
    BorderlineSMOTE(k_neighbors=3, kind='borderline-2')
    """
    if not isinstance(name, str) or name not in SAMPLERS:
        raise SAMPLERS.unknown(name, context=f" {name!r}")
    spec = SAMPLERS[name]
    accepted = spec.cls().get_params(deep=False)
    kw = {**spec.params}
    for key, value in params.items():
        if key in accepted:
            kw[key] = value
        elif key not in ("neighbor_space", "n_components", "k_neighbors"):
            raise UsageError(
                f"Sampler {name!r} has no parameter {key!r}. Expected one of "
                f"{sorted(accepted)}. Got {key!r} instead."
            )
    k = params.get("k_neighbors")
    if k is not None and "k_neighbors" not in accepted:
        if "n_neighbors" in accepted:  # ADASYN names it n_neighbors
            kw["n_neighbors"] = k
        elif "smote" in accepted and kw.get("smote") is None:
            # SMOTE+ENN/Tomek take k through their inner SMOTE, which must then
            # carry the sampler-level settings too.
            kw["smote"] = SMOTE(
                k_neighbors=k,
                sampling_strategy=kw.get("sampling_strategy", "auto"),
                random_state=kw.get("random_state"),
                neighbor_space=kw.get("neighbor_space", "pixel"),
                n_components=kw.get("n_components"),
            )
    return spec.cls(**kw)
