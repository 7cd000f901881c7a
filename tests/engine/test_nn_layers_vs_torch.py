"""Every layer against PyTorch: same weights (state_dict copied from torch), same outputs,
same gradients for every parameter and for the input (float32)."""
import numpy as np
import pytest

from engine import nn

from .nn_checks import compare_with_torch

torch = pytest.importorskip("torch")
tnn = torch.nn


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("bias", [True, False])
def test_linear(bias):
    compare_with_torch(nn.Linear(5, 3, bias=bias), tnn.Linear(5, 3, bias=bias), [randn(4, 5)])


def test_linear_on_3d_input():
    compare_with_torch(nn.Linear(5, 3), tnn.Linear(5, 3), [randn(2, 4, 5)])


@pytest.mark.parametrize("kernel,stride,padding,bias", [
    (3, 1, 0, True), (3, 2, 1, True), ((2, 3), (1, 2), (1, 0), False), (1, 1, 0, True)])
def test_conv2d(kernel, stride, padding, bias):
    ours = nn.Conv2d(3, 4, kernel, stride=stride, padding=padding, bias=bias)
    theirs = tnn.Conv2d(3, 4, kernel, stride=stride, padding=padding, bias=bias)
    compare_with_torch(ours, theirs, [randn(2, 3, 7, 6)])


@pytest.mark.parametrize("kernel,stride,padding", [(2, None, 0), (3, 2, 1), ((2, 3), (2, 1), 0)])
def test_max_pool2d(kernel, stride, padding):
    compare_with_torch(nn.MaxPool2d(kernel, stride, padding),
                       tnn.MaxPool2d(kernel, stride, padding), [randn(2, 3, 7, 6)])


def test_flatten():
    compare_with_torch(nn.Flatten(), tnn.Flatten(), [randn(2, 3, 4, 5)])


@pytest.mark.parametrize("ours,theirs", [
    (nn.ReLU(), tnn.ReLU()), (nn.Sigmoid(), tnn.Sigmoid()), (nn.Tanh(), tnn.Tanh()),
    (nn.GELU(), tnn.GELU()), (nn.Softmax(dim=1), tnn.Softmax(dim=1)),
    (nn.Softmax(dim=-1), tnn.Softmax(dim=-1))], ids=lambda m: repr(m))
def test_activations(ours, theirs):
    compare_with_torch(ours, theirs, [randn(4, 6) * 3])


def test_embedding():
    idx = np.array([[1, 4, 4], [0, 9, 1]], np.int64)  # repeated rows accumulate
    compare_with_torch(nn.Embedding(10, 3), tnn.Embedding(10, 3), [idx])


@pytest.mark.parametrize("shape,normalized", [((4, 6), 6), ((2, 3, 4, 5), (4, 5))])
def test_layer_norm(shape, normalized):
    ours, theirs = nn.LayerNorm(normalized), tnn.LayerNorm(normalized)
    with torch.no_grad():  # non-trivial affine parameters
        theirs.weight.copy_(torch.randn(theirs.weight.shape))
        theirs.bias.copy_(torch.randn(theirs.bias.shape))
    compare_with_torch(ours, theirs, [randn(*shape) * 2 + 1])


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("batch_first", [True, False])
def test_lstm(num_layers, batch_first):
    ours = nn.LSTM(3, 5, batch_first=batch_first, num_layers=num_layers)
    theirs = tnn.LSTM(3, 5, batch_first=batch_first, num_layers=num_layers)
    compare_with_torch(ours, theirs, [randn(2, 4, 3)])


def test_lstm_with_initial_state():
    ours, theirs = nn.LSTM(3, 4, batch_first=True), tnn.LSTM(3, 4, batch_first=True)
    h0, c0 = randn(1, 2, 4, seed=1), randn(1, 2, 4, seed=2)

    class WithState(tnn.Module):  # takes (x, h0, c0) so every input gets a gradient
        def __init__(self, lstm):
            super().__init__()
            self.lstm = lstm

        def forward(self, x, h, c):
            return self.lstm(x, (h, c))

    class OursWithState(nn.Module):
        def __init__(self, lstm):
            super().__init__()
            self.lstm = lstm

        def forward(self, x, h, c):
            return self.lstm(x, (h, c))

    compare_with_torch(OursWithState(ours), WithState(theirs), [randn(2, 5, 3), h0, c0])


def test_lstm_without_bias():
    compare_with_torch(nn.LSTM(3, 4, bias=False, batch_first=True),
                       tnn.LSTM(3, 4, batch_first=True, bias=False),
                       [randn(2, 3, 3)])


def test_small_cnn_end_to_end():
    ours = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.0), nn.Linear(64, 10))
    theirs = tnn.Sequential(tnn.Conv2d(1, 4, 3, padding=1), tnn.BatchNorm2d(4), tnn.ReLU(),
                            tnn.MaxPool2d(2), tnn.Flatten(), tnn.Dropout(0.0), tnn.Linear(64, 10))
    compare_with_torch(ours, theirs, [randn(3, 1, 8, 8)])


def test_max_pool2d_ties_send_the_gradient_to_the_first_maximum():
    x = np.random.default_rng(0).integers(0, 2, (2, 2, 6, 6)).astype(np.float32)
    compare_with_torch(nn.MaxPool2d(2), tnn.MaxPool2d(2), [x])
    compare_with_torch(nn.MaxPool2d(3, 2, 1), tnn.MaxPool2d(3, 2, 1), [x])
