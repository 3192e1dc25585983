"""Neighbour spaces: pixels, PCA, given features, a callable; synthesis stays in pixels."""

import numpy as np
import pytest

from pixsmote import SMOTE, BorderlineSMOTE, SVMSMOTE
from pixsmote.sampling import BlockKNN


@pytest.mark.parametrize("cls", [SMOTE, BorderlineSMOTE, SVMSMOTE])
def test_feature_array_decides_neighbours(cls, make_images):
    X, y = make_images(shape=(8, 8))
    # Features that put each minority sample next to a known partner.
    F = np.zeros((len(X), 2))
    F[:, 0] = np.arange(len(X)) // 2
    F[:, 1] = y * 1000.0
    s = cls(random_state=0, neighbor_space=F, k_neighbors=1)
    if cls is SMOTE:
        s.fit_resample(X, y)
        p = s.plan_
        assert (p.base // 2 == p.neighbor // 2).all()  # the nearest in F-space
    else:
        s.fit_resample(X, y)
    assert s.features_shape_ == (len(X), 2)


def test_pca_and_callable(make_images):
    X, y = make_images(shape=(8, 8, 3))
    a = SMOTE(random_state=0, neighbor_space="pca", n_components=5)
    Xa, ya = a.fit_resample(X, y)
    assert a.features_shape_ == (len(X), 5) and Xa.dtype == np.uint8
    seen = {}

    def embed(images):
        seen["shape"] = images.shape
        return images.reshape(len(images), -1)[:, :7].astype(float)

    b = SMOTE(random_state=0, neighbor_space=embed)
    b.fit_resample(X, y)
    assert seen["shape"] == X.shape  # the callable sees images as passed
    assert b.features_shape_ == (len(X), 7)


def test_pixel_space_uint8_uses_block_knn_with_same_neighbours(make_images):
    from sklearn.neighbors import NearestNeighbors

    X, y = make_images(shape=(8, 8, 3))
    X2 = X.reshape(len(X), -1)
    ours = BlockKNN(6, block_rows=7).fit(X2).kneighbors(X2, return_distance=False)
    ref = NearestNeighbors(n_neighbors=6).fit(X2.astype(float)).kneighbors(
        X2.astype(float), return_distance=False)
    np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize(
    "space,match",
    [("wavelet", "neighbor_space"),
     (np.zeros((5, 2)), "one row of features per sample"),
     (lambda X: np.zeros(3), "one row of features per sample")],
)
def test_bad_neighbor_space(space, match, make_images):
    X, y = make_images()
    with pytest.raises(ValueError, match=match):
        SMOTE(neighbor_space=space).fit_resample(X, y)
