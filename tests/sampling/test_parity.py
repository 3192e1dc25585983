"""Bit-for-bit parity with imbalanced-learn on 2-D float64 data, pixel space."""

import numpy as np
import pytest
from imblearn import combine, over_sampling, under_sampling
from sklearn.datasets import make_classification

from pixsmote.sampling import SAMPLERS

#: Registered samplers with an imbalanced-learn counterpart (DeepSMOTE has none;
#: tests/torch/test_deepsmote.py covers it).
IMBLEARN_NAMES = [n for n in SAMPLERS if not SAMPLERS[n].images_only]

#: imbalanced-learn's class of the same name, for each of them.
IMBLEARN = {
    name: getattr(
        {"over": over_sampling, "under": under_sampling, "combine": combine}[spec.kind],
        spec.cls.__name__,
    )
    for name, spec in SAMPLERS.items()
    if name in IMBLEARN_NAMES
}


def _datasets():
    yield (
        "binary",
        make_classification(
            n_samples=200,
            n_features=6,
            n_informative=4,
            weights=[0.8, 0.2],
            class_sep=0.8,
            random_state=1,
        ),
    )
    yield (
        "multiclass",
        make_classification(
            n_samples=300,
            n_features=10,
            n_informative=5,
            n_classes=3,
            weights=[0.6, 0.3, 0.1],
            class_sep=0.7,
            random_state=2,
        ),
    )
    X, y = make_classification(
        n_samples=240,
        n_features=8,
        n_informative=5,
        n_classes=4,
        weights=[0.4, 0.3, 0.2, 0.1],
        class_sep=1.0,
        random_state=3,
    )
    yield "strings", (X, np.array(["cat", "dog", "fox", "owl"])[y])


DATASETS = dict(_datasets())

# KMeans-SMOTE needs clusters where the class is common: fewer clusters, lower
# threshold (the same parameters are given to both libraries).
EXTRA = {"kmeans-smote": {"kmeans_estimator": 3, "cluster_balance_threshold": 0.05}}


def _strategies(y, kind):
    classes, counts = np.unique(y, return_counts=True)
    yield "auto"
    if kind != "under":
        yield "all" if kind == "over" else "auto"
        target = {
            c: int(counts.max()) for c in classes if c != classes[counts.argmax()]
        }
        yield target
        yield (lambda yy: target)
        if len(classes) == 2:
            yield 0.75
    else:
        small = int(counts.min())
        yield {c: small for c in classes}
        if len(classes) == 2:
            yield 0.9


def _run(cls, params, X, y):
    return cls(**params).fit_resample(X, y)


@pytest.mark.parametrize("data", sorted(DATASETS))
@pytest.mark.parametrize("name", sorted(IMBLEARN_NAMES))
@pytest.mark.parametrize("seed_kind", ["int", "RandomState"])
def test_bit_for_bit(name, data, seed_kind):
    X, y = DATASETS[data]
    spec = SAMPLERS[name]
    strategies = list(_strategies(y, spec.kind))
    if name == "kmeans-smote":  # k-means per class is slow; two forms suffice
        strategies = strategies[::2]
    for strategy in strategies:

        def params(strategy=strategy):
            rs = 7 if seed_kind == "int" else np.random.RandomState(7)
            return {
                **spec.params,
                **EXTRA.get(name, {}),
                "random_state": rs,
                "sampling_strategy": strategy,
            }

        try:
            expected = _run(IMBLEARN[name], params(), X, y)
        except (RuntimeError, ValueError) as exc:
            # Where imbalanced-learn refuses, pixsmote refuses the same way.
            with pytest.raises(type(exc)):
                _run(spec.cls, params(), X, y)
            continue
        got = _run(spec.cls, params(), X, y)
        assert got[0].dtype == expected[0].dtype
        np.testing.assert_array_equal(got[0], expected[0], err_msg=f"{strategy!r}")
        np.testing.assert_array_equal(got[1], expected[1], err_msg=f"{strategy!r}")


@pytest.mark.parametrize("name", sorted(IMBLEARN_NAMES))
def test_parity_and_plan_agree(name):
    """The returned synthetic rows are exactly ``synthesize(X, plan_)``."""
    from pixsmote.sampling import synthesize

    X, y = DATASETS["multiclass"]
    spec = SAMPLERS[name]
    s = spec.cls(random_state=0, **spec.params, **EXTRA.get(name, {}))
    X_res, y_res = s.fit_resample(X, y)
    syn = synthesize(X, s.plan_)
    if spec.kind == "combine":
        # rows come in the cleaner's order: compare as sets of rows
        expect = np.concatenate([X[s.sample_indices_], syn])
        assert sorted(map(tuple, X_res)) == sorted(map(tuple, expect))
    else:
        np.testing.assert_array_equal(
            X_res[: len(s.sample_indices_)], X[s.sample_indices_]
        )
        np.testing.assert_array_equal(X_res[len(s.sample_indices_) :], syn)
    assert len(y_res) == len(s.sample_indices_) + len(s.plan_)


def test_smotenc_smoten_delegate_with_plan():
    from imblearn.over_sampling import SMOTEN as ImbSMOTEN
    from imblearn.over_sampling import SMOTENC as ImbSMOTENC

    from pixsmote import SMOTEN, SMOTENC

    rng = np.random.RandomState(0)
    n = 60
    X = np.empty((n, 3), dtype=object)
    X[:, 0] = rng.choice(["a", "b", "c"], n)
    X[:, 1] = rng.normal(size=n)
    X[:, 2] = rng.randint(0, 3, n)
    y = np.array([0] * 45 + [1] * 15)
    a = SMOTENC(categorical_features=[0, 2], random_state=0).fit_resample(X, y)
    b = ImbSMOTENC(categorical_features=[0, 2], random_state=0).fit_resample(X, y)
    np.testing.assert_array_equal(a[0], b[0])
    s = SMOTENC(categorical_features=[0, 2], random_state=0)
    s.fit_resample(X, y)
    assert len(s.plan_) == 30 and (y[s.plan_.base] == 1).all()
    Xc = X[:, [0, 2]].astype(str)
    a = SMOTEN(random_state=0).fit_resample(Xc, y)
    b = ImbSMOTEN(random_state=0).fit_resample(Xc, y)
    np.testing.assert_array_equal(a[0], b[0])
