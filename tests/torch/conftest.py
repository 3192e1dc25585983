import numpy as np
import pytest

#: Parameters that let every registered sampler run on the tiny fixture.
EXTRA = {"kmeans-smote": {"kmeans_estimator": 3, "cluster_balance_threshold": 0.05}}


def make_images(n_per_class=(30, 10, 14), shape=(6, 6), seed=0, noise=0.15):
    """Smooth class-dependent uint8 images: realistic enough for kNN, tiny."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for c, n in enumerate(n_per_class):
        proto = rng.uniform(0, 1, size=shape)
        imgs = np.clip(proto + rng.normal(0, noise, size=(n, *shape)), 0, 1)
        X.append(np.rint(imgs * 255).astype(np.uint8))
        y += [c] * n
    return np.concatenate(X), np.array(y)


class LazyImages:
    """The lazy-dataset protocol: ``__len__``, ``y`` and ``read(indices)``.

    Counts the images read, to check that synthesis reads only the parents.
    """

    def __init__(self, X, y):
        self._X = X
        self.y = y
        self.n_read = 0

    def __len__(self):
        return len(self.y)

    def read(self, indices):
        indices = np.asarray(indices)
        self.n_read += len(indices)
        return self._X[indices].copy()


@pytest.fixture
def images():
    return make_images()


@pytest.fixture(name="make_images")
def _make_images_fixture():
    return make_images


@pytest.fixture(name="lazy_images")
def _lazy_images_fixture():
    return LazyImages


@pytest.fixture(name="extra")
def _extra_fixture():
    return EXTRA
