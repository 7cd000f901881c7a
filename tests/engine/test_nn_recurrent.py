"""RNN, GRU, LSTM (PyTorch's signature: num_layers third, batch_first=False, dropout) and
their cells: against PyTorch with the same weights (outputs, states, every gradient) and
against finite differences in float64."""
import numpy as np
import pytest

import engine as sg
from engine import nn

from .nn_checks import compare_with_torch, gradcheck

torch = pytest.importorskip("torch")
tnn = torch.nn


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def double(module, seed=0):
    """module in float64, parameters moved off their defaults."""
    module.double()
    rng = np.random.default_rng(seed)
    for p in module.parameters():
        p.array = p.array + 0.5 * rng.standard_normal(p.shape)
    return module


class WithState(tnn.Module):
    """Passes (x, state...) so that the initial state gets a gradient too."""

    def __init__(self, inner, pair):
        super().__init__()
        self.inner, self.pair = inner, pair

    def forward(self, x, *state):
        return self.inner(x, tuple(state) if self.pair else state[0])


class OursWithState(nn.Module):
    def __init__(self, inner, pair):
        super().__init__()
        self.inner, self.pair = inner, pair

    def forward(self, x, *state):
        return self.inner(x, tuple(state) if self.pair else state[0])


LAYERS = {"LSTM": (nn.LSTM, tnn.LSTM), "GRU": (nn.GRU, tnn.GRU), "RNN": (nn.RNN, tnn.RNN)}


def test_lstm_takes_pytorchs_positional_order_and_defaults():
    lstm = nn.LSTM(3, 4, 2)
    assert (lstm.num_layers, lstm.bias, lstm.batch_first, lstm.dropout) == (2, True, False, 0.0)
    out, (h, c) = lstm(sg.randn(5, 2, 3))  # (T, N, I)
    assert out.shape == (5, 2, 4) and h.shape == c.shape == (2, 2, 4)


@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize("num_layers,batch_first,bias", [(1, False, True), (2, True, True),
                                                          (2, False, False)])
def test_layers_vs_torch(kind, num_layers, batch_first, bias):
    ours, theirs = (cls(3, 5, num_layers, bias=bias, batch_first=batch_first)
                    for cls in LAYERS[kind])
    compare_with_torch(ours, theirs, [randn(2, 4, 3)])


@pytest.mark.parametrize("kind", list(LAYERS))
def test_layers_with_initial_state_vs_torch(kind):
    ours, theirs = (cls(3, 4, 2) for cls in LAYERS[kind])
    pair = kind == "LSTM"
    state = [randn(2, 3, 4, seed=1)] + ([randn(2, 3, 4, seed=2)] if pair else [])
    compare_with_torch(OursWithState(ours, pair), WithState(theirs, pair),
                       [randn(5, 3, 3)] + state)


def test_rnn_relu_vs_torch():
    compare_with_torch(nn.RNN(3, 4, 2, nonlinearity="relu"),
                       tnn.RNN(3, 4, 2, nonlinearity="relu"), [randn(4, 2, 3)])


CELLS = {"LSTMCell": (nn.LSTMCell, tnn.LSTMCell), "GRUCell": (nn.GRUCell, tnn.GRUCell),
         "RNNCell": (nn.RNNCell, tnn.RNNCell)}


@pytest.mark.parametrize("kind", list(CELLS))
@pytest.mark.parametrize("bias", [True, False])
def test_cells_vs_torch(kind, bias):
    ours, theirs = (cls(3, 4, bias=bias) for cls in CELLS[kind])
    pair = kind == "LSTMCell"
    state = [randn(2, 4, seed=1)] + ([randn(2, 4, seed=2)] if pair else [])
    compare_with_torch(OursWithState(ours, pair), WithState(theirs, pair),
                       [randn(2, 3)] + state)
    compare_with_torch(ours, theirs, [randn(3)])  # unbatched, zero state


@pytest.mark.parametrize("make,shapes", [
    (lambda: nn.GRU(2, 3, 2), [(3, 2, 2)]),
    (lambda: nn.RNN(2, 3, batch_first=True), [(2, 3, 2)]),
    (lambda: nn.RNN(2, 3, nonlinearity="relu"), [(3, 2, 2)]),
    (lambda: OursWithState(nn.LSTMCell(2, 3), True), [(2, 2), (2, 3), (2, 3)]),
    (lambda: nn.GRUCell(2, 3), [(2, 2)]),
    (lambda: nn.RNNCell(2, 3, bias=False), [(2, 2)]),
], ids=["gru", "rnn", "rnn_relu", "lstm_cell", "gru_cell", "rnn_cell"])
def test_gradients_match_central_differences(make, shapes):
    gradcheck(double(make()), [randn(*s, seed=i).astype(np.float64)
                               for i, s in enumerate(shapes)])


def test_dropout_between_layers_only_while_training():
    sg.manual_seed(0)
    lstm = nn.LSTM(3, 4, 2, dropout=0.5)
    x = sg.randn(6, 2, 3)
    train_out, _ = lstm(x)
    lstm.eval()
    eval_out, _ = lstm(x)
    theirs = tnn.LSTM(3, 4, 2, dropout=0.5).eval()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in lstm.state_dict().items()})
    np.testing.assert_allclose(eval_out.numpy(), theirs(torch.tensor(x.numpy()))[0].detach(),
                               rtol=1e-5, atol=1e-6)
    assert not np.allclose(train_out.numpy(), eval_out.numpy())


def test_every_gate_op_is_a_node_under_the_layer_scope():
    class Recorder(sg.Observer):
        def __init__(self):
            self.ops = []

        def on_forward(self, node):
            self.ops.append((node.op, node.scope))

    model = nn.Sequential(nn.GRU(3, 4))
    with sg.observe(Recorder()) as rec:
        model(sg.randn(5, 2, 3))
    gru = [op for op, scope in rec.ops if scope == "0"]
    assert gru.count("sigmoid") == 2 * 5 and gru.count("tanh") == 5
    assert gru.count("linear") == 3 * 5  # r and u in one product, then W_in x and W_hn h
    with sg.observe(Recorder()) as rec:
        nn.Sequential(nn.LSTM(3, 4))(sg.randn(5, 2, 3))
    lstm = [op for op, scope in rec.ops if scope == "0"]
    assert lstm.count("linear") == 5 and lstm.count("sigmoid") == 3 * 5
    assert lstm.count("tanh") == 2 * 5 and lstm.count("mul") == 3 * 5


@pytest.mark.parametrize("call,error,message", [
    (lambda: nn.LSTM(3, 4, bidirectional=True), NotImplementedError, "bidirectional"),
    (lambda: nn.GRU(3, 4, dropout=1.5), ValueError, r"dropout must be in \[0, 1\]"),
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError, "unknown nonlinearity"),
    (lambda: nn.GRU(3, 4)(sg.randn(5, 2, 3), sg.zeros(1, 3, 4)), sg.ShapeError,
     r"GRU: expected h0 of shape \(1, 2, 4\), got \(1, 3, 4\)"),
    (lambda: nn.GRUCell(3, 4)(sg.randn(2, 5)), sg.ShapeError,
     r"GRUCell: expected input \(N, 3\) or \(3,\), got \(2, 5\)"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
