"""The one Registry type: registration, patterns, the unknown-name error, build."""

import pytest

from pixsmote._errors import UsageError
from pixsmote._registry import Registry
from pixsmote.app import RECIPES, list_recipes
from pixsmote.data import BUILTIN_DATASETS, SPLITS, list_builtin, list_splits
from pixsmote.sampling import SAMPLERS, list_samplers
from pixsmote.train import (
    AUGMENTATIONS,
    FEATURE_AUGMENTATIONS,
    LOSSES,
    MODELS,
    list_losses,
)


def _colours():
    colours = Registry("colour")

    @colours.register("red")
    def red(shade=1.0):
        return (int(255 * shade), 0, 0)

    colours.add("dark-red", lambda: (128, 0, 0))
    colours.add("blue", lambda: (0, 0, 255))
    return colours


def test_names_keep_registration_order_and_match_shell_patterns():
    colours = _colours()
    assert colours.names() == list(colours) == ["red", "dark-red", "blue"]
    assert colours.names("*red") == ["red", "dark-red"]
    assert colours.names("b?ue") == ["blue"]
    assert colours.names("green*") == []


def test_a_name_is_registered_once():
    colours = _colours()
    with pytest.raises(RuntimeError, match="duplicate colour name 'blue'"):
        colours.add("blue", lambda: None)


def test_unknown_name_lists_the_valid_ones():
    colours = _colours()
    with pytest.raises(
        UsageError,
        match=r"^Unknown colour\. Expected one of \['red', 'dark-red', 'blue'\]\. "
        r"Got 'green' instead\.$",
    ):
        colours.lookup("green")
    with pytest.raises(UsageError, match="Got 3 instead"):
        colours.lookup(3)


def test_build_checks_options_against_the_factory_signature():
    colours = _colours()
    assert colours.build("red", shade=0.5) == (127, 0, 0)
    with pytest.raises(UsageError, match="Bad option for colour 'red'"):
        colours.build("red", hue=3)


@pytest.mark.parametrize(
    "registry, family",
    [
        (SAMPLERS, "sampler"),
        (MODELS, "model"),
        (AUGMENTATIONS, "augmentation"),
        (FEATURE_AUGMENTATIONS, "feature augmentation"),
        (LOSSES, "loss"),
        (RECIPES, "recipe"),
        (SPLITS, "split"),
        (BUILTIN_DATASETS, "built-in dataset"),
    ],
)
def test_every_family_is_a_registry(registry, family):
    assert isinstance(registry, Registry) and registry.family == family
    with pytest.raises(UsageError, match=rf"^Unknown {family}\. Expected one of"):
        registry.lookup("no-such-name")


def test_cli_commands_are_a_registry():
    from pixsmote.cli import COMMANDS

    assert isinstance(COMMANDS, Registry)
    assert COMMANDS.names() == ["inspect", "balance", "bench", "demo"]


def test_list_functions_take_a_pattern():
    assert list_samplers("smote*") == ["smote", "smote-enn", "smote-tomek"]
    assert list_samplers("smote*", synthetic=True) == list_samplers("smote*")
    assert list_losses("*-ce") == ["weighted-ce"]
    assert list_recipes(pattern="online-smote*") == [
        "online-smote",
        "online-smote-enn",
        "online-smote-tomek",
    ]
    assert list_recipes("online", "online-b*") == [
        "online-borderline1",
        "online-borderline2",
    ]
    assert list_splits("fmnist-*") == [
        "fmnist-deepsmote",
        "fmnist-balanced",
        "fmnist-lt100",
    ]
    assert list_builtin("*digits*") == ["digits", "digits-seed-3"]


def test_local_to_classes_follows_the_parameters():
    from pixsmote.sampling import SAMPLERS

    assert SAMPLERS["smote"].local_to_classes({})
    assert SAMPLERS["ros"].local_to_classes(None)
    assert not SAMPLERS["smote"].local_to_classes({"synthetic_share": 0.5})
    assert not SAMPLERS["borderline1"].local_to_classes({})
