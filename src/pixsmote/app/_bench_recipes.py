"""Balancing recipes: what happens to the training set before (or while) training.

A *recipe* is a balancing method. The augmentation and the loss are bench-wide
settings (``--aug``, ``--loss``) that every recipe shares, so a comparison holds
everything but the balancing fixed. A recipe string may override them, and pass
parameters to its sampler, after a colon::

    smote                               # the registered recipe, bench settings
    smote:aug=mixup                     # ... trained with MixUp instead
    none:loss=logit-adjusted            # the imbalanced set, a loss-side method
    smote:k_neighbors=3,neighbor_space=pca,aug=cutmix

A loss that reads the class counts (weighted CE, class-balanced,
logit-adjusted, LDAM-DRW) is given the counts of the training set it sees: after
a sampler those are balanced and the loss reduces to cross-entropy, so such a
loss belongs with ``none``; ``focal`` does not read them.

``feature_aug`` draws synthetic penultimate features during training (see
:data:`pixsmote.train.FEATURE_AUGMENTATIONS`; the bench's default is none)::

    online-smote:synthetic_share=0.5,feature_aug=gaussian-pooled
    ros:feature_aug=gaussian-pooled,feature_aug_strength=0.25

``feature_aug_strength`` sets the noise's strength (the factory's
``strength``; 0.5 unless set) and needs ``feature_aug``.

``aug``, ``loss`` and ``feature_aug`` are the training options a recipe may
override; ``defer`` (any recipe), ``backbone`` and ``head_epochs`` (two-stage
recipes) and ``neighbors_from`` (a synthesising sampler) say how it is trained;
every other key goes to the sampler (checked against its parameters). The
model, the number of optimiser steps and the seeds are never per recipe::

    smote:defer=0.75                    # imbalanced data, plain CE, for the
                                        # first 75 % of the steps (Cao 2019)
    crt:backbone=ros,head_epochs=10     # two-stage: a ros backbone, then cRT
    crt:backbone=online-smote(synthetic_share=0.5)
                                        # ... a backbone recipe with parameters
    online-smote:neighbors_from=ros     # neighbours in the penultimate features
                                        # of the run's ros network, pixels mixed

``neighbors_from=RECIPE`` trains (or takes from the stage-1 cache) the network
of that one-stage recipe with the run's seed and step budget, and hands its
eval-mode penultimate features of the training images to the sampler as
``neighbor_space``: bases, neighbours (and SVM-SMOTE's support vectors) are
found where the network sees the classes, while synthesis still mixes pixels.

=====================  ======================================================
``none``               no balancing: the imbalanced training set as it is
``undersample``        alias of ``rus``: random under-sampling to the minority
``<sampler>``          every name of :data:`pixsmote.sampling.SAMPLERS`
                       (``ros``, ``rus``, ``smote``, ``borderline1``, ...):
                       resampled once, before training, with the run's seed
``online-<sampler>``   every synthesising sampler: a fresh plan is drawn
                       every epoch (seed and epoch fix it), so the model sees
                       new synthetic images each pass
``imblearn-smote``     imbalanced-learn's ``SMOTE`` on the flattened uint8
                       pixels, the way users call it today (no cast to float:
                       its uint8 arithmetic wraps around)
``crt``                two-stage (Kang et al., ICLR 2020): a backbone trained
                       for the step budget (``backbone=``, default ``none``),
                       then its head re-initialised and trained alone on
                       class-balanced real penultimate features
``eos``                two-stage, the head trained on real plus EOS features
                       (Dablain et al. 2022: enemy-directed interpolation)
``feature-<sampler>``  two-stage, the head trained on real plus that sampler's
                       synthetic features, a fresh plan every head epoch
=====================  ======================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pixsmote._errors import UsageError
from pixsmote._registry import Registry
from pixsmote.sampling import SAMPLERS

__all__ = [
    "ONLINE_PREFIX",
    "RECIPES",
    "Recipe",
    "RecipeSpec",
    "list_online_recipes",
    "list_recipes",
    "parse_recipe",
    "parse_recipes",
]

#: Online recipe names are this prefix plus a synthetic sampler's registry name.
ONLINE_PREFIX = "online-"

#: Keys of a recipe string that override the bench's training settings.
TRAINING_KEYS = ("aug", "loss", "feature_aug")

#: The feature augmentation's strength (a number; needs ``feature_aug``).
FEATURE_AUG_STRENGTH = "feature_aug_strength"

#: Keys of a recipe string that say how it is trained (not sampler parameters).
SCHEDULE_KEYS = ("backbone", "head_epochs", "defer", "neighbors_from")

#: Two-stage recipes: ``crt``, ``eos`` and this prefix plus a synthetic
#: sampler's registry name.
FEATURE_PREFIX = "feature-"

#: Head epochs of a two-stage recipe unless it sets ``head_epochs``.
DEFAULT_HEAD_EPOCHS = 10


@dataclass(frozen=True)
class RecipeSpec:
    """A registered balancing recipe.

    Attributes
    ----------
    name : str
        Registry name, as written in ``--recipes``.
    kind : {"none", "sampler", "online", "imblearn", "two-stage"}
        ``none``: no balancing; ``sampler``: a pixsmote sampler applied once
        before training; ``online``: a pixsmote sampler applied afresh every
        epoch; ``imblearn``: imbalanced-learn's SMOTE on flattened pixels;
        ``two-stage``: a backbone recipe, then the head retrained on
        resampled penultimate features (``crt``, ``eos``, ``feature-*``).
    sampler : str or None
        The :data:`~pixsmote.sampling.SAMPLERS` name (``sampler``/``online``,
        and ``feature-<sampler>``).
    summary : str
        One line for listings and reports.
    """

    name: str
    kind: str
    sampler: str | None = None
    summary: str = ""


def _build_registry() -> Registry:
    recipes = Registry("recipe")
    recipes.add(
        "none", RecipeSpec("none", "none", summary="no balancing (imbalanced data)")
    )
    recipes.add(
        "undersample",
        RecipeSpec("undersample", "sampler", "rus", "random under-sampling (= rus)"),
    )
    for name, spec in SAMPLERS.items():
        recipes.add(name, RecipeSpec(name, "sampler", name, spec.summary))
    for name, spec in SAMPLERS.items():
        if spec.synthetic:
            online = ONLINE_PREFIX + name
            summary = f"{spec.summary}, a fresh plan every epoch"
            recipes.add(online, RecipeSpec(online, "online", name, summary))
    recipes.add(
        "crt",
        RecipeSpec(
            "crt", "two-stage", None,
            "two-stage: head retrained on class-balanced real features (cRT)",
        ),
    )  # fmt: skip
    recipes.add(
        "eos",
        RecipeSpec(
            "eos", "two-stage", None,
            "two-stage: head retrained on real + EOS features (Dablain 2022)",
        ),
    )  # fmt: skip
    for name, spec in SAMPLERS.items():
        if spec.synthetic and not spec.images_only:
            feat = FEATURE_PREFIX + name
            summary = f"two-stage: head retrained on real + {spec.summary} features"
            recipes.add(feat, RecipeSpec(feat, "two-stage", name, summary))
    recipes.add(
        "imblearn-smote",
        RecipeSpec(
            "imblearn-smote",
            "imblearn",
            None,
            "imbalanced-learn SMOTE on flattened uint8 pixels (the naive way)",
        ),
    )
    return recipes


#: Recipe name -> :class:`RecipeSpec`, in listing order: offline samplers,
#: online samplers and the others in one :class:`~pixsmote._registry.Registry`.
RECIPES = _build_registry()

#: Names that repeat another recipe (left out of ``all``).
ALIASES = frozenset({"undersample"})


def list_recipes(kind: str | None = None, pattern: str | None = None) -> list[str]:
    """Names of the registered recipes, in listing order.

    Parameters
    ----------
    kind : {"none", "sampler", "online", "imblearn", "two-stage"}, optional
        Only the recipes of this kind (see :class:`RecipeSpec`).
    pattern : str, optional
        Only names matching this shell-style pattern (e.g. ``"*smote*"``).
    """
    names = RECIPES.names(pattern)
    return [n for n in names if kind is None or RECIPES[n].kind == kind]


def list_online_recipes() -> list[str]:
    """``online-<name>`` for every SMOTE-family sampler of the registry.

    E.g. ``online-smote``, ``online-borderline1``, ..., ``online-smote-tomek``;
    random over/under-sampling have no online recipe (nothing to re-synthesise;
    :class:`~pixsmote.torch.ClassBalancedSampler` is their online form).
    """
    return list_recipes("online")


@dataclass(frozen=True)
class Recipe:
    """A parsed recipe string: a registered recipe plus its overrides.

    Attributes
    ----------
    label : str
        The canonical string (``"smote:aug=mixup,k_neighbors=3"``): the name
        shown in tables and reports and the key of the run folder.
    spec : RecipeSpec
    aug, loss : str or None
        Overrides of the bench's augmentation and loss (None: the bench's).
    feature_aug : str or None
        A :data:`~pixsmote.train.FEATURE_AUGMENTATIONS` name: synthetic
        penultimate features drawn during (stage-1) training (None: none).
    feature_aug_strength : float or None
        The feature augmentation's ``strength`` (None: its default).
    params : dict
        Sampler parameters (for ``imblearn-smote``, imbalanced-learn's SMOTE
        parameters).
    defer : float or None
        Deferred rebalancing: the fraction of the steps trained first on the
        imbalanced data with plain cross-entropy (None: no deferral).
    backbone : str or None
        Two-stage recipes: the recipe whose training is stage 1 (None:
        ``none``).
    head_epochs : int or None
        Two-stage recipes: the head's epochs (None: 10).
    feature_aug : str or None
        A :data:`~pixsmote.train.FEATURE_AUGMENTATIONS` name.
    feature_aug_strength : float or None
        Its ``strength``.
    neighbors_from : str or None
        Synthesising samplers: the one-stage recipe whose trained network's
        penultimate features are the sampler's ``neighbor_space`` (None: the
        sampler's own, pixels unless ``neighbor_space`` is set).
    """

    label: str
    spec: RecipeSpec
    aug: str | None = None
    loss: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    defer: float | None = None
    backbone: str | None = None
    head_epochs: int | None = None
    feature_aug: str | None = None
    feature_aug_strength: float | None = None
    neighbors_from: str | None = None

    @property
    def feature_aug_kw(self) -> dict[str, float]:
        """Options of the feature augmentation's factory (``strength``)."""
        if self.feature_aug_strength is None:
            return {}
        return {"strength": self.feature_aug_strength}

    @property
    def name(self) -> str:
        """The registered recipe name (without overrides)."""
        return self.spec.name

    @property
    def two_stage(self) -> bool:
        """Whether stage 2 retrains the head on resampled features."""
        return self.spec.kind == "two-stage"

    def stage1(self) -> Recipe:
        """The recipe whose training is this one's stage 1 (itself if it has
        one stage): the backbone with this recipe's ``aug``, ``loss``,
        ``feature_aug`` (and its strength) and ``defer``."""
        if not self.two_stage:
            return self
        training: list[tuple[str, Any]] = [
            ("aug", self.aug), ("loss", self.loss), ("feature_aug", self.feature_aug),
            (FEATURE_AUG_STRENGTH, self.feature_aug_strength),
        ]  # fmt: skip
        parts = [f"{k}={v}" for k, v in training if v is not None]
        if self.defer is not None:
            parts.append(f"defer={self.defer}")
        text = _backbone_recipe(self.backbone or "none")
        if parts:
            text += ("," if ":" in text else ":") + ",".join(parts)
        return parse_recipe(text)

    def neighbors_recipe(self) -> Recipe | None:
        """The recipe of ``neighbors_from`` (None when it is not set): whose
        trained network gives this recipe's neighbour space."""
        if self.neighbors_from is None:
            return None
        return parse_recipe(_backbone_recipe(self.neighbors_from))

    @property
    def slug(self) -> str:
        """``label`` made safe as a folder name (``smote_aug-mixup``)."""
        text = self.label.replace(":", "_").replace("=", "-").replace(",", "_")
        return re.sub(r"[^A-Za-z0-9._-]+", "-", text)


