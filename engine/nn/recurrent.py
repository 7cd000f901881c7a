"""Recurrent layers built from engine ops, one time step at a time, so every gate's product,
slice, sigmoid, tanh, mul and add is a node of the graph (under the layer's scope): RNN,
LSTM and GRU with PyTorch's signatures, parameter names and initialisation, and their cells.

Each step computes its gates in one product [x_t, h] @ [W_ih | W_hh].T + (b_ih + b_hh),
weights joined and biases summed once per forward, and slices them out of the (N, G*H)
result; autograd adds the slices' gradients into one array per product. GRU's candidate
gate keeps W_in x and W_hn h apart, as r scales only the second. benchmarks/lstm_steps.py
measures this against the other op sequences (one product per gate; the input projection
of all steps in one product before the steps)."""
import math

from ..autograd import ShapeError, current_scope
from ..backend import get_array_module
from ..ops import elementwise as ew, matmul as mm, shape as sh
from ..tensor import Tensor
from . import init
from .module import Module, Parameter

GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class _Weights:
    """What every step of one layer's forward shares, made once per forward."""

    def __init__(self, mode, w_ih, w_hh, b_ih, b_hh):
        self.mode, self.hidden = mode, w_hh.shape[1]
        n = self.hidden
        joined = (lambda t: t[:2 * n]) if mode == "GRU" else (lambda t: t)  # noqa: E731
        self.w = sh.cat([joined(w_ih), joined(w_hh)], dim=1)
        self.b = joined(b_ih) + joined(b_hh) if b_ih is not None else None
        if mode == "GRU":
            cut = slice(2 * n, 3 * n)
            self.candidate = (w_ih[cut], b_ih[cut] if b_ih is not None else None,
                              w_hh[cut], b_hh[cut] if b_hh is not None else None)

    def step(self, x, state):
        """One time step: the new state tuple ((h,) or (h, c) for the LSTM)."""
        h, n = state[0], self.hidden
        z = mm.linear(sh.cat([x, h], dim=1), self.w, self.b)
        if self.mode == "LSTM":
            i, f = z[:, :n].sigmoid(), z[:, n:2 * n].sigmoid()
            g, o = z[:, 2 * n:3 * n].tanh(), z[:, 3 * n:].sigmoid()
            c = f * state[1] + i * g
            return o * c.tanh(), c
        if self.mode == "GRU":
            r, u = z[:, :n].sigmoid(), z[:, n:].sigmoid()
            w_in, b_in, w_hn, b_hn = self.candidate
            new = (mm.linear(x, w_in, b_in) + r * mm.linear(h, w_hn, b_hn)).tanh()
            return (new + u * (h - new),)  # (1 - u) * new + u * h
        return (z.tanh() if self.mode == "RNN_TANH" else z.relu(),)


def _parameters(module, suffix, input_size, hidden_size, bias, gates):
    bound = 1 / math.sqrt(hidden_size)
    rows = gates * hidden_size
    setattr(module, f"weight_ih{suffix}", Parameter(init.uniform((rows, input_size), bound)))
    setattr(module, f"weight_hh{suffix}", Parameter(init.uniform((rows, hidden_size), bound)))
    if bias:
        setattr(module, f"bias_ih{suffix}", Parameter(init.uniform((rows,), bound)))
        setattr(module, f"bias_hh{suffix}", Parameter(init.uniform((rows,), bound)))


def _where(name):
    return f"{name} in '{current_scope()}'" if current_scope() else name


def _zeros(like, shape):
    return Tensor._make(get_array_module(like.array).zeros(shape, like.dtype), False, None)


