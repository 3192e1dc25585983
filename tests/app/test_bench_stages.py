"""Two-stage recipes, the stage-1 cache and deferral through run_bench."""

import json
import re

import numpy as np
import pytest
import torch

import pixsmote.train
from pixsmote.app import BenchConfig, run_bench


def _config(out, **kw):
    base = dict(
        train="digits-seed-3",
        steps=6,
        seeds=1,
        batch_size=32,
        out=str(out),
        progress=False,
        threads=1,
    )
    return BenchConfig(**{**base, **kw})


def _count_fits(monkeypatch):
    calls = []
    real = pixsmote.train.fit

    def counted(*args, **kw):
        calls.append(kw.get("extra_config", {}).get("recipe"))
        return real(*args, **kw)

    monkeypatch.setattr(pixsmote.train, "fit", counted)
    return calls


def _results(out, recipe):
    folder = next(p for p in out.iterdir() if p.name.endswith("-" + recipe))
    return json.loads((folder / "seed-0" / "results.json").read_text()), json.loads(
        (folder / "seed-0" / "config.json").read_text()
    )


def test_two_stage_shares_its_backbone(tmp_path, monkeypatch):
    calls = _count_fits(monkeypatch)
    out = tmp_path / "a"
    run_bench(_config(out, recipes=["crt", "feature-smote", "eos"]), echo=None)
    assert calls == ["none"]  # one stage 1 for the three recipes
    res, cfg = _results(out, "crt")
    assert cfg["stage1_recipe"] == "none" and cfg["head_epochs"] == 10
    assert res["stage1"]["cached"] is False
    assert res["stage2_time_s"] > 0 and len(res["stage2"]["history"]) == 10
    assert set(res["test"]) == set(res["stage1"]["test"])
    smote, _ = _results(out, "feature-smote")
    assert smote["stage1"]["cached"] is True
    assert smote["stage1"]["test"] == res["stage1"]["test"]
    # a second bench into the same out: no stage 1 trained, same numbers
    calls.clear()
    out2 = tmp_path / "b"
    run_bench(
        _config(out2, recipes=["crt"], backbones=str(out / "_backbones")), echo=None
    )
    assert calls == []
    again, cfg2 = _results(out2, "crt")
    assert cfg2["stage1_cached"] is True
    assert again["test"] == res["test"] and again["val"] == res["val"]


def test_one_stage_run_seeds_the_cache(tmp_path, monkeypatch):
    calls = _count_fits(monkeypatch)
    out = tmp_path / "c"
    recipes = ["ros", "crt:backbone=ros,head_epochs=2"]
    run_bench(_config(out, recipes=recipes), echo=None)
    assert calls == ["ros"]
    res, _ = _results(out, "crt_backbone-ros_head_epochs-2")
    ros, _ = _results(out, "ros")
    assert res["stage1"]["cached"] is True
    assert res["stage1"]["test"] == ros["test"]
    assert len(res["stage2"]["history"]) == 2


def test_a_backbone_with_sampler_parameters_is_that_one_stage_run(
    tmp_path, monkeypatch
):
    # backbone=online-smote(synthetic_share=0.5) is stage 1 of the recipe, and
    # the one-stage run of that recipe seeds the same cache entry.
    calls = _count_fits(monkeypatch)
    out = tmp_path / "s"
    one = "online-smote:synthetic_share=0.5"
    recipes = [one, "crt:backbone=online-smote(synthetic_share=0.5),head_epochs=2"]
    run_bench(_config(out, recipes=recipes), echo=None)
    assert calls == [one]
    slug = "crt_backbone-online-smote-synthetic_share-0.5-_head_epochs-2"
    res, _ = _results(out, slug)
    plain, _ = _results(out, "online-smote_synthetic_share-0.5")
    assert res["stage1"]["cached"] is True
    assert res["stage1"]["test"] == plain["test"]


def test_head_stage_leaves_the_backbone_bitwise(tmp_path):
    from pixsmote.app._bench_stages import load_backbone

    out, cache = tmp_path / "d", tmp_path / "cache"
    run_bench(_config(out, recipes=["none"], backbones=str(cache)), echo=None)
    (key,) = [p.name for p in cache.iterdir()]
    s1 = load_backbone(cache, key)
    before = {k: v.clone() for k, v in s1.model.state_dict().items()}
    from pixsmote.torch import feature_resampler
    from pixsmote.train import extract_features, retrain_head

    X = np.random.default_rng(0).integers(0, 256, (60, 8, 8), dtype=np.uint8)
    y = np.repeat([0, 1, 2], 20)
    f = extract_features(s1.model, X)
    head = retrain_head(
        s1.model, f, y, f, y, epochs=2, resample=feature_resampler("eos", seed=0)
    )
    after = head.model.state_dict()
    for k, v in before.items():
        if not k.startswith("fc."):
            assert torch.equal(after[k], v), k
    assert not torch.equal(after["fc.weight"], before["fc.weight"])


