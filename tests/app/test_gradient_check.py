"""The per-parameter gradient check: small error on a real MLP, large on a broken backward,
and the model untouched."""
import numpy as np
import pytest

import engine as sg
from engine import nn
from engine.ops.elementwise import Tanh

from app.teaching.gradient_check import check_parameter_gradient


@pytest.fixture
def mlp_data():
    sg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(),
                          nn.Linear(16, 3))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 2)).astype(np.float32)
    y = rng.integers(0, 3, 32)
    return model, nn.CrossEntropyLoss(), x, y


def test_mlp_gradients_match_finite_differences(mlp_data):
    model, loss_fn, x, y = mlp_data
    for name, p in model.named_parameters():
        result = check_parameter_gradient(model, loss_fn, x, y, name, samples=20)
        assert len(result.indices) == min(20, p.array.size)
        assert result.shape == tuple(p.shape)
        assert result.max_relative_error < 1e-6, result.summary()
        assert result.passed()
        assert np.abs(result.analytic).max() > 0


def test_wrong_backward_gives_a_large_error(mlp_data, monkeypatch):
    model, loss_fn, x, y = mlp_data

    def wrong_backward(self, gy):
        (out,) = self.saved
        return (gy * (1 - out),)  # should be 1 - out²
    monkeypatch.setattr(Tanh, "backward", wrong_backward)
    result = check_parameter_gradient(model, loss_fn, x, y, "0.weight")
    assert result.max_relative_error > 1e-2
    assert not result.passed()
    assert "0.weight (16, 2)" in result.summary()


def test_model_state_is_untouched(mlp_data):
    model, loss_fn, x, y = mlp_data
    loss_fn(model(sg.tensor(x)), sg.tensor(y)).backward()
    before = {n: (p.array.copy(), p.grad.numpy().copy(), p.dtype) for n, p in model.named_parameters()}
    check_parameter_gradient(model, loss_fn, x, y, "2.weight", samples=50)
    for name, p in model.named_parameters():
        data, grad, dtype = before[name]
        assert p.dtype == dtype == np.float32
        np.testing.assert_array_equal(p.array, data)
        np.testing.assert_array_equal(p.grad.numpy(), grad)


def test_seeded_sample_is_reproducible(mlp_data):
    model, loss_fn, x, y = mlp_data
    a = check_parameter_gradient(model, loss_fn, x, y, "2.weight", seed=3)
    b = check_parameter_gradient(model, loss_fn, x, y, "2.weight", seed=3)
    assert a.indices == b.indices
    np.testing.assert_array_equal(a.numeric, b.numeric)


def test_dropout_is_switched_off_in_the_copy():
    sg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.5), nn.Linear(8, 1))
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((10, 3)), rng.standard_normal((10, 1))
    result = check_parameter_gradient(model, nn.MSELoss(), x, y, "0.weight")
    assert result.max_relative_error < 1e-6
    assert model.training and model[1].training


def test_unknown_parameter_names_the_choices(mlp_data):
    model, loss_fn, x, y = mlp_data
    with pytest.raises(KeyError, match="0.weight"):
        check_parameter_gradient(model, loss_fn, x, y, "9.weight")
