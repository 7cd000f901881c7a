"""Default initialisation: shapes and distributions as PyTorch's (fixed seed, statistics
with tolerances of several standard errors)."""
import math

import numpy as np
import pytest

import engine as sg
from engine import nn


def assert_uniform(values, bound):
    """Values look like U(-bound, bound): inside the bound, reaching it, and with the
    uniform distribution's quantiles (Kolmogorov-Smirnov distance below 1.6/sqrt(n))."""
    v = np.sort(np.asarray(values, np.float64).ravel())
    assert np.abs(v).max() <= bound * (1 + 1e-6)
    assert np.abs(v).max() > 0.9 * bound
    cdf = (v + bound) / (2 * bound)
    n = v.size
    ks = max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n))
    assert ks < 1.63 / math.sqrt(n)  # 1% level


def test_linear_init():
    sg.manual_seed(0)
    layer = nn.Linear(200, 300)
    assert layer.weight.shape == (300, 200) and layer.bias.shape == (300,)
    assert layer.weight.dtype == np.float32
    assert_uniform(layer.weight.numpy(), 1 / math.sqrt(200))
    assert_uniform(layer.bias.numpy(), 1 / math.sqrt(200))


def test_conv2d_init_uses_fan_in_of_the_kernel():
    sg.manual_seed(1)
    layer = nn.Conv2d(8, 32, (3, 5))
    assert layer.weight.shape == (32, 8, 3, 5) and layer.bias.shape == (32,)
    assert_uniform(layer.weight.numpy(), 1 / math.sqrt(8 * 3 * 5))
    assert_uniform(nn.Conv2d(8, 2000, 3).bias.numpy(), 1 / math.sqrt(8 * 9))


def test_lstm_init():
    sg.manual_seed(2)
    lstm = nn.LSTM(10, 64, num_layers=2)
    shapes = {name: p.shape for name, p in lstm.named_parameters()}
    assert shapes == {"weight_ih_l0": (256, 10), "weight_hh_l0": (256, 64),
                      "bias_ih_l0": (256,), "bias_hh_l0": (256,),
                      "weight_ih_l1": (256, 64), "weight_hh_l1": (256, 64),
                      "bias_ih_l1": (256,), "bias_hh_l1": (256,)}
    for p in lstm.parameters():
        assert_uniform(p.numpy(), 1 / 8)


def test_embedding_init_is_standard_normal():
    sg.manual_seed(3)
    w = nn.Embedding(400, 50).weight.numpy().astype(np.float64)
    assert w.shape == (400, 50)
    n = w.size
    assert abs(w.mean()) < 4 / math.sqrt(n)
    assert abs(w.var() - 1) < 4 * math.sqrt(2 / n)
    assert abs(((w - w.mean()) ** 4).mean() / w.var() ** 2 - 3) < 0.1  # Gaussian kurtosis


@pytest.mark.parametrize("layer", [nn.BatchNorm1d(5), nn.BatchNorm2d(5)], ids=repr)
def test_batchnorm_init(layer):
    np.testing.assert_array_equal(layer.weight.numpy(), np.ones(5))
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(5))
    state = layer.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    np.testing.assert_array_equal(state["running_mean"], np.zeros(5))
    np.testing.assert_array_equal(state["running_var"], np.ones(5))
    assert state["num_batches_tracked"].dtype == np.int64 and state["num_batches_tracked"] == 0


def test_layer_norm_init():
    layer = nn.LayerNorm((3, 4))
    np.testing.assert_array_equal(layer.weight.numpy(), np.ones((3, 4)))
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros((3, 4)))


def test_the_seed_makes_init_reproducible():
    sg.manual_seed(7)
    a = nn.Conv2d(2, 3, 3).weight.numpy()
    sg.manual_seed(7)
    np.testing.assert_array_equal(a, nn.Conv2d(2, 3, 3).weight.numpy())


def test_state_dict_keys_and_shapes_match_torch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    ours = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(36, 5),
                         nn.LayerNorm(5), nn.Embedding(7, 5), nn.LSTM(5, 6, num_layers=2))
    theirs = tnn.Sequential(tnn.Conv2d(1, 4, 3), tnn.BatchNorm2d(4), tnn.Flatten(),
                            tnn.Linear(36, 5), tnn.LayerNorm(5), tnn.Embedding(7, 5),
                            tnn.LSTM(5, 6, num_layers=2))
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
