import pytest
import torch

from pixsmote._errors import UsageError
from pixsmote.train import MODELS, get_model, list_models

SHAPES = [(1, 8), (1, 28), (3, 32)]


def test_registry_names():
    assert list_models() == [
        "small-cnn",
        "resnet20",
        "resnet32",
        "resnet18",
        "googlenet",
    ]
    assert set(MODELS) == set(list_models())


@pytest.mark.parametrize("name", list_models())
@pytest.mark.parametrize(("channels", "size"), SHAPES)
def test_forward_backward(name, channels, size):
    torch.manual_seed(0)
    net = get_model(name, channels, 7, size)
    x = torch.rand(2, channels, size, size)
    out = net(x)
    assert out.shape == (2, 7)
    out.logsumexp(1).mean().backward()
    grads = [p.grad for p in net.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


def test_non_square_and_normed_head():
    net = get_model("resnet20", 1, 4, (8, 12), head_scale=30.0)
    out = net(torch.rand(3, 1, 8, 12))
    assert out.shape == (3, 4)
    assert out.abs().max() <= 30.0 + 1e-4  # cosine logits times the scale


def test_errors():
    with pytest.raises(
        UsageError, match=r"Expected one of \[.*'small-cnn'.*\]\. Got 'vgg'"
    ):
        get_model("vgg", 1, 10, 28)
    with pytest.raises(UsageError, match="at least 8"):
        get_model("small-cnn", 1, 10, 7)
    with pytest.raises(UsageError, match="in_channels"):
        get_model("small-cnn", 2, 10, 28)
    with pytest.raises(UsageError, match="n_classes"):
        get_model("small-cnn", 1, 1, 28)
    with pytest.raises(UsageError, match="Bad option for model 'resnet20'"):
        get_model("resnet20", 1, 10, 28, width=2)
