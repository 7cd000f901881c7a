"""LSTM built from engine ops, one time step at a time, so every gate's linear, sigmoid,
tanh, mul and add is a node of the graph (under the LSTM's scope)."""
import math

from ..autograd import ShapeError, current_scope
from ..backend import get_array_module
from ..ops import matmul as mm, shape as sh
from ..tensor import Tensor
from . import init
from .module import Module, Parameter


class LSTM(Module):
    """PyTorch's LSTM: gates i, f, g, o stacked in weight_ih_l{k} (4H, I) and
    weight_hh_l{k} (4H, H), all parameters U(-1/sqrt(H), 1/sqrt(H)).

    forward(x, (h0, c0)=None) -> (output, (h, c)); x is (N, T, I) with batch_first=True
    (this engine's default), else (T, N, I); h0, c0 and h, c are (num_layers, N, H).
    """

    def __init__(self, input_size, hidden_size, batch_first=True, num_layers=1, bias=True):
        super().__init__()
        if input_size < 1 or hidden_size < 1 or num_layers < 1:
            raise ValueError(f"LSTM({input_size}, {hidden_size}, num_layers={num_layers}): "
                             "sizes must be positive")
        self.input_size, self.hidden_size = input_size, hidden_size
        self.batch_first, self.num_layers, self.bias = batch_first, num_layers, bias
        bound = 1 / math.sqrt(hidden_size)
        h4 = 4 * hidden_size
        for k in range(num_layers):
            inputs = input_size if k == 0 else hidden_size
            setattr(self, f"weight_ih_l{k}", Parameter(init.uniform((h4, inputs), bound)))
            setattr(self, f"weight_hh_l{k}", Parameter(init.uniform((h4, hidden_size), bound)))
            if bias:
                setattr(self, f"bias_ih_l{k}", Parameter(init.uniform((h4,), bound)))
                setattr(self, f"bias_hh_l{k}", Parameter(init.uniform((h4,), bound)))

    def _layer(self, k):
        get = lambda name: getattr(self, f"{name}_l{k}", None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def forward(self, x, state=None):
        self._check(x, state)
        if not self.batch_first:
            x = x.transpose(0, 1)
        steps = x.shape[1]
        if state is None:
            xp = get_array_module(x.data)
            zeros = xp.zeros((self.num_layers, x.shape[0], self.hidden_size), x.dtype)
            state = (Tensor._make(zeros, False, None), Tensor._make(zeros, False, None))
        hs, cs = [], []
        for k in range(self.num_layers):
            w_ih, w_hh, b_ih, b_hh = self._layer(k)
            h, c = state[0][k], state[1][k]
            outputs = []
            for t in range(steps):
                gates = mm.linear(x[:, t], w_ih, b_ih) + mm.linear(h, w_hh, b_hh)
                h, c = self._cell(gates, c)
                outputs.append(h)
            x = sh.stack(outputs, dim=1)
            hs.append(h)
            cs.append(c)
        output = x if self.batch_first else x.transpose(0, 1)
        return output, (sh.stack(hs, dim=0), sh.stack(cs, dim=0))

    def _cell(self, gates, c):
        hsz = self.hidden_size
        i = gates[:, :hsz].sigmoid()
        f = gates[:, hsz:2 * hsz].sigmoid()
        g = gates[:, 2 * hsz:3 * hsz].tanh()
        o = gates[:, 3 * hsz:].sigmoid()
        c = f * c + i * g
        return o * c.tanh(), c

    def _check(self, x, state):
        where = f"LSTM in '{current_scope()}'" if current_scope() else "LSTM"
        layout = "(N, T, input_size)" if self.batch_first else "(T, N, input_size)"
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise ShapeError(f"{where}: expected input {layout} with input_size="
                             f"{self.input_size}, got {x.shape}")
        if state is not None:
            n = x.shape[0] if self.batch_first else x.shape[1]
            want = (self.num_layers, n, self.hidden_size)
            if len(state) != 2 or any(s.shape != want for s in state):
                raise ShapeError(f"{where}: expected (h0, c0) each of shape {want}, got "
                                 f"{tuple(getattr(s, 'shape', None) for s in state)}")

    def extra_repr(self):
        return (f"{self.input_size}, {self.hidden_size}, batch_first={self.batch_first}, "
                f"num_layers={self.num_layers}")
