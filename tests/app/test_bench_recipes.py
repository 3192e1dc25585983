"""The recipe registry and the recipe-string syntax."""

import pytest

from pixsmote._errors import UsageError
from pixsmote.app import RECIPES, list_recipes, parse_recipe, parse_recipes
from pixsmote.sampling import SAMPLERS


def test_every_sampler_is_a_recipe():
    for name, spec in SAMPLERS.items():
        assert RECIPES[name].kind == "sampler"
        assert RECIPES[name].sampler == name
        if spec.synthetic:
            assert RECIPES[f"online-{name}"].kind == "online"
            assert RECIPES[f"online-{name}"].sampler == name
        else:
            assert f"online-{name}" not in RECIPES


def test_fixed_recipes():
    assert list_recipes()[0] == "none"
    assert RECIPES["undersample"].sampler == "rus"
    assert RECIPES["imblearn-smote"].kind == "imblearn"
    assert "online-smote" in list_recipes("online")


def test_parse_overrides():
    r = parse_recipe("smote:aug=mixup, loss=focal,k_neighbors=3")
    assert (r.name, r.aug, r.loss, r.params) == (
        "smote",
        "mixup",
        "focal",
        {"k_neighbors": 3},
    )
    assert r.label == "smote:aug=mixup,loss=focal,k_neighbors=3"
    assert "/" not in r.slug and ":" not in r.slug
    assert parse_recipe("none").label == "none"


def test_parse_list_continues_overrides():
    recipes = parse_recipes("none,smote:aug=mixup,loss=focal,ros")
    assert [r.label for r in recipes] == ["none", "smote:aug=mixup,loss=focal", "ros"]
    assert [r.name for r in parse_recipes(["none", "smote"])] == ["none", "smote"]
    every = [r.name for r in parse_recipes("all")]
    assert every == [n for n in RECIPES if n != "undersample"]  # no alias twice


@pytest.mark.parametrize(
    "text, match",
    [
        ("smoot", r"Unknown recipe\. Expected one of \['none'.*Got 'smoot' instead"),
        ("smote:aug=nope", r"Unknown augmentation.*'mixup'.*Got 'nope' instead"),
        ("ros:loss=nope", r"Unknown loss.*'focal'.*Got 'nope' instead"),
        ("smote:bogus=1", r"has no parameter 'bogus'"),
        ("smote:aug", r"'key=value' pairs"),
        ("none:k_neighbors=3", r"only aug=, loss= and feature_aug="),
        ("ros:feature_aug=isda", r"Unknown feature augmentation.*'gaussian-pooled'"),
        ("ros:feature_aug_strength=0.2", r"sets no feature_aug.*Got feature_aug_s"),
        ("ros:feature_aug=none,feature_aug_strength=0.2", r"sets no feature_aug"),
        ("ros:feature_aug=gaussian,feature_aug_strength=-1", r">= 0\. Got -1 in"),
        ("ros:feature_aug=gaussian,feature_aug_strength=x", r">= 0\. Got 'x' in"),
        ("smote:random_state=3", r"random_state comes from the run's seed"),
        ("imblearn-smote:bogus=1", r"imbalanced-learn's SMOTE has no parameter"),
    ],
)
def test_parse_errors(text, match):
    with pytest.raises(UsageError, match=match):
        parse_recipe(text)


def test_list_errors():
    with pytest.raises(UsageError, match="at least one recipe"):
        parse_recipes(" , ")
    with pytest.raises(UsageError, match="more than once"):
        parse_recipes("smote,none,smote")


def test_backbone_carries_its_sampler_parameters_in_brackets():
    backbone = "online-smote(synthetic_share=0.5;k_neighbors=3)"
    r = parse_recipe(f"feature-smote:backbone={backbone}")
    assert r.backbone == "online-smote(synthetic_share=0.5;k_neighbors=3)"
    s1 = r.stage1()
    assert s1.name == "online-smote"
    assert s1.params == {"synthetic_share": 0.5, "k_neighbors": 3}
    text = "crt:backbone=online-smote(synthetic_share=0.5),defer=0.5"
    s1 = parse_recipe(text).stage1()
    assert (s1.params, s1.defer) == ({"synthetic_share": 0.5}, 0.5)
    assert parse_recipe("crt:backbone=ros()").stage1().label == "ros"


@pytest.mark.parametrize(
    "text, message",
    [
        ("crt:backbone=online-smote(nope=1)", "no parameter 'nope'"),
        ("crt:backbone=online-smote(synthetic_share=0.5", "in brackets"),
        ("crt:backbone=crt(head_epochs=1)", "one-stage recipe"),
    ],
)
def test_bad_backbone_parameters_are_refused(text, message):
    with pytest.raises(UsageError, match=message):
        parse_recipe(text)


def test_feature_aug_is_a_training_option_that_a_backbone_keeps():
    r = parse_recipe("online-smote:synthetic_share=0.5,feature_aug=gaussian-pooled")
    assert (r.feature_aug, r.params) == ("gaussian-pooled", {"synthetic_share": 0.5})
    assert r.label == "online-smote:feature_aug=gaussian-pooled,synthetic_share=0.5"
    assert parse_recipe("ros:feature_aug=none").label == "ros"  # the default
    assert parse_recipe("none:feature_aug=gaussian").feature_aug == "gaussian"
    s1 = parse_recipe("crt:backbone=ros(feature_aug=gaussian)").stage1()
    assert (s1.label, s1.feature_aug) == ("ros:feature_aug=gaussian", "gaussian")
    # a two-stage recipe's own option goes to its stage 1, as aug= does
    s1 = parse_recipe("crt:backbone=ros,feature_aug=gaussian").stage1()
    assert s1.label == "ros:feature_aug=gaussian"


def test_feature_aug_strength_goes_with_the_feature_aug():
    r = parse_recipe("ros:feature_aug_strength=1,feature_aug=gaussian")
    assert r.label == "ros:feature_aug=gaussian,feature_aug_strength=1.0"
    assert (r.feature_aug_strength, r.feature_aug_kw) == (1.0, {"strength": 1.0})
    assert parse_recipe("ros:feature_aug=gaussian").feature_aug_kw == {}
    assert parse_recipe(r.label) == r  # the label parses back to itself
    text = "crt:backbone=ros(feature_aug=gaussian-pooled;feature_aug_strength=0.1)"
    s1 = parse_recipe(text).stage1()
    assert s1.label == "ros:feature_aug=gaussian-pooled,feature_aug_strength=0.1"
    assert s1.feature_aug_kw == {"strength": 0.1}
    own = "crt:backbone=ros,feature_aug=gaussian,feature_aug_strength=0.1"
    assert parse_recipe(own).stage1().feature_aug_kw == {"strength": 0.1}
