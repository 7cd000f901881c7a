"""Observer scopes: each forward node carries the path of the module that ran it, as in
named_modules(); ops run outside any module get ""."""
from collections import Counter

import engine as sg
from engine import nn


class Recorder(sg.Observer):
    def __init__(self):
        self.forward = []
        self.backward = []

    def on_forward(self, node):
        self.forward.append((node.op, node.scope))

    def on_backward(self, node, grad):
        self.backward.append((node.op, node.scope))


def test_mlp_layers_are_scoped_by_index_and_loss_outside_is_top_level():
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3))
    with sg.observe(Recorder()) as rec:
        loss = nn.CrossEntropyLoss()(model(sg.randn(5, 2)), sg.tensor([0, 1, 2, 0, 1]))
        loss.backward()
    assert rec.forward == [("linear", "0"), ("relu", "1"), ("linear", "2"), ("cross_entropy", "")]
    assert rec.backward == list(reversed(rec.forward))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.act(self.fc1(x)) * 2  # the mul belongs to the encoder itself


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = nn.Sequential(nn.Linear(4, 3), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


def test_nested_modules_give_dotted_paths():
    model = AutoEncoder()
    with sg.observe(Recorder()) as rec:
        model(sg.randn(2, 3))
    assert rec.forward == [("linear", "encoder.fc1"), ("tanh", "encoder.act"),
                           ("mul", "encoder"), ("linear", "decoder.0"), ("sigmoid", "decoder.1")]
    paths = {name for name, _ in model.named_modules()}
    assert {scope for _, scope in rec.forward} <= paths


def test_a_submodule_called_alone_is_its_own_root():
    model = AutoEncoder()
    with sg.observe(Recorder()) as rec:
        model.encoder(sg.randn(2, 3))
    assert rec.forward == [("linear", "fc1"), ("tanh", "act"), ("mul", "")]


def test_lstm_gate_ops_carry_the_lstm_path():
    model = nn.Sequential(nn.Linear(3, 3), nn.LSTM(3, 4, batch_first=True))
    steps = 5
    with sg.observe(Recorder()) as rec:
        out, _ = model(sg.randn(2, steps, 3))
        out.sum().backward()
    lstm_ops = Counter(op for op, scope in rec.forward if scope == "1")
    assert lstm_ops["linear"] == steps  # all four gates in one product per step
    assert lstm_ops["getitem"] == 5 * steps + 2  # x[:, t], the four gates; h0[0], c0[0]
    assert lstm_ops["sigmoid"] == 3 * steps
    assert lstm_ops["tanh"] == 2 * steps
    assert lstm_ops["mul"] == 3 * steps
    assert lstm_ops["add"] == steps + 1  # c = f*c + i*g; the two biases summed once
    assert [scope for op, scope in rec.forward if op == "linear"][0] == "0"
    assert rec.forward[-1] == ("sum", "")
    backward_ops = Counter(op for op, scope in rec.backward if scope == "1")
    assert backward_ops["sigmoid"] == 3 * steps and backward_ops["linear"] == steps


def test_batchnorm_and_layernorm_ops_are_scoped():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.LayerNorm(4))
    with sg.observe(Recorder()) as rec:
        model(sg.randn(6, 3))
    scopes = [scope for _, scope in rec.forward]
    assert scopes[0] == "0" and set(scopes[1:]) == {"1", "2"}
    assert ("mean", "1") in rec.forward and ("sqrt", "2") in rec.forward
