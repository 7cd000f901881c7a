"""Float64 central-difference gradient checks of each layer's forward, with respect to its
input and every parameter (no PyTorch needed)."""
import numpy as np
import pytest

import engine as sg
from engine import nn

from .nn_checks import gradcheck


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def double(module, seed=0):
    """module in float64, with its parameters moved off their (symmetric) defaults."""
    module.double()
    rng = np.random.default_rng(seed)
    for p in module.parameters():
        p.array = p.array + 0.5 * rng.standard_normal(p.shape)
    return module


@pytest.mark.parametrize("make,shape", [
    (lambda: nn.Linear(4, 3), (5, 4)),
    (lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1), (2, 2, 5, 5)),
    (lambda: nn.Conv2d(2, 2, (1, 2), bias=False), (1, 2, 3, 3)),
    (lambda: nn.MaxPool2d(2), (2, 2, 4, 4)),
    (lambda: nn.MaxPool2d(3, 2, 1), (1, 2, 5, 5)),
    (lambda: nn.BatchNorm1d(3), (5, 3)),
    (lambda: nn.BatchNorm1d(3), (4, 3, 2)),
    (lambda: nn.BatchNorm2d(2), (3, 2, 2, 3)),
    (lambda: nn.BatchNorm2d(2).eval(), (3, 2, 2, 3)),
    (lambda: nn.LayerNorm(4), (3, 4)),
    (lambda: nn.LayerNorm((2, 3)), (2, 2, 3)),
    (lambda: nn.LSTM(3, 4), (2, 3, 3)),
    (lambda: nn.LSTM(2, 3, batch_first=False, num_layers=2), (3, 2, 2)),
    (lambda: nn.GELU(), (4, 5)),
    (lambda: nn.Softmax(dim=0), (4, 5)),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), nn.Sigmoid()), (5, 3)),
], ids=lambda v: repr(v()) if callable(v) else str(v))
def test_layer_gradients_match_central_differences(make, shape):
    gradcheck(double(make()), [randn(*shape)])


def test_embedding_gradient():
    gradcheck(double(nn.Embedding(6, 3)), [np.array([[0, 2, 2], [5, 1, 0]])])


def test_lstm_initial_state_gradient():
    class WithState(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(2, 3, batch_first=True)

        def forward(self, x, h, c):
            return self.lstm(x, (h, c))

    gradcheck(double(WithState()), [randn(2, 3, 2), randn(1, 2, 3, seed=1), randn(1, 2, 3, seed=2)])


@pytest.mark.parametrize("loss,target", [
    (nn.CrossEntropyLoss(), np.array([0, 3, 1, 1, 2])),
    (nn.CrossEntropyLoss(reduction="sum"), np.random.default_rng(1).dirichlet(np.ones(4), 5)),
    (nn.MSELoss(), randn(5, 4, seed=1)),
    (nn.BCEWithLogitsLoss(reduction="none"), (randn(5, 4, seed=1) > 0).astype(np.float64)),
], ids=repr)
def test_loss_gradients(loss, target):
    class Scored(nn.Module):
        def forward(self, x):
            return loss(x, sg.tensor(target))

    gradcheck(Scored(), [randn(5, 4)])


def test_bce_gradient():
    class Scored(nn.Module):
        def forward(self, x):
            return nn.BCELoss()(x.sigmoid(), sg.tensor(np.linspace(0, 1, 12).reshape(3, 4)))

    gradcheck(Scored(), [randn(3, 4)])


def test_gradcheck_catches_a_wrong_gradient():
    class WrongTanh(sg.Function):
        def forward(self, a):
            return np.tanh(a)

        def backward(self, gy):
            return (gy * 1.01 * (1 - np.tanh(self.inputs[0].array) ** 2),)

    class Layer(nn.Module):
        def forward(self, x):
            return WrongTanh.apply(x)

    with pytest.raises(AssertionError):
        gradcheck(Layer(), [randn(3, 3)])