def test_deferral_through_the_bench(tmp_path):
    out = tmp_path / "e"
    run_bench(_config(out, recipes=["ros", "ros:defer=0.5", "ros:defer=0"]), echo=None)
    plain, _ = _results(out, "ros")
    zero, _ = _results(out, "ros_defer-0")
    late, cfg = _results(out, "ros_defer-0.5")
    assert zero["test"] == plain["test"]  # defer=0 is no deferral
    assert cfg["switch_step"] == 3 and cfg["loss"] == "ce"
    assert cfg["train_counts_before"] != cfg["train_counts_after"]
    assert late["test"] != plain["test"]


def test_feature_aug_through_the_bench_and_the_cache_key(tmp_path, monkeypatch):
    from pixsmote.app import parse_recipe
    from pixsmote.app._bench_stages import fit_settings, stage1_key

    out = tmp_path / "fa"
    recipes = [
        "ros", "ros:feature_aug=gaussian", "ros:feature_aug=gaussian,defer=0.5",
        "ros:feature_aug=gaussian,feature_aug_strength=2",
    ]  # fmt: skip
    run_bench(_config(out, recipes=recipes), echo=None)
    plain, _ = _results(out, "ros")
    drawn, cfg = _results(out, "ros_feature_aug-gaussian")
    late, cfg_late = _results(out, "ros_feature_aug-gaussian_defer-0.5")
    strong, cfg_strong = _results(
        out, "ros_feature_aug-gaussian_feature_aug_strength-2.0"
    )
    assert cfg["feature_aug"] == "gaussian" and drawn["test"] != plain["test"]
    assert cfg["feature_aug_kw"] == {}
    assert cfg_strong["feature_aug_kw"] == {"strength": 2.0}
    assert strong["test"] != drawn["test"]  # the strength reaches the noise
    # deferred: the imbalanced first phase trains without it
    assert (cfg_late["feature_aug"], cfg_late["feature_aug_after"]) == (
        "none",
        "gaussian",
    )
    assert cfg_late["switch_step"] == 3
    # The stage-1 cache key: new for the option, unchanged without it (the
    # backbones cached before the option existed stay valid).
    config = _config(out)

    class Data:
        descriptions = {"train": "t"}
        X = y = X_val = y_val = np.zeros(2)
        n_classes, tests = 2, {}

        def counts(self, y=None):
            return np.array([1, 1])

    keys = {
        text: stage1_key(parse_recipe(text), 0, config, 6, Data())
        for text in [
            "ros", "ros:feature_aug=gaussian", "ros:feature_aug=none",
            "ros:feature_aug=gaussian,feature_aug_strength=0.1",
        ]  # fmt: skip
    }
    assert keys["ros"] == keys["ros:feature_aug=none"]
    assert len(set(keys.values())) == 3  # a new strength: a new backbone
    hashed = []
    real_dumps = json.dumps
    monkeypatch.setattr(
        json, "dumps", lambda obj, **kw: hashed.append(obj) or real_dumps(obj, **kw)
    )
    stage1_key(parse_recipe("ros"), 0, config, 6, Data())
    assert "feature_aug" not in hashed[0]  # the pre-option key, bit for bit

    class Balanced:
        epoch_data, X, y = None, np.zeros(2), np.zeros(2)

    kw = fit_settings(
        parse_recipe("ros:feature_aug=gaussian"), Balanced(), Data(), config, 6, 0
    )
    assert kw["feature_aug"] == "gaussian"


def test_feature_aug_with_a_mixing_aug_fails_before_any_folder(tmp_path):
    from pixsmote._errors import UsageError

    for recipes, aug in [
        (["ros", "smote:aug=mixup,feature_aug=gaussian"], "basic"),
        (["ros:feature_aug=gaussian"], "cutmix"),  # the bench's aug
        (["crt:backbone=ros(feature_aug=gaussian;aug=remix)"], "basic"),
    ]:
        out = tmp_path / aug
        with pytest.raises(UsageError, match="feature_aug needs unmixed labels"):
            run_bench(_config(out, recipes=recipes, aug=aug), echo=None)
        assert not out.exists()


