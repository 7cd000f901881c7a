"""Per-op overhead of the engine beside numpy's raw op and PyTorch eager (when installed):
a 4x4 add with grad (forward + graph recording), and a 64x64 matmul forward + backward.

    python3 benchmarks/ops.py [--repeat N]

Prints microseconds per call: the best of several timeit rounds, rounds alternating between
the contenders so that a busy shared machine disturbs them alike. Everything runs on one
thread (BLAS and PyTorch): these are per-op costs, not a race between thread pools.
"""
import argparse
import os
import sys
import timeit

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy starts its BLAS

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import engine as sg  # noqa: E402

try:
    import torch
    torch.set_num_threads(1)
except ImportError:
    torch = None


def best_us(fns, repeat, rounds=15):
    """Microseconds per call of each fn: the best round of `repeat` calls."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for k, fn in enumerate(fns):
            best[k] = min(best[k], timeit.timeit(fn, number=repeat) / repeat * 1e6)
    return best


def add_case():
    a_np, b_np = np.random.rand(4, 4).astype(np.float32), np.random.rand(4, 4).astype(np.float32)
    a, b = sg.tensor(a_np, requires_grad=True), sg.tensor(b_np, requires_grad=True)
    fns = {"numpy": lambda: a_np + b_np, "engine": lambda: a + b}
    if torch is not None:
        ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
        fns["torch"] = lambda: ta + tb
    return "add 4x4, grad on (forward + record)", fns


def matmul_case():
    a_np, b_np = np.random.rand(64, 64).astype(np.float32), np.random.rand(64, 64).astype(np.float32)
    g_np = np.ones((64, 64), np.float32)

    def numpy_fwd_bwd():
        a_np @ b_np
        g_np @ b_np.T
        a_np.T @ g_np

    a, b = sg.tensor(a_np, requires_grad=True), sg.tensor(b_np, requires_grad=True)
    g = sg.tensor(g_np)

    def engine_fwd_bwd():
        a.grad = b.grad = None
        (a @ b).backward(g)

    fns = {"numpy": numpy_fwd_bwd, "engine": engine_fwd_bwd}
    if torch is not None:
        ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
        tg = torch.tensor(g_np)

        def torch_fwd_bwd():
            ta.grad = tb.grad = None
            (ta @ tb).backward(tg)
        fns["torch"] = torch_fwd_bwd
    return "matmul 64x64, forward + backward", fns


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5000,
                        help="calls per timing round (the matmul case uses a tenth)")
    args = parser.parse_args()
    cases = [(add_case(), args.repeat), (matmul_case(), max(args.repeat // 10, 1))]
    names = ["numpy", "engine", "torch"]
    print(f"{'case':<38}" + "".join(f"{n + ' (us)':>14}" for n in names) + f"{'engine/torch':>14}")
    for (title, fns), repeat in cases:
        times = dict(zip(fns, best_us(list(fns.values()), repeat)))
        cells = "".join(f"{times[n]:>14.2f}" if n in times else f"{'-':>14}" for n in names)
        ratio = f"{times['engine'] / times['torch']:>14.2f}" if "torch" in times else f"{'-':>14}"
        print(f"{title:<38}{cells}{ratio}")
    if torch is None:
        print("(PyTorch is not installed: its column is empty)")


if __name__ == "__main__":
    main()
