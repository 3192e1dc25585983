"""DataFrames in, DataFrame and Series out, as imbalanced-learn does.

pandas is imported directly, not skipped when absent: imbalanced-learn's
shared checks in test_contract.py skip their pandas cases without it, and this
module failing to import is what tells a test environment it is incomplete.
"""

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import RandomOverSampler as ImbROS
from imblearn.under_sampling import RandomUnderSampler as ImbRUS

from pixsmote import SMOTE, RandomOverSampler, RandomUnderSampler


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    n = 40
    y = pd.Series(np.r_[np.zeros(30, int), np.ones(10, int)], name="label")
    X = pd.DataFrame(
        {
            "width": rng.normal(size=n),
            "count": rng.integers(0, 9, size=n).astype(np.int16),
            "colour": pd.Categorical(rng.choice(["red", "blue"], size=n)),
        },
        index=pd.RangeIndex(100, 100 + n),
    )
    return X, y


@pytest.mark.parametrize(
    "ours,theirs", [(RandomOverSampler, ImbROS), (RandomUnderSampler, ImbRUS)]
)
def test_random_samplers_keep_the_frame(frame, ours, theirs):
    X, y = frame
    X_res, y_res = ours(random_state=0).fit_resample(X, y)
    X_ref, y_ref = theirs(random_state=0).fit_resample(X, y)
    assert isinstance(X_res, pd.DataFrame) and isinstance(y_res, pd.Series)
    assert X_res.dtypes.to_dict() == X.dtypes.to_dict()  # mixed dtypes survive
    assert y_res.name == "label"
    pd.testing.assert_frame_equal(X_res, X_ref)
    pd.testing.assert_series_equal(y_res, y_ref)
    assert y_res.value_counts().nunique() == 1


def test_fit_plan_on_a_frame_gives_the_rows(frame):
    X, y = frame
    s = RandomOverSampler(random_state=0)
    idx, plan = s.fit_plan(X, y)
    assert len(plan) == 0
    X_res, _ = RandomOverSampler(random_state=0).fit_resample(X, y)
    np.testing.assert_array_equal(X.to_numpy()[idx], X_res.to_numpy())


def test_smoothed_bootstrap_on_a_numeric_frame(frame):
    X, y = frame
    X = X[["width", "count"]].astype(np.float64)
    X_res, y_res = RandomOverSampler(shrinkage=0.5, random_state=0).fit_resample(X, y)
    X_ref, _ = ImbROS(shrinkage=0.5, random_state=0).fit_resample(X, y)
    assert isinstance(X_res, pd.DataFrame) and list(X_res.columns) == list(X.columns)
    pd.testing.assert_frame_equal(X_res, X_ref)


def test_smote_on_a_frame(frame):
    X, y = frame
    X = X[["width", "count"]].astype(np.float64)
    X_res, y_res = SMOTE(k_neighbors=3, random_state=0).fit_resample(X, y)
    assert isinstance(X_res, pd.DataFrame) and isinstance(y_res, pd.Series)
    assert list(X_res.columns) == ["width", "count"] and len(X_res) == 60
