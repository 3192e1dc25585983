"""online-<sampler> training data for the harness."""

import numpy as np
import pytest

from pixsmote._errors import UsageError
from pixsmote.app import list_online_recipes, online_train_data
from pixsmote.sampling import list_samplers
from pixsmote.torch import EpochArrays


def test_one_online_recipe_per_smote_family_sampler():
    recipes = list_online_recipes()
    assert "online-smote" in recipes
    assert recipes == [f"online-{n}" for n in list_samplers(synthetic=True)]
    assert "online-ros" not in recipes


def test_online_train_data_is_a_fresh_epoch_callable(images):
    X, y = images
    data = online_train_data("online-smote", X, y, seed=0, k_neighbors=3)
    assert isinstance(data, EpochArrays)
    (X0, y0), (X1, _) = data(0), data(1)
    assert X0.dtype == np.uint8 and y0.dtype == np.int64
    assert np.bincount(y0).tolist() == [30, 30, 30]
    n = len(X)
    assert np.array_equal(X0[:n], X) and not np.array_equal(X0[n:], X1[n:])
    assert np.array_equal(data(0)[0], X0)
    assert len(data.dataset) == len(y0)


def test_unknown_recipe_is_a_usage_error(images):
    X, y = images
    with pytest.raises(UsageError, match=r"recipe must be one of.*Got 'online-ros'"):
        online_train_data("online-ros", X, y)
