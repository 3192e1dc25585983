"""The contract every registered sampler keeps: counts, dtype, shape, seeds."""

import numpy as np
import pytest
from imblearn.pipeline import Pipeline
from imblearn.utils.estimator_checks import parametrize_with_checks
from sklearn.linear_model import LogisticRegression

from pixsmote.sampling import SAMPLERS, TABULAR_SAMPLERS, Plan, synthesize

#: Registered samplers with an imbalanced-learn counterpart (DeepSMOTE has none;
#: tests/torch/test_deepsmote.py covers it).
IMBLEARN_NAMES = [n for n in SAMPLERS if not SAMPLERS[n].images_only]

EXTRA = {"kmeans-smote": {"kmeans_estimator": 3, "cluster_balance_threshold": 0.05}}


def _instance(name, **kw):
    spec = SAMPLERS[name]
    return spec.cls(**{**spec.params, **EXTRA.get(name, {}), **kw})


def _with_listed_values(marker):
    """imbalanced-learn's parametrize mark, its values drawn into a list: it
    hands pytest a generator, which pytest 9 deprecates (removed in 10)."""
    names, values = marker.mark.args
    return pytest.mark.parametrize(names, list(values), **marker.mark.kwargs)


# Borderline/SVM-SMOTE leaving a class short is their imbalanced-learn
# behaviour (and warned about, tested in test_errors.py); not what this tests.
@pytest.mark.filterwarnings("ignore:.*synthetic samples sampling_strategy asks")
@_with_listed_values(
    parametrize_with_checks(
        [_instance(n, random_state=0) for n in IMBLEARN_NAMES if n != "kmeans-smote"]
        # imbalanced-learn checks its own KMeansSMOTE with 12 clusters, too.
        + [SAMPLERS["kmeans-smote"].cls(random_state=0, kmeans_estimator=12)]
    )
)
def test_imblearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("name", sorted(IMBLEARN_NAMES))
@pytest.mark.parametrize(
    "shape,dtype",
    [
        ((8, 8), np.uint8),
        ((6, 5, 3), np.uint8),
        ((8, 8), np.uint16),
        ((8, 8), np.float32),
        ((64,), np.float64),
    ],
)
def test_images_in_images_out(name, shape, dtype, make_images):
    X, y = make_images(shape=shape, dtype=dtype)
    s = _instance(name, random_state=0)
    X_res, y_res = s.fit_resample(X, y)
    assert X_res.shape[1:] == X.shape[1:]
    assert X_res.dtype == X.dtype
    assert len(X_res) == len(y_res) == len(s.sample_indices_) + len(s.plan_)
    counts = dict(zip(*np.unique(y_res, return_counts=True), strict=True))
    spec = SAMPLERS[name]
    if spec.kind == "over" and name not in ("kmeans-smote", "adasyn"):
        assert len(set(counts.values())) == 1 and counts[0] == 60
    elif name == "adasyn":  # per-sample counts are rounded (He et al. 2008)
        assert all(abs(v - 60) <= 3 for v in counts.values())
    elif spec.kind == "under":
        assert set(counts.values()) == {20}
    # provenance: parents exist and share the class
    p = s.plan_
    if len(p):
        assert (y[p.base] == p.cls).all()
        if name != "borderline2":
            assert (y[p.neighbor] == p.cls).all()
    # same seed, same output
    X2, y2 = _instance(name, random_state=0).fit_resample(X, y)
    np.testing.assert_array_equal(X_res, X2)


@pytest.mark.parametrize("name", sorted(IMBLEARN_NAMES))
def test_fit_plan_matches_fit_resample(name, make_images):
    X, y = make_images()
    idx, plan = _instance(name, random_state=3).fit_plan(X, y)
    s = _instance(name, random_state=3)
    X_res, y_res = s.fit_resample(X, y)
    np.testing.assert_array_equal(idx, s.sample_indices_)
    np.testing.assert_array_equal(plan.base, s.plan_.base)
    np.testing.assert_array_equal(plan.gap, s.plan_.gap)