class _Recurrent(Module):
    """What RNN, LSTM and GRU share: layers of cells unrolled over time.

    forward(x, state=None) -> (output, state); x is (T, N, I), or (N, T, I) with
    batch_first=True; output is every step's h of the last layer; the state is h (or
    (h, c) for the LSTM), each (num_layers, N, H). `dropout` applies to every layer's
    output but the last, while training."""

    mode = "LSTM"

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False):
        super().__init__()
        name = type(self).__name__
        if input_size < 1 or hidden_size < 1 or num_layers < 1:
            raise ValueError(f"{name}({input_size}, {hidden_size}, num_layers={num_layers}): "
                             "sizes must be positive")
        if not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout must be in [0, 1], got {dropout}")
        if bidirectional:
            raise NotImplementedError(f"{name}(bidirectional=True) is not implemented in this "
                                      "engine; run a second one on the reversed sequence")
        self.input_size, self.hidden_size = input_size, hidden_size
        self.batch_first, self.num_layers, self.bias = batch_first, num_layers, bias
        self.dropout, self.bidirectional = dropout, bidirectional
        for k in range(num_layers):
            _parameters(self, f"_l{k}", input_size if k == 0 else hidden_size, hidden_size,
                        bias, GATES[self.mode])

    def _weights(self, k):
        get = lambda name: getattr(self, f"{name}_l{k}", None)  # noqa: E731
        return _Weights(self.mode, get("weight_ih"), get("weight_hh"), get("bias_ih"),
                        get("bias_hh"))

    def forward(self, x, state=None):
        self._check(x, state)
        steps = x.shape[1] if self.batch_first else x.shape[0]
        inputs = [x[:, t] if self.batch_first else x[t] for t in range(steps)]
        parts = 2 if self.mode == "LSTM" else 1
        if state is None:
            zeros = _zeros(x, (self.num_layers, inputs[0].shape[0], self.hidden_size))
            state = (zeros,) * parts
        elif parts == 1:
            state = (state,)
        finals = []
        for k in range(self.num_layers):
            weights = self._weights(k)
            s = tuple(part[k] for part in state)
            outputs = []
            for x_t in inputs:
                s = weights.step(x_t, s)
                outputs.append(s[0])
            if self.dropout and self.training and k < self.num_layers - 1:
                outputs = [ew.dropout(o, self.dropout) for o in outputs]
            inputs = outputs
            finals.append(s)
        output = sh.stack(inputs, dim=1 if self.batch_first else 0)
        last = tuple(sh.stack([f[i] for f in finals], dim=0) for i in range(parts))
        return output, (last if parts == 2 else last[0])

    def _check(self, x, state):
        name = type(self).__name__
        layout = "(N, T, input_size)" if self.batch_first else "(T, N, input_size)"
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise ShapeError(f"{_where(name)}: expected input {layout} with input_size="
                             f"{self.input_size}, got {x.shape}")
        if state is None:
            return
        n = x.shape[0] if self.batch_first else x.shape[1]
        want = (self.num_layers, n, self.hidden_size)
        if self.mode == "LSTM":
            if len(state) != 2 or any(s.shape != want for s in state):
                raise ShapeError(f"{_where(name)}: expected (h0, c0) each of shape {want}, got "
                                 f"{tuple(getattr(s, 'shape', None) for s in state)}")
        elif getattr(state, "shape", None) != want:
            raise ShapeError(f"{_where(name)}: expected h0 of shape {want}, got "
                             f"{getattr(state, 'shape', type(state).__name__)}")

    def extra_repr(self):
        extra = "".join(f", {name}={getattr(self, name)!r}" for name, default in (
            ("num_layers", 1), ("bias", True), ("batch_first", False), ("dropout", 0.0))
            if getattr(self, name) != default)
        return f"{self.input_size}, {self.hidden_size}{extra}"


class LSTM(_Recurrent):
    """PyTorch's LSTM: gates i, f, g, o stacked in weight_ih_l{k} (4H, I) and
    weight_hh_l{k} (4H, H), all parameters U(-1/sqrt(H), 1/sqrt(H));
    forward(x, (h0, c0)=None) -> (output, (h, c))."""

    mode = "LSTM"


class GRU(_Recurrent):
    """PyTorch's GRU: gates r, z, n stacked in weight_ih_l{k} (3H, I) and weight_hh_l{k}
    (3H, H); n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h;
    forward(x, h0=None) -> (output, h)."""

    mode = "GRU"


class RNN(_Recurrent):
    """PyTorch's Elman RNN: h' = tanh (or relu) of W_ih x + b_ih + W_hh h + b_hh;
    forward(x, h0=None) -> (output, h)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r} (tanh or relu)")
        object.__setattr__(self, "mode", "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional)
        self.nonlinearity = nonlinearity


class _Cell(Module):
    """One step of a recurrent layer: forward(x, state=None) with x (N, I) or (I,)."""

    mode = "LSTM"

    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__()
        if input_size < 1 or hidden_size < 1:
            raise ValueError(f"{type(self).__name__}({input_size}, {hidden_size}): sizes must "
                             "be positive")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        _parameters(self, "", input_size, hidden_size, bias, GATES[self.mode])

    def forward(self, x, state=None):
        name = type(self).__name__
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ShapeError(f"{_where(name)}: expected input (N, {self.input_size}) or "
                             f"({self.input_size},), got {x.shape}")
        single = x.ndim == 1
        if single:
            x = x.unsqueeze(0)
        want = (x.shape[0], self.hidden_size)
        parts = 2 if self.mode == "LSTM" else 1
        if state is None:
            state = (_zeros(x, want),) * parts
        else:
            state = tuple(state) if parts == 2 else (state,)
            state = tuple(s.unsqueeze(0) if single else s for s in state)
            if any(s.shape != want for s in state):
                raise ShapeError(f"{_where(name)}: expected a state of shape {want}, got "
                                 f"{tuple(s.shape for s in state)}")
        weights = _Weights(self.mode, self.weight_ih, self.weight_hh,
                           getattr(self, "bias_ih", None), getattr(self, "bias_hh", None))
        out = weights.step(x, state)
        if single:
            out = tuple(o.squeeze(0) for o in out)
        return out if parts == 2 else out[0]

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias}"


class LSTMCell(_Cell):
    """PyTorch's LSTMCell: forward(x, (h, c)=None) -> (h', c')."""

    mode = "LSTM"


class GRUCell(_Cell):
    """PyTorch's GRUCell: forward(x, h=None) -> h'."""

    mode = "GRU"


class RNNCell(_Cell):
    """PyTorch's RNNCell (tanh or relu): forward(x, h=None) -> h'."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh"):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r} (tanh or relu)")
        object.__setattr__(self, "mode", "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU")
        super().__init__(input_size, hidden_size, bias)
        self.nonlinearity = nonlinearity
