"""The floor of the engine's LSTM training step: benchmarks/train.py's LSTM case (LSTM
32->128 over 32 steps, batch 64, batch first, a linear head on the last step, cross
entropy, SGD with momentum) written by hand in numpy, without autograd.

`HandStep` runs the op sequence of engine.nn.LSTM (one product [x_t, h] @ W.T + b per
step, the four gates sliced out, sigmoid as 0.5 tanh(x/2) + 0.5) with a hand-written
backward: what the step costs in numpy with no graph, no nodes and no Python dispatch.
`HandStep(products_only=True)` runs only its matrix products, with the same shapes: the
floor of any engine whose products are numpy's (OpenBLAS's) GEMMs.
benchmarks/lstm_steps.py times both beside the engine's op sequences."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from train import lstm_head  # noqa: E402

from engine import nn  # noqa: E402


def _sigmoid(a):
    return 0.5 * np.tanh(0.5 * a) + 0.5


def hand_step(products_only=False, seed=0, shape=(64, 32, 32), classes=10):
    """A HandStep on the data and model of benchmarks/train.py's LSTM case."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, classes, shape[0])
    model = lstm_head(nn)
    return HandStep(model.lstm, model.head, x, y, products_only=products_only)


class HandStep:
    """One training step per call on numpy copies of the parameters of `lstm` and `head`
    (engine modules, read once); `g` holds the last gradients (w = [W_ih | W_hh],
    b = b_ih + b_hh, wo and bo the head's)."""

    def __init__(self, lstm, head, x, y, lr=0.01, momentum=0.9, products_only=False):
        host = lambda p: p.detach().numpy().copy()  # noqa: E731
        self.p = {"w": np.concatenate([host(lstm.weight_ih_l0), host(lstm.weight_hh_l0)], 1),
                  "b": host(lstm.bias_ih_l0) + host(lstm.bias_hh_l0),
                  "wo": host(head.weight), "bo": host(head.bias)}
        self.velocity = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.x, self.y = np.ascontiguousarray(x.transpose(1, 0, 2)), y
        self.lr, self.momentum, self.products_only = lr, momentum, products_only
        self.g = None

    def __call__(self):
        self.g = self._products() if self.products_only else self._gradients()
        for k, g in self.g.items():  # SGD with momentum, as torch.optim.SGD
            v = self.velocity[k]
            v *= self.momentum
            v += g
            self.p[k] -= self.lr * v

    def _gradients(self):
        w, b, wo, bo = self.p["w"], self.p["b"], self.p["wo"], self.p["bo"]
        n, hidden = self.x.shape[1], w.shape[0] // 4
        h = c = np.zeros((n, hidden), np.float32)
        tape = []
        for x_t in self.x:
            xh = np.concatenate([x_t, h], 1)
            z = xh @ w.T + b
            i, f = _sigmoid(z[:, :hidden]), _sigmoid(z[:, hidden:2 * hidden])
            g, o = np.tanh(z[:, 2 * hidden:3 * hidden]), _sigmoid(z[:, 3 * hidden:])
            c_next = f * c + i * g
            tc = np.tanh(c_next)
            tape.append((xh, i, f, g, o, c, tc))
            h, c = o * tc, c_next
        logits = h @ wo.T + bo
        e = np.exp(logits - logits.max(1, keepdims=True))
        dlogits = e / e.sum(1, keepdims=True)
        dlogits[np.arange(n), self.y] -= 1
        dlogits /= n
        grads = {"wo": dlogits.T @ h, "bo": dlogits.sum(0), "w": np.zeros_like(w),
                 "b": np.zeros_like(b)}
        dh, dc = dlogits @ wo, np.zeros_like(h)
        dz = np.empty((n, 4 * hidden), np.float32)
        for xh, i, f, g, o, c_prev, tc in reversed(tape):
            dc = dc + dh * o * (1 - tc * tc)
            dz[:, :hidden] = dc * g * i * (1 - i)
            dz[:, hidden:2 * hidden] = dc * c_prev * f * (1 - f)
            dz[:, 2 * hidden:3 * hidden] = dc * i * (1 - g * g)
            dz[:, 3 * hidden:] = dh * tc * o * (1 - o)
            dc = dc * f
            grads["w"] += dz.T @ xh
            grads["b"] += dz.sum(0)
            dh = (dz @ w)[:, -hidden:]
        return grads

    def _products(self):
        w, wo = self.p["w"], self.p["wo"]
        n, hidden = self.x.shape[1], w.shape[0] // 4
        xh = np.zeros((n, w.shape[1]), np.float32)
        h = np.zeros((n, hidden), np.float32)
        for _ in self.x:
            xh @ w.T
        dz = np.zeros((n, 4 * hidden), np.float32)
        dlogits = h @ wo.T
        grads = {"wo": dlogits.T @ h, "w": np.zeros_like(w)}
        dlogits @ wo
        for _ in self.x:
            grads["w"] += dz.T @ xh
            dz @ w
        return grads