def _parse_value(text: str) -> Any:
    """``"3"`` -> 3, ``"0.5"`` -> 0.5, ``"true"`` -> True, else the string."""
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_recipe(text: str) -> Recipe:
    """Parse one recipe string ``name[:key=value,...]``.

    Parameters
    ----------
    text : str
        A registered recipe name, optionally followed by ``:`` and
        comma-separated ``key=value`` overrides: ``aug`` and ``loss`` (names of
        the training registries), or parameters of the recipe's sampler.

    Returns
    -------
    Recipe

    Raises
    ------
    UsageError
        Unknown recipe, augmentation or loss name (the message lists the valid
        ones), a malformed override, or a parameter the sampler lacks.

    Examples
    --------
    >>> r = parse_recipe("smote:aug=mixup,k_neighbors=3")
    >>> r.name, r.aug, r.loss, r.params
    ('smote', 'mixup', None, {'k_neighbors': 3})
    """
    if not isinstance(text, str) or not text.strip():
        raise UsageError(f"A recipe must be a non-empty string. Got {text!r} instead.")
    name, _, rest = text.strip().partition(":")
    name = name.strip()
    if name not in RECIPES:
        hint = " (optionally followed by ':aug=...,loss=...')"
        raise RECIPES.unknown(name, hint=hint)
    spec = RECIPES[name]
    overrides: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, eq, value = item.partition("=")
        key, value = key.strip().replace("-", "_"), value.strip()
        if not eq or not key or not value:
            raise UsageError(
                f"Recipe overrides must be 'key=value' pairs separated by commas. "
                f"Got {item!r} in {text!r} instead."
            )
        if key in overrides:
            raise UsageError(f"Recipe {text!r} sets {key!r} twice. Got {item!r} again.")
        overrides[key] = value if key in TRAINING_KEYS else _parse_value(value)
    aug = overrides.pop("aug", None)
    loss = overrides.pop("loss", None)
    feature_aug = overrides.pop("feature_aug", None)
    _check_training_names(aug, loss, feature_aug)
    if feature_aug == "none":  # the bench's default: no override
        feature_aug = None
    strength = overrides.pop(FEATURE_AUG_STRENGTH, None)
    strength = _check_strength(strength, feature_aug, text)
    schedule = {k: overrides.pop(k) for k in SCHEDULE_KEYS if k in overrides}
    defer, backbone, head_epochs = _check_schedule(spec, schedule, text)
    params = overrides
    if params:
        _check_sampler_params(spec, params, text)
    neighbors_from = _check_neighbors_from(spec, schedule, params, text)
    label = name
    training = (
        ("aug", aug), ("loss", loss), ("feature_aug", feature_aug),
        (FEATURE_AUG_STRENGTH, strength),
    )  # fmt: skip
    parts = [f"{k}={v}" for k, v in training if v is not None]
    parts += [f"{k}={v}" for k, v in params.items()]
    parts += [f"{k}={v}" for k, v in schedule.items()]
    if parts:
        label += ":" + ",".join(parts)
    return Recipe(
        label, spec, aug, loss, params, defer, backbone, head_epochs, feature_aug,
        strength, neighbors_from,
    )  # fmt: skip


