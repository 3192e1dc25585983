"""Bad input gets a clear error naming the parameter or class (property-based too)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pixsmote import ADASYN, SMOTE, RandomOverSampler, RandomUnderSampler


def test_length_mismatch(make_images):
    X, y = make_images()
    with pytest.raises(ValueError, match="same number of samples.*Got 110 samples"):
        SMOTE().fit_resample(X, y[:-1])


def test_nan_and_inf():
    X = np.random.default_rng(0).random((20, 4, 4))
    X[3, 1, 1] = np.nan
    y = np.array([0] * 14 + [1] * 6)
    with pytest.raises(ValueError, match="NaN or infinity.*index 3"):
        SMOTE().fit_resample(X, y)
    X[3, 1, 1] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        SMOTE().fit_resample(X, y)


def test_bad_shapes_and_dtypes():
    y = np.array([0, 1] * 5)
    with pytest.raises(ValueError, match="must be 2-D .* Got shape \\(10,\\)"):
        SMOTE().fit_resample(np.arange(10.0), y)
    with pytest.raises(ValueError, match="Got shape"):
        SMOTE().fit_resample(np.zeros((10, 2, 2, 2, 2)), y)
    with pytest.raises(ValueError, match="ragged"):
        SMOTE().fit_resample([[1, 2], [3]] * 5, y)
    with pytest.raises(TypeError, match="dtype object"):
        SMOTE().fit_resample(
            np.array([["a", 1]] * 10, dtype=object).reshape(10, 2, 1), y
        )
    with pytest.raises(TypeError, match="Got dtype complex128"):
        SMOTE().fit_resample(np.zeros((10, 3), dtype=complex), y)


def test_object_dtype_still_works_where_imblearn_accepts_it():
    X = np.array([["a", 1.0], ["b", 2.0]] * 10, dtype=object)
    y = np.array([0] * 14 + [1] * 6)
    Xr, yr = RandomOverSampler(random_state=0).fit_resample(X, y)
    assert Xr.dtype == object and np.bincount(yr).tolist() == [14, 14]
    Xr, yr = RandomUnderSampler(random_state=0).fit_resample(X, y)
    assert np.bincount(yr).tolist() == [6, 6]


def test_single_class():
    with pytest.raises(ValueError, match="more than 1 class"):
        SMOTE().fit_resample(np.zeros((10, 4, 4), np.uint8), np.zeros(10))


def test_class_too_small_names_class_count_and_k(make_images):
    X, y = make_images(n_per_class=(30, 4))
    with pytest.raises(
        ValueError,
        match=r"Class 1 has 4 sample\(s\).*k_neighbors=5.*"
        r"RandomOverSampler\. Got k_neighbors=5 instead",
    ):
        SMOTE().fit_resample(X, y)
    with pytest.warns(UserWarning, match="using k_neighbors=3 instead of 5"):
        Xr, yr = SMOTE(k_neighbors="auto", random_state=0).fit_resample(X, y)
    assert np.bincount(yr).tolist() == [30, 30]
    X1, y1 = make_images(n_per_class=(30, 1))
    with pytest.raises(ValueError, match="too few to find even one neighbour"):
        SMOTE(k_neighbors="auto").fit_resample(X1, y1)
    with pytest.warns(UserWarning):
        ADASYN(n_neighbors="auto", random_state=0).fit_resample(X, y)


def test_invalid_parameters_are_named():
    X = np.zeros((10, 4), np.uint8)
    y = np.array([0] * 6 + [1] * 4)
    with pytest.raises(ValueError, match="'k_neighbors' parameter"):
        SMOTE(k_neighbors=0).fit_resample(X, y)
    with pytest.raises(ValueError, match="'neighbor_space' parameter"):
        SMOTE(neighbor_space=3).fit_resample(X, y)
    with pytest.raises(ValueError, match="'sampling_strategy' parameter"):
        SMOTE(sampling_strategy="most").fit_resample(X, y)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.sampled_from([(5,), (4, 4), (3, 4, 1), (3, 3, 3)]),
    dtype=st.sampled_from([np.uint8, np.uint16, np.float32, np.float64]),
    counts=st.lists(st.integers(6, 25), min_size=2, max_size=4),
    labels=st.sampled_from(["int", "str"]),
    seed=st.integers(0, 2**16),
)
def test_property_smote_any_images(shape, dtype, counts, labels, seed):
    rng = np.random.default_rng(seed)
    n = sum(counts)
    if np.issubdtype(dtype, np.integer):
        X = rng.integers(
            0, np.iinfo(dtype).max, size=(n, *shape), endpoint=True, dtype=dtype
        )
    else:
        X = rng.random((n, *shape)).astype(dtype)
    y = np.repeat(np.arange(len(counts)), counts)
    if labels == "str":
        y = np.array([f"class-{c}" for c in y])
    s = SMOTE(random_state=seed)
    Xr, yr = s.fit_resample(X, y)
    assert Xr.dtype == X.dtype and Xr.shape[1:] == X.shape[1:]
    _, c = np.unique(yr, return_counts=True)
    assert (c == max(counts)).all()
    np.testing.assert_array_equal(Xr[:n], X)
    # every synthetic value lies between its parents (interpolation, no wrap)
    lo = np.minimum(X[s.plan_.base], X[s.plan_.neighbor])
    hi = np.maximum(X[s.plan_.base], X[s.plan_.neighbor])
    syn = Xr[n:]
    if np.issubdtype(dtype, np.floating):
        tol = 1e-5 if dtype == np.float32 else 1e-12
        assert (syn >= lo - tol).all() and (syn <= hi + tol).all()
    else:
        assert (syn >= lo).all() and (syn <= hi).all()
    assert ((s.plan_.gap >= 0) & (s.plan_.gap < 1)).all()


def _one_class_far_away():
    """Class 2 lies far from the others: none of its samples is in danger."""
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (60, 3)), rng.normal(0.5, 1, (30, 3)),
                        rng.normal(50, 1, (15, 3))])  # fmt: skip
    return X, np.repeat([0, 1, 2], [60, 30, 15])


def test_borderline_says_when_it_leaves_a_class_short_as_imblearn_does():
    import warnings

    from imblearn.over_sampling import BorderlineSMOTE as ImbBorderline

    from pixsmote import BorderlineSMOTE

    X, y = _one_class_far_away()
    with pytest.warns(UserWarning, match=r"BorderlineSMOTE: class 2 gets 0 of the "
                      r"45 synthetic samples .* stays at 15 samples"):  # fmt: skip
        _, y_res = BorderlineSMOTE(random_state=0).fit_resample(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, y_imb = ImbBorderline(random_state=0).fit_resample(X, y)
    assert np.bincount(y_res).tolist() == np.bincount(y_imb).tolist()
    assert np.bincount(y_res)[2] == 15


def test_no_shortfall_warning_when_every_class_is_balanced():
    import warnings

    from pixsmote import SMOTE, BorderlineSMOTE

    rng = np.random.default_rng(1)
    X = rng.normal(0, 1, (90, 3))
    y = np.repeat([0, 1], [60, 30])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for sampler in (BorderlineSMOTE(random_state=0), SMOTE(random_state=0)):
            _, y_res = sampler.fit_resample(X, y)
            assert np.bincount(y_res).tolist() == [60, 60]
