"""A lazy folder source and the same images in memory give identical plans.

The neighbour features of a lazy source are computed by the same chunked code
as those of an array (``pixsmote.sampling.compute_features`` over a row
reader), so every neighbour space, sampler and epoch must agree bit for bit.
"""

import numpy as np
import pytest

from pixsmote import SMOTE, SMOTEENN, BorderlineSMOTE
from pixsmote.sampling import _neighbors, compute_features
from pixsmote.torch import ResampledDataset
from pixsmote.torch._source import LazySource

Image = pytest.importorskip("PIL.Image")
data = pytest.importorskip("pixsmote.data")

N_PER_CLASS = (180, 50, 70)  # 300 images of 8x8x3: d = 192
CHUNK_ROWS = 40  # rows per chunk once the chunk budget is shrunk: 8 chunks


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    common = rng.uniform(0.2, 0.8, size=(8, 8, 3))
    for c, n in enumerate(N_PER_CLASS):
        (root / f"c{c}").mkdir()
        # Overlapping classes, so Borderline-SMOTE finds samples in danger.
        proto = common + rng.normal(0, 0.03, size=(8, 8, 3))
        imgs = np.clip(proto + rng.normal(0, 0.2, size=(n, 8, 8, 3)), 0, 1)
        for i, img in enumerate(np.rint(imgs * 255).astype(np.uint8)):
            Image.fromarray(img).save(root / f"c{c}" / f"{i:03d}.png")
    return root


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(_neighbors, "_CHUNK_BYTES", 8 * 192 * CHUNK_ROWS)
    assert _neighbors._chunk_rows(192) == CHUNK_ROWS


def _embed(X):
    """A callable space: it sees the array, or the lazy dataset as passed."""
    images = X if isinstance(X, np.ndarray) else X.read(np.arange(len(X)))
    return images.reshape(len(images), -1)[:, ::5].astype(np.float64) / 255


SPACES = ["pixel", "pca", "pca-subsample", "array", "callable"]
SAMPLERS = {
    "smote": lambda space: SMOTE(k_neighbors=3, **space),
    "borderline-2": lambda space: BorderlineSMOTE(
        k_neighbors=3, m_neighbors=6, kind="borderline-2", **space
    ),
    "smote-enn": lambda space: SMOTEENN(**space),
}


def _space(name, n, monkeypatch):
    if name == "pca-subsample":
        # More rows than the PCA fits on: the dual form on a fixed subsample.
        monkeypatch.setattr(_neighbors, "_PCA_MAX_FIT_ROWS", 128)
        return {"neighbor_space": "pca", "n_components": 6}
    if name == "pca":
        return {"neighbor_space": "pca", "n_components": 6}
    if name == "array":
        F = np.random.default_rng(1).normal(size=(n, 4))
        return {"neighbor_space": F}
    if name == "callable":
        return {"neighbor_space": _embed}
    return {}


@pytest.mark.parametrize("space_name", SPACES)
@pytest.mark.parametrize("sampler_name", list(SAMPLERS))
def test_lazy_and_in_memory_plans_identical(
    folder, small_chunks, monkeypatch, space_name, sampler_name
):
    lazy = data.read_folder(folder)
    assert lazy.is_file_backed
    X = lazy.read(np.arange(len(lazy)))
    y = lazy.y
    space = _space(space_name, len(X), monkeypatch)
    sampler = SAMPLERS[sampler_name](space)
    from_disk = ResampledDataset(lazy, sampler=sampler, seed=3)
    in_memory = ResampledDataset(X, y, sampler=sampler, seed=3)
    for epoch in (0, 1):
        idx_d, plan_d = from_disk.epoch_plan(epoch)
        idx_m, plan_m = in_memory.epoch_plan(epoch)
        np.testing.assert_array_equal(idx_d, idx_m)
        assert len(plan_d) > 0
        for field in ("cls", "base", "neighbor", "gap"):
            np.testing.assert_array_equal(
                getattr(plan_d, field), getattr(plan_m, field)
            )
        if plan_m.scale is None:
            assert plan_d.scale is None
        else:
            np.testing.assert_array_equal(plan_d.scale, plan_m.scale)


@pytest.mark.parametrize("max_fit_rows", [1024, 128])
def test_pca_features_of_a_reader_equal_those_of_the_array(
    folder, small_chunks, monkeypatch, max_fit_rows
):
    monkeypatch.setattr(_neighbors, "_PCA_MAX_FIT_ROWS", max_fit_rows)
    lazy = data.read_folder(folder)
    X = lazy.read(np.arange(len(lazy)))
    F_array = compute_features("pca", X.reshape(len(X), -1), X, 6)
    F_reader = compute_features("pca", LazySource(lazy), lazy, 6)
    assert F_array.shape == (len(X), 6) and F_array.dtype == np.float32
    np.testing.assert_array_equal(F_reader, F_array)
    # and it is the PCA: the leading scores match scikit-learn's up to sign
    from sklearn.decomposition import PCA

    if max_fit_rows >= len(X):
        ref = PCA(6).fit_transform(X.reshape(len(X), -1).astype(np.float64))
        for i in range(6):
            assert abs(np.corrcoef(F_array[:, i], ref[:, i])[0, 1]) > 0.999
