"""imbalanced-learn wraps uint8 differences; pixsmote rounds in float64."""

import numpy as np
from imblearn.over_sampling import SMOTE as ImbSMOTE

from pixsmote import SMOTE
from pixsmote.sampling import synthesize


def test_imblearn_corrupts_uint8_and_pixsmote_does_not(make_images):
    X, y = make_images(shape=(8, 8))
    X2 = X.reshape(len(X), -1)
    naive, _ = ImbSMOTE(random_state=0).fit_resample(X2, y)
    careful, _ = ImbSMOTE(random_state=0).fit_resample(X2.astype(np.float64), y)
    reference = np.clip(np.rint(careful), 0, 255).astype(np.uint8)
    n = len(X)
    wrong = naive[n:] != reference[n:]
    # About half of the synthetic pixels come out wrong (every negative
    # difference wraps around), far beyond a rounding difference.
    assert wrong.mean() > 0.3
    assert np.abs(naive[n:].astype(int) - reference[n:].astype(int)).max() > 100

    ours, _ = SMOTE(random_state=0).fit_resample(X, y)
    assert ours.dtype == np.uint8 and ours.shape == (len(ours), 8, 8)
    # Same plan (same draws) as imbalanced-learn; pixels equal to the rounded
    # float64 interpolation, exactly.
    np.testing.assert_array_equal(ours.reshape(len(ours), -1), reference)


def test_rounding_and_clipping_not_wrapping():
    from pixsmote.sampling import Plan

    X = np.array([[0, 255, 10, 3]], dtype=np.uint8).repeat(2, 0)
    X[1] = [255, 0, 11, 5]
    plan = Plan(
        cls=np.array([0, 0]),
        base=np.array([0, 1]),
        neighbor=np.array([1, 0]),
        gap=np.array([0.5, 1.5]),
    )  # 1.5: SVM-style extrapolation overshoots
    out = synthesize(X, plan)
    assert out[0].tolist() == [128, 128, 10, 4]  # rint(127.5)=128, rint(10.5)=10 (even)
    assert out[1].tolist() == [0, 255, 10, 2]  # clipped, not wrapped


def test_uint16_and_float32_keep_dtype(make_images):
    for dtype in (np.uint16, np.float32):
        X, y = make_images(dtype=dtype)
        Xr, _ = SMOTE(random_state=0).fit_resample(X, y)
        assert Xr.dtype == dtype
        ref = SMOTE(random_state=0).fit_resample(X.astype(np.float64), y)[0]
        if dtype == np.uint16:
            np.testing.assert_array_equal(Xr, np.clip(np.rint(ref), 0, 65535))
        else:
            np.testing.assert_allclose(Xr, ref, rtol=1e-6)
