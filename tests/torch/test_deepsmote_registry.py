"""DeepSMOTE through the sampler registry."""

import numpy as np
import pytest

from pixsmote._errors import UsageError
from pixsmote.sampling import SAMPLERS, get_sampler, list_samplers
from pixsmote.torch import DeepSMOTE, ResampledDataset


def test_registered_as_a_synthetic_over_sampler():
    spec = SAMPLERS["deepsmote"]
    assert spec.cls is DeepSMOTE
    assert (spec.kind, spec.synthetic, spec.images_only) == ("over", True, True)
    assert "deepsmote" in list_samplers(synthetic=True)
    s = get_sampler("deepsmote", penalty_mode="released", epochs=1, random_state=0)
    assert isinstance(s, DeepSMOTE) and s.penalty_mode == "released"
    with pytest.raises(UsageError, match="no parameter 'kind'"):
        get_sampler("deepsmote", kind="x")


def test_resampled_dataset_points_to_the_online_form():
    X = np.zeros((20, 8, 8), np.uint8)
    y = np.repeat([0, 1], [15, 5])
    with pytest.raises(UsageError, match="DeepSMOTEEpochs"):
        ResampledDataset(X, y, sampler=DeepSMOTE(epochs=1))
    with pytest.raises(UsageError, match="DeepSMOTEEpochs"):
        ResampledDataset(X, y, sampler="deepsmote")


def test_no_feature_recipe():
    from pixsmote.app import list_recipes
    from pixsmote.torch import list_feature_recipes

    assert "feature-deepsmote" not in list_recipes()
    assert "feature-deepsmote" not in list_feature_recipes()
    assert {"deepsmote", "online-deepsmote"} <= set(list_recipes())
    assert [n for n in list_recipes("two-stage")] == list_feature_recipes()