@pytest.mark.parametrize("bad", ["ros:defer=1", "ros:defer=-0.5", "none:defer=2"])
def test_bad_defer_is_a_usage_error(bad):
    from pixsmote._errors import UsageError
    from pixsmote.app import parse_recipe

    with pytest.raises(UsageError, match=r"^defer must be .* instead\.$"):
        parse_recipe(bad)


def test_remix_gets_the_counts_before_resampling(tmp_path):
    out = tmp_path / "f"
    run_bench(_config(out, recipes=["ros:aug=remix"]), echo=None)
    _, cfg = _results(out, "ros_aug-remix")
    assert cfg["aug"] == "remix"
    assert cfg["original_counts"] == cfg["train_counts_before"]
    assert cfg["class_counts"] == cfg["train_counts_after"] != cfg["original_counts"]


def test_deepsmote_recipes_report_their_training_time(tmp_path):
    out = tmp_path / "g"
    result = run_bench(
        _config(out, recipes=["deepsmote:epochs=1", "online-deepsmote:epochs=1"]),
        echo=None,
    )
    for slug in ("deepsmote_epochs-1", "online-deepsmote_epochs-1"):
        _, cfg = _results(out, slug)
        assert 0 < cfg["sampler_train_time_s"] <= cfg["resample_time_s"]
        assert cfg["n_synthetic"] > 0
    b = result.balanced["deepsmote:epochs=1"]
    X_syn = b.synthesize(result.data.X, b.plan)
    assert np.array_equal(X_syn, b.X[b.synthetic])  # decoded, not interpolated


def test_a_dead_runs_lock_is_taken_over(tmp_path):
    import subprocess
    import sys

    from pixsmote.app._bench_stages import _training_lock

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    (tmp_path / ".k.lock").write_text(dead)
    with _training_lock(tmp_path, "k"):
        assert (tmp_path / ".k.lock").read_text() != dead
    assert not (tmp_path / ".k.lock").exists()


def test_keep_last_reaches_both_stages_and_keys_its_own_backbone(tmp_path, monkeypatch):
    from pixsmote.app import parse_recipe
    from pixsmote.app._bench_stages import stage1_key

    seen = []
    real_head = pixsmote.train.retrain_head

    def head(*args, **kw):
        seen.append(kw.get("keep"))
        return real_head(*args, **kw)

    monkeypatch.setattr(pixsmote.train, "retrain_head", head)
    out = tmp_path / "k"
    config = _config(out, recipes=["ros", "crt:backbone=ros"], keep="last")
    run_bench(config, echo=None)
    one, cfg = _results(out, "ros")
    two, cfg2 = _results(out, "crt_backbone-ros")
    assert cfg["keep"] == "last" == cfg2["keep"]
    folder = next(p for p in out.iterdir() if p.name.endswith("-ros"))
    rows = (folder / "seed-0" / "metrics.csv").read_text().splitlines()[1:]
    assert one["best_epoch"] == int(rows[-1].split(",")[0])  # the last validation
    assert seen == ["last"]  # the head keeps its last epoch too
    assert two["stage2"]["best_epoch"] == len(two["stage2"]["history"])

    class Data:
        descriptions = {"train": "t"}
        y_val = np.zeros(2)

        def counts(self, y=None):
            return np.array([1, 1])

    keys = {
        keep: stage1_key(parse_recipe("ros"), 0, _config(out, keep=keep), 6, Data())
        for keep in ("best", "last")
    }
    assert keys["best"] != keys["last"]  # a last-epoch backbone is another model
    hashed = []
    real_dumps = json.dumps
    monkeypatch.setattr(
        json, "dumps", lambda obj, **kw: hashed.append(obj) or real_dumps(obj, **kw)
    )
    stage1_key(parse_recipe("ros"), 0, _config(out), 6, Data())
    assert "keep" not in hashed[0]  # the keys cached before the option, unchanged


def _spy_balance(monkeypatch):
    """Record every (recipe label, neighbor_space, Balanced) the runner makes."""
    from pixsmote.app import _bench_runner

    seen = []
    real = _bench_runner.balance_training

    def spy(recipe, X, y, seed, *, neighbor_space=None):
        balanced = real(recipe, X, y, seed, neighbor_space=neighbor_space)
        seen.append((recipe.label, neighbor_space, balanced))
        return balanced

    monkeypatch.setattr(_bench_runner, "balance_training", spy)
    return seen