def _check_neighbors_from(
    spec: RecipeSpec, schedule: dict, params: dict, text: str
) -> str | None:
    """``neighbors_from``, checked: a one-stage recipe, on a sampler that
    searches neighbours, without a ``neighbor_space`` of its own."""
    value = schedule.get("neighbors_from")
    if value is None:
        return None
    value = str(value)
    takes_space = False
    if spec.kind in ("sampler", "online") and spec.sampler is not None:
        from pixsmote.sampling import get_sampler

        takes_space = "neighbor_space" in get_sampler(spec.sampler).get_params()
    if not takes_space:
        raise UsageError(
            f"neighbors_from= sets the neighbour space of a sampler that searches "
            f"neighbours (smote, online-svm-smote, ...). Got it in {text!r} instead."
        )
    if "neighbor_space" in params:
        raise UsageError(
            f"neighbors_from= is the sampler's neighbor_space: give one of the two. "
            f"Got both in {text!r} instead."
        )
    name = _backbone_recipe(value).partition(":")[0]
    if name not in RECIPES or RECIPES[name].kind == "two-stage":
        one_stage = [n for n in RECIPES if RECIPES[n].kind != "two-stage"]
        raise UsageError(
            f"neighbors_from must be a one-stage recipe, optionally with its "
            f"sampler's parameters in brackets (ros, online-smote(synthetic_"
            f"share=0.5)). Expected one of {one_stage}. Got {value!r} in {text!r} "
            "instead."
        )
    if parse_recipe(_backbone_recipe(value)).neighbors_from is not None:
        raise UsageError(
            f"neighbors_from's recipe trains on its own data: it cannot set "
            f"neighbors_from itself. Got {value!r} in {text!r} instead."
        )
    return value


