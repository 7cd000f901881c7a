"""What each change to the LSTM's per-step op sequence buys: the training step of
benchmarks/train.py's LSTM case (LSTM 32->128, sequence 32, batch 64, linear head, SGD with
momentum) with five op sequences for the cell, every gate op still a node of the graph:

  A  two products per step (x_t @ W_ih.T + b_ih, h @ W_hh.T + b_hh), an add, and the four
     gates sliced out of the shared (N, 4H) sum (the engine's LSTM before issue 20);
  B  one product [x_t, h] @ [W_ih | W_hh].T + (b_ih + b_hh), weights joined and biases summed
     once per forward, then the four slices: engine.nn.LSTM now;
  C  one product per gate, x_t and h apart (8 products), no slices;
  D  one product per gate on [x_t, h] (4 products), no slices (the engine's LSTM before);
  E  the input projection of every step in one product before the steps (time first, so
     each step's rows are contiguous), then one product h @ W_hh.T per step (W_hh
     transposed once) and the four slices.

A, B and E slice the gates out of one product; autograd adds each slice's gradient into
one array per product in place, so a slice costs a copy, not a zeroed product per gate.

Two floors follow (benchmarks/numpy_lstm.py): B's ops written by hand in numpy with their
backward, no autograd; and only the matrix products of that step, with the same shapes.

Rounds alternate between the variants; the table gives the median and the range of the
per-round mean step time, in ms.

    python3 benchmarks/lstm_steps.py [--rounds R] [--threads N]
"""
import argparse
import os
import sys

if __name__ == "__main__" and "--threads" in sys.argv:  # must precede numpy's BLAS start-up
    os.environ["OPENBLAS_NUM_THREADS"] = sys.argv[sys.argv.index("--threads") + 1]

import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from numpy_lstm import hand_step  # noqa: E402
from train import engine_step, lstm_head  # noqa: E402

import engine  # noqa: E402
from engine import nn  # noqa: E402
from engine.ops import matmul as mm, shape as sh  # noqa: E402

H = 128


def _state(i, f, g, o, c):
    c = f * c + i * g
    return o * c.tanh(), c


def _sliced(gates, c):
    return _state(gates[:, :H].sigmoid(), gates[:, H:2 * H].sigmoid(),
                  gates[:, 2 * H:3 * H].tanh(), gates[:, 3 * H:].sigmoid(), c)


def prepare_a(w_ih, w_hh, b_ih, b_hh):
    return w_ih, w_hh, b_ih, b_hh


def step_a(x, h, c, p):
    return _sliced(mm.linear(x, p[0], p[2]) + mm.linear(h, p[1], p[3]), c)


def prepare_c(w_ih, w_hh, b_ih, b_hh):
    b = b_ih + b_hh
    return [(w_ih[g * H:(g + 1) * H], w_hh[g * H:(g + 1) * H], b[g * H:(g + 1) * H])
            for g in range(4)]


def step_c(x, h, c, p):
    pre = [mm.linear(x, wi) + mm.linear(h, wh, b) for wi, wh, b in p]
    return _state(pre[0].sigmoid(), pre[1].sigmoid(), pre[2].tanh(), pre[3].sigmoid(), c)


def prepare_d(w_ih, w_hh, b_ih, b_hh):
    w, b = sh.cat([w_ih, w_hh], dim=1), b_ih + b_hh
    return [(w[g * H:(g + 1) * H], b[g * H:(g + 1) * H]) for g in range(4)]


def step_d(x, h, c, p):
    xh = sh.cat([x, h], dim=1)
    (wi, bi), (wf, bf), (wg, bg), (wo, bo) = p
    return _state(mm.linear(xh, wi, bi).sigmoid(), mm.linear(xh, wf, bf).sigmoid(),
                  mm.linear(xh, wg, bg).tanh(), mm.linear(xh, wo, bo).sigmoid(), c)


VARIANTS = {"A two products + 4 slices (older)": (prepare_a, step_a),
            "B joined product + 4 slices (now)": (None, None),
            "C per gate, x and h apart": (prepare_c, step_c),
            "D per gate on [x, h] (before)": (prepare_d, step_d),
            "E input projection once": (None, None)}


def lstm_class(prepare, step):
    """nn.LSTM (one layer, batch first, zero state) running the given cell."""
    def forward(self, x, state=None):
        p = prepare(self.weight_ih_l0, self.weight_hh_l0, self.bias_ih_l0, self.bias_hh_l0)
        h = c = engine.zeros(x.shape[0], H)
        outputs = []
        for t in range(x.shape[1]):
            h, c = step(x[:, t], h, c, p)
            outputs.append(h)
        return sh.stack(outputs, dim=1), (h, c)
    return type("VariantLSTM", (nn.LSTM,), {"forward": forward})


def projected_lstm_class():
    """Variant E: nn.LSTM with the input projection of all steps made before the steps."""
    def forward(self, x, state=None):
        projected = mm.linear(x.transpose(0, 1), self.weight_ih_l0,
                              self.bias_ih_l0 + self.bias_hh_l0)
        w_hh_t = self.weight_hh_l0.t()
        h = c = engine.zeros(x.shape[0], H)
        outputs = []
        for t in range(x.shape[1]):
            h, c = _sliced(projected[t] + mm.matmul(h, w_hh_t), c)
            outputs.append(h)
        return sh.stack(outputs, dim=1), (h, c)
    return type("ProjectedLSTM", (nn.LSTM,), {"forward": forward})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--threads", type=int, help="BLAS threads (default: OpenBLAS's)")
    args = parser.parse_args()
    steps = {}
    for name, (prepare, step) in VARIANTS.items():
        original = nn.LSTM
        if step is not None:
            nn.LSTM = lstm_class(prepare, step)
        elif name.startswith("E"):
            nn.LSTM = projected_lstm_class()
        try:
            steps[name] = engine_step(lstm_head, (64, 32, 32), 10, momentum=0.9)
        finally:
            nn.LSTM = original
    steps["floor: B by hand in numpy"] = hand_step()
    steps["floor: B's matrix products alone"] = hand_step(products_only=True)
    times = {name: [] for name in steps}
    for fn in steps.values():
        fn()
    for _ in range(args.rounds):
        for name, fn in steps.items():
            start = time.perf_counter()
            for _ in range(3):
                fn()
            times[name].append((time.perf_counter() - start) / 3 * 1e3)
    print(f"{'cell op sequence':36s} {'median ms':>10s} {'range ms':>16s}")
    for name, t in times.items():
        print(f"{name:36s} {np.median(t):10.2f} {min(t):7.2f} - {max(t):6.2f}")


if __name__ == "__main__":
    main()