def test_neighbors_from_searches_the_networks_feature_space(tmp_path, monkeypatch):
    from pixsmote.app import parse_recipe
    from pixsmote.app._bench_balance import balance_training
    from pixsmote.app._bench_stages import load_backbone
    from pixsmote.train import extract_features

    seen = _spy_balance(monkeypatch)
    calls = _count_fits(monkeypatch)
    out = tmp_path / "n"
    config = _config(out, recipes=["ros", "smote:neighbors_from=ros"])
    result = run_bench(config, echo=None)
    assert calls == ["ros", "smote:neighbors_from=ros"]  # one ros network
    res, cfg = _results(out, "smote_neighbors_from-ros")
    assert cfg["neighbors_from"] == "ros" and cfg["neighbors_cached"] is True
    ros, _ = _results(out, "ros")
    assert cfg["neighbors_train_time_s"] == ros["time_s"] and res["test"]
    s1 = load_backbone(out / "_backbones", cfg["neighbors_key"])
    X, y = result.data.X, result.data.y
    feats = extract_features(s1.model, X)
    ((label, space, balanced),) = [s for s in seen if s[1] is not None]
    assert label == "smote:neighbors_from=ros"
    np.testing.assert_array_equal(space, feats)  # the cached ros network's
    plan = balanced.plan
    assert len(plan) > 0 and cfg["n_synthetic"] == len(plan)
    for base, neighbor, c in zip(plan.base, plan.neighbor, plan.cls, strict=True):
        same = np.flatnonzero(y == c)
        assert y[neighbor] == c
        d = np.linalg.norm(feats[same] - feats[base], axis=1)
        # among the base's k=5 nearest same-class rows there (index 0: itself)
        assert np.linalg.norm(feats[neighbor] - feats[base]) <= np.sort(d)[5] + 1e-5
    pixel = balance_training(parse_recipe("smote"), X, y, 0).plan
    assert np.array_equal(pixel.base, plan.base)  # the same draws of bases ...
    assert not np.array_equal(pixel.neighbor, plan.neighbor)  # ... other partners


def test_neighbors_from_inside_a_backbone_trains_both_networks(tmp_path, monkeypatch):
    calls = _count_fits(monkeypatch)
    out = tmp_path / "c"
    recipe = "crt:backbone=online-smote(synthetic_share=0.5;neighbors_from=ros)"
    run_bench(_config(out, recipes=[recipe]), echo=None)
    # the neighbour network first, then the backbone that used it
    assert calls == ["ros", "online-smote:synthetic_share=0.5,neighbors_from=ros"]
    res, cfg = _results(out, "crt_backbone-online-smote-synthetic_share-0.5-"
                             "neighbors_from-ros-")  # fmt: skip
    assert cfg["stage1_recipe"] == "online-smote:synthetic_share=0.5,neighbors_from=ros"
    assert cfg["neighbors_from"] == "ros" and cfg["neighbors_cached"] is False
    assert cfg["neighbors_train_time_s"] > 0 and res["stage2_time_s"] > 0
    # both networks are cached under their own keys
    assert len([p for p in (out / "_backbones").iterdir() if p.is_dir()]) == 2


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("ros:neighbors_from=ros", "a sampler that searches neighbours"),
        ("crt:neighbors_from=ros", "a sampler that searches neighbours"),
        ("smote:neighbors_from=ros,neighbor_space=pca", "give one of the two"),
        ("smote:neighbors_from=crt", "must be a one-stage recipe"),
        ("smote:neighbors_from=smoot", "Got 'smoot' in"),
        ("smote:neighbors_from=smote(neighbors_from=ros)", "cannot set neighbors_from"),
    ],
)
def test_bad_neighbors_from_is_a_usage_error(text, fragment):
    from pixsmote._errors import UsageError
    from pixsmote.app import parse_recipe

    with pytest.raises(UsageError, match=re.escape(fragment)):
        parse_recipe(text)


def test_balance_training_wants_neighbor_space_exactly_with_neighbors_from():
    from pixsmote._errors import UsageError
    from pixsmote.app import balance_training, parse_recipe

    X = np.zeros((20, 4, 4), dtype=np.uint8)
    y = np.array([0] * 14 + [1] * 6)
    with pytest.raises(UsageError, match="neighbor_space unset instead"):
        balance_training(parse_recipe("smote:neighbors_from=ros"), X, y, 0)
    with pytest.raises(UsageError, match="neighbor_space set instead"):
        balance_training(parse_recipe("smote"), X, y, 0, neighbor_space=X[:, 0])