def _check_strength(value: Any, feature_aug: str | None, text: str) -> float | None:
    """``feature_aug_strength``, checked: a number >= 0 beside a ``feature_aug``."""
    if value is None:
        return None
    if feature_aug is None:
        raise UsageError(
            f"feature_aug_strength sets the strength of a feature_aug, and "
            f"{text!r} sets no feature_aug (e.g. feature_aug=gaussian). Got "
            f"feature_aug_strength={value!r} alone instead."
        )
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise UsageError(
            f"feature_aug_strength must be a number >= 0. Got {value!r} in "
            f"{text!r} instead."
        )
    return float(value)


def _check_schedule(spec: RecipeSpec, schedule: dict, text: str):
    """``defer``, ``backbone`` and ``head_epochs`` of a recipe string, checked."""
    defer = schedule.get("defer")
    if defer is not None and (
        isinstance(defer, bool)
        or not isinstance(defer, int | float)
        or not 0 <= defer < 1
    ):
        raise UsageError(
            f"defer must be a fraction of the steps in [0, 1). Got {defer!r} in "
            f"{text!r} instead."
        )
    backbone = schedule.get("backbone")
    head_epochs = schedule.get("head_epochs")
    if (backbone is not None or head_epochs is not None) and spec.kind != "two-stage":
        raise UsageError(
            f"backbone= and head_epochs= are options of the two-stage recipes "
            f"({list_recipes('two-stage')[:3]}...). Got them in {text!r} instead."
        )
    if backbone is not None:
        backbone = str(backbone)
        name = _backbone_recipe(backbone).partition(":")[0]
        if name not in RECIPES or RECIPES[name].kind == "two-stage":
            one_stage = [n for n in RECIPES if RECIPES[n].kind != "two-stage"]
            raise UsageError(
                f"backbone must be a one-stage recipe, optionally with its sampler's "
                f"parameters in brackets (online-smote(synthetic_share=0.5)). "
                f"Expected one of {one_stage}. Got {backbone!r} in {text!r} instead."
            )
        parse_recipe(_backbone_recipe(backbone))  # its parameters, checked
    if head_epochs is not None and (
        isinstance(head_epochs, bool) or not isinstance(head_epochs, int)
        or head_epochs < 1
    ):  # fmt: skip
        raise UsageError(
            f"head_epochs must be a positive integer. Got {head_epochs!r} in "
            f"{text!r} instead."
        )
    return (None if defer in (None, 0) else float(defer)), backbone, head_epochs


