import math
import warnings

import numpy as np
import pytest
import torch
from sklearn.metrics import balanced_accuracy_score, f1_score
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

from pixsmote._errors import DataError
from pixsmote.train import compute_metrics


@pytest.mark.parametrize("seed", range(8))
def test_against_sklearn(seed):
    rng = np.random.default_rng(seed)
    n_classes = 6
    # some seeds drop classes from y_true and/or y_pred
    true_classes = rng.choice(n_classes, size=rng.integers(2, 7), replace=False)
    y_true = rng.choice(true_classes, size=200)
    y_pred = np.where(rng.random(200) < 0.6, y_true, rng.integers(0, n_classes, 200))
    m = compute_metrics(y_true, y_pred, n_classes)
    assert m["accuracy"] == pytest.approx(np.mean(y_true == y_pred))
    with warnings.catch_warnings():  # "y_pred contains classes not in y_true"
        warnings.simplefilter("ignore", UserWarning)
        expected_acsa = balanced_accuracy_score(y_true, y_pred)
    assert m["acsa"] == pytest.approx(expected_acsa)
    assert m["macro_f1"] == pytest.approx(
        f1_score(y_true, y_pred, average="macro", zero_division=0)
    )
    cm = sk_confusion_matrix(y_true, y_pred, labels=range(n_classes))
    assert m["confusion_matrix"] == cm.tolist()
    recall = np.array(m["per_class_recall"])
    absent = ~np.isin(np.arange(n_classes), y_true)
    assert np.isnan(recall[absent]).all() and not np.isnan(recall[~absent]).any()
    assert m["gm"] == pytest.approx(np.prod(recall[~absent]) ** (1 / (~absent).sum()))


def test_gm_zero_when_a_class_is_never_right():
    m = compute_metrics([0, 0, 1, 1], [0, 0, 0, 0], 2)
    assert m["gm"] == 0.0 and m["acsa"] == 0.5 and m["per_class_recall"] == [1.0, 0.0]


def test_torch_input_and_perfect():
    y = torch.tensor([0, 1, 2, 2])
    m = compute_metrics(y, y, 3)
    assert m["accuracy"] == m["acsa"] == m["gm"] == m["macro_f1"] == 1.0


def test_empty_is_nan():
    m = compute_metrics([], [], 3)
    assert math.isnan(m["accuracy"]) and math.isnan(m["acsa"])


def test_bad_labels():
    with pytest.raises(DataError, match="labels in"):
        compute_metrics([0, 5], [0, 1], 3)
    with pytest.raises(DataError, match="same length"):
        compute_metrics([0, 1], [0], 3)