@pytest.mark.parametrize("name", ["smote", "borderline1", "adasyn", "smote-enn"])
def test_works_in_imblearn_pipeline(name, make_images):
    X, y = make_images(shape=(64,), dtype=np.float64)
    pipe = Pipeline(
        [
            ("balance", _instance(name, random_state=0)),
            ("clf", LogisticRegression(max_iter=200)),
        ]
    )
    pipe.fit(X, y)
    # The sampler runs at fit time only; the classifier learns the classes.
    assert pipe.score(X, y) > 0.7
    assert pipe.named_steps["balance"].sampling_strategy_ is not None


def test_registry_is_complete():
    assert set(SAMPLERS) == {
        "ros",
        "rus",
        "smote",
        "borderline1",
        "borderline2",
        "svm-smote",
        "kmeans-smote",
        "adasyn",
        "smote-enn",
        "smote-tomek",
        "deepsmote",
        "m2m",
        "shape-transfer",
    }
    assert set(TABULAR_SAMPLERS) == {"smotenc", "smoten"}


def test_plan_slicing_and_concat():
    p = Plan(
        cls=np.array([1, 1, 2]),
        base=np.array([0, 1, 2]),
        neighbor=np.array([1, 0, 3]),
        gap=np.array([0.1, 0.5, 0.9]),
    )
    assert len(p[1:]) == 2 and p[[0, 2]].gap.tolist() == [0.1, 0.9]
    q = Plan.concat([p, p[:1]])
    assert len(q) == 4 and q.base.dtype == np.int64
    with pytest.raises(ValueError, match="length of Plan.base"):
        Plan(
            cls=np.array([1]),
            base=np.array([0, 1]),
            neighbor=np.array([1, 0]),
            gap=np.array([0.1, 0.2]),
        )


def test_synthesize_chunks_and_memmap(tmp_path, make_images):
    from pixsmote import SMOTE

    X, y = make_images(shape=(8, 8, 3))
    _, plan = SMOTE(random_state=0).fit_plan(X, y)
    whole = synthesize(X, plan)
    chunked = synthesize(X, plan, chunk_size=3)
    np.testing.assert_array_equal(whole, chunked)
    mm = np.lib.format.open_memmap(
        tmp_path / "out.npy", mode="w+", dtype=X.dtype, shape=(len(plan), *X.shape[1:])
    )
    synthesize(X, plan, out=mm)
    mm.flush()
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), whole)
    with pytest.raises(ValueError, match="out must have shape"):
        synthesize(X, plan, out=np.empty((1, 8, 8, 3), np.uint8))


def test_get_sampler_routes_k_neighbors():
    from pixsmote._errors import UsageError
    from pixsmote.sampling import get_sampler

    assert (
        get_sampler("smote-enn", k_neighbors=3, random_state=1).smote.k_neighbors == 3
    )
    assert get_sampler("smote-tomek", k_neighbors=2).smote.k_neighbors == 2
    assert get_sampler("adasyn", k_neighbors=4).n_neighbors == 4
    assert get_sampler("borderline2").kind == "borderline-2"
    get_sampler("ros", k_neighbors=3, neighbor_space="pca")  # no neighbours: ignored
    with pytest.raises(UsageError, match="Unknown sampler 'smot'.*Expected one of"):
        get_sampler("smot")
    with pytest.raises(UsageError, match="has no parameter 'kind'"):
        get_sampler("smote", kind="borderline-1")


@pytest.mark.parametrize("name", sorted(SAMPLERS))
@pytest.mark.parametrize("shape", [(6, 5, 3), (8, 8), (64,)])
def test_fit_accepts_what_fit_resample_accepts(name, shape, make_images):
    X, y = make_images(shape=shape, dtype=np.uint8)
    s = _instance(name, random_state=0)
    if SAMPLERS[name].images_only:  # DeepSMOTE: images in, images only
        if len(shape) < 2:
            with pytest.raises(ValueError, match="needs images"):
                s.fit(X, y)
            return
        assert s.fit(X, y) is s
        assert s.sampling_strategy_ == _instance(name).fit(X, y).sampling_strategy_
        return
    assert s.fit(X, y) is s
    expected = _instance(name, random_state=0).fit(X.reshape(len(X), -1), y)
    assert s.sampling_strategy_ == expected.sampling_strategy_
    X_res, _ = s.fit_resample(X, y)
    assert X_res.shape[1:] == X.shape[1:]