def _backbone_recipe(backbone: str) -> str:
    """``online-smote(synthetic_share=0.5;k_neighbors=3)`` as a recipe string.

    A two-stage recipe's ``backbone=`` names a one-stage recipe; its sampler's
    parameters go in brackets, separated by semicolons, because commas and
    colons already separate the two-stage recipe's own overrides.
    """
    name, bracket, rest = backbone.partition("(")
    if not bracket:
        return backbone
    if not rest.endswith(")"):
        raise UsageError(
            f"backbone parameters go in brackets: NAME(key=value;...). Got "
            f"{backbone!r} instead."
        )
    inner = rest[:-1].replace(";", ",")
    return f"{name.strip()}:{inner}" if inner.strip() else name.strip()


def parse_recipes(value: str | list[str] | tuple[str, ...]) -> list[Recipe]:
    """Parse a comma-separated recipe list (or a list of recipe strings).

    Overrides contain commas too, so a comma-separated item holding ``=`` but no
    ``:`` continues the previous recipe: ``"none,smote:aug=mixup,loss=focal"``
    is ``none`` and ``smote:aug=mixup,loss=focal``. ``all`` expands to every
    registered recipe but the aliases (``undersample`` = ``rus``).

    Parameters
    ----------
    value : str or sequence of str
        ``"none,ros,smote:aug=mixup"``, ``"all"``, or a list of recipe strings.

    Raises
    ------
    UsageError
        An empty list, a recipe given twice, or any error of :func:`parse_recipe`.
    """
    items = [value] if isinstance(value, str) else list(value)
    if not all(isinstance(v, str) for v in items):
        raise UsageError(f"recipes must be strings. Got {value!r} instead.")
    texts: list[str] = []
    for item in items:
        for token in (t.strip() for t in item.split(",")):
            if not token:
                continue
            if "=" in token and ":" not in token and texts:
                texts[-1] += "," + token
            elif token == "all":
                texts.extend(n for n in RECIPES if n not in ALIASES)
            else:
                texts.append(token)
    if not texts:
        raise UsageError(
            f"Give at least one recipe (one of {list(RECIPES)}). Got {value!r} instead."
        )
    recipes = [parse_recipe(t) for t in texts]
    labels = [r.label for r in recipes]
    dupes = sorted({x for x in labels if labels.count(x) > 1})
    if dupes:
        raise UsageError(f"Each recipe may appear once. Got {dupes} more than once.")
    return recipes


