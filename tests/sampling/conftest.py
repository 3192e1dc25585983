import numpy as np
import pytest
from imblearn import combine, over_sampling, under_sampling

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


def make_images(
    n_per_class=(60, 20, 30), shape=(8, 8), dtype=np.uint8, seed=0, noise=0.35
):
    """Class-dependent images that overlap (so borderline/danger sets are not
    empty): realistic enough for kNN, tiny and fast."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for c, n in enumerate(n_per_class):
        proto = rng.uniform(0.3, 0.7, size=shape)
        jitter = rng.normal(0, noise, size=(n, *shape))
        imgs = np.clip(proto + jitter, 0, 1)
        if np.issubdtype(dtype, np.integer):
            imgs = np.rint(imgs * np.iinfo(dtype).max)
        X.append(imgs.astype(dtype))
        y += [c] * n
    return np.concatenate(X), np.array(y)


@pytest.fixture
def images():
    return make_images()


@pytest.fixture(name="make_images")
def _make_images_fixture():
    return make_images


@pytest.fixture(name="imblearn_cls")
def _imblearn_fixture():
    return IMBLEARN
