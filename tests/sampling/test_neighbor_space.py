"""Neighbour spaces: pixels, PCA, features, a callable; synthesis stays in pixels."""

import numpy as np
import pytest

from pixsmote import SMOTE, SVMSMOTE, BorderlineSMOTE
from pixsmote.sampling import BlockKNN


# Borderline/SVM-SMOTE leaving a class short is their imbalanced-learn
# behaviour (and warned about, tested in test_errors.py); not what this tests.
@pytest.mark.filterwarnings("ignore:.*synthetic samples sampling_strategy asks")
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
    ref = (
        NearestNeighbors(n_neighbors=6)
        .fit(X2.astype(float))
        .kneighbors(X2.astype(float), return_distance=False)
    )
    np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize(
    "space,match",
    [
        ("wavelet", "neighbor_space"),
        (np.zeros((5, 2)), "one row of features per sample"),
        (lambda X: np.zeros(3), "one row of features per sample"),
    ],
)
def test_bad_neighbor_space(space, match, make_images):
    X, y = make_images()
    with pytest.raises(ValueError, match=match):
        SMOTE(neighbor_space=space).fit_resample(X, y)


def test_dual_pca_matches_sklearn_pca_up_to_sign():
    from sklearn.decomposition import PCA

    from pixsmote.sampling._neighbors import _dual_pca

    rng = np.random.default_rng(0)
    X = (rng.random((120, 400)) * 255).astype(np.uint8)  # wide: dual form
    F = _dual_pca(X, 8)
    R = PCA(8).fit_transform(X.astype(float))
    for i in range(8):
        assert abs(np.corrcoef(F[:, i], R[:, i])[0, 1]) > 0.999
    # fitted on a subsample when there are many rows: still a good projection
    G = _dual_pca(X, 8, max_fit_rows=60)
    assert G.shape == (120, 8) and np.isfinite(G).all()


def test_block_knn_exact_on_wide_images_with_near_ties():
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(1)
    base = rng.integers(0, 256, (1, 64 * 64 * 3))
    X = np.clip(base + rng.normal(0, 30, (60, base.shape[1])), 0, 255).astype(np.uint8)
    # (exact duplicates tie: pixsmote orders them by index, scikit-learn's
    # order is unspecified, so they are not compared here)
    X[30] = X[40]
    X[30, 0] ^= 1  # a near-duplicate: distance 1
    ours = BlockKNN(6, block_rows=16).fit(X).kneighbors(X, return_distance=False)
    ref = (
        NearestNeighbors(n_neighbors=6)
        .fit(X.astype(float))
        .kneighbors(X.astype(float), return_distance=False)
    )
    np.testing.assert_array_equal(ours, ref)