def _check_training_names(
    aug: str | None, loss: str | None, feature_aug: str | None = None
) -> None:
    from pixsmote.train import AUGMENTATIONS, FEATURE_AUGMENTATIONS, LOSSES

    if aug is not None:
        AUGMENTATIONS.lookup(aug)
    if loss is not None:
        LOSSES.lookup(loss)
    if feature_aug is not None:
        FEATURE_AUGMENTATIONS.lookup(feature_aug)


def _check_sampler_params(spec: RecipeSpec, params: dict, text: str) -> None:
    """Build the sampler once so unknown parameters fail before any training."""
    if spec.kind == "none":
        raise UsageError(
            f"Recipe 'none' takes only aug=, loss= and feature_aug= overrides. Got "
            f"{sorted(params)} in {text!r} instead."
        )
    if spec.kind == "two-stage":
        from pixsmote.torch import feature_resampler

        if "random_state" in params:
            raise UsageError(
                f"A recipe's random_state comes from the run's seed. Got {text!r} "
                "instead."
            )
        feature_resampler(spec.name, seed=0, **params)
        return
    if spec.kind == "imblearn":
        from imblearn.over_sampling import SMOTE

        accepted = SMOTE().get_params(deep=False)
        unknown = sorted(set(params) - set(accepted))
        if unknown:
            raise UsageError(
                f"imbalanced-learn's SMOTE has no parameter {unknown[0]!r}. Expected "
                f"one of {sorted(accepted)}. Got {text!r} instead."
            )
        _check_values(SMOTE(**params), text)
        return
    from pixsmote.sampling import get_sampler

    if "random_state" in params:
        raise UsageError(
            f"A recipe's random_state comes from the run's seed. Got {text!r} instead."
        )
    assert spec.sampler is not None  # every kind but none/imblearn names one
    _check_values(get_sampler(spec.sampler, **params), text)


def _check_values(sampler, text: str) -> None:
    """The sampler's own parameter checks (types, ranges), before any training."""
    validate = getattr(sampler, "_validate_params", None)
    if validate is None:
        return
    try:
        validate()
    except ValueError as exc:
        raise UsageError(f"Recipe {text!r}: {exc}") from None
