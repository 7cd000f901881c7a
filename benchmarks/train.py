"""One SGD training step (zero_grad, forward, loss, backward, step) of the engine beside
PyTorch CPU (when installed), the BLAS floor of the MLP steps, and the cost of recording
every node's output and gradient for the debugger; then issue 20's cases (MLP b1024, CNN,
LSTM; SGD with momentum) at each thread count.

Without --threads the script runs itself once per thread count (1 and the machine's CPU
count), since BLAS threads are fixed when numpy starts. On a shared machine PyTorch's
multi-thread figure collapses when another process holds a core: run it a few times.

    python3 benchmarks/train.py [--quick] [--threads N] [--cases LSTM,CNN]
"""
import argparse
import os
import subprocess
import sys

if __name__ == "__main__" and "--threads" in sys.argv:  # must precede numpy's BLAS start-up
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS"):
        os.environ[var] = sys.argv[sys.argv.index("--threads") + 1]

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from timing import per_call  # noqa: E402

import engine as sg  # noqa: E402
from engine import nn, optim  # noqa: E402

try:
    import torch
except ImportError:
    torch = None


# ---- models (the same layer lists in both libraries) ---------------------------------------
def playground(lib):
    return lib.Sequential(lib.Linear(2, 16), lib.Tanh(), lib.Linear(16, 16), lib.Tanh(),
                          lib.Linear(16, 2))


def mnist_mlp(lib):
    return lib.Sequential(lib.Linear(784, 256), lib.ReLU(), lib.Linear(256, 256), lib.ReLU(),
                          lib.Linear(256, 10))


def small_cnn(lib):
    return lib.Sequential(lib.Conv2d(1, 8, 3), lib.ReLU(), lib.MaxPool2d(2), lib.Flatten(),
                          lib.Linear(8 * 7 * 7, 10))


def mnist_cnn(lib):
    return lib.Sequential(lib.Conv2d(1, 32, 3, padding=1), lib.ReLU(), lib.MaxPool2d(2),
                          lib.Conv2d(32, 64, 3, padding=1), lib.ReLU(), lib.MaxPool2d(2),
                          lib.Flatten(), lib.Linear(64 * 7 * 7, 10))


def lstm_head(lib):
    class LSTMHead(lib.Module):
        """LSTM 32->128 over the sequence, a linear head on the last step."""

        def __init__(self):
            super().__init__()
            self.lstm = lib.LSTM(32, 128, batch_first=True)
            self.head = lib.Linear(128, 10)

        def forward(self, x):
            return self.head(self.lstm(x)[0][:, -1])
    return LSTMHead()


CASES = [  # name, model, input shape, classes
    ("Playground 2-16-16-2 tanh, batch 32", playground, (32, 2), 2),
    ("MNIST MLP 784-256-256-10, batch 128", mnist_mlp, (128, 784), 10),
    ("CNN 1x16x16 conv8 3x3/pool/fc10, batch 32", small_cnn, (32, 1, 16, 16), 10),
]
ISSUE_CASES = [  # name, model, input shape, classes, calls per round at full scale
    ("MLP 784-256-256-10, batch 1024", mnist_mlp, (1024, 784), 10, 10),
    ("CNN c32/pool/c64/pool/fc 28x28, batch 256", mnist_cnn, (256, 1, 28, 28), 10, 2),
    ("LSTM 32->128 seq 32 + fc, batch 64", lstm_head, (64, 32, 32), 10, 4),
]


class KeepEverything(sg.Observer):
    """What the debugger records at most: every node's output and gradient."""

    def __init__(self):
        self.outputs, self.grads = [], []

    def on_forward(self, node):
        self.outputs.append(node.output)

    def on_backward(self, node, grad):
        self.grads.append(grad)

    def clear(self):
        self.outputs.clear()
        self.grads.clear()


def engine_step(build, shape, classes, seed=0, momentum=0.0):
    rng = np.random.default_rng(seed)
    x = sg.tensor(rng.standard_normal(shape).astype(np.float32))
    y = sg.tensor(rng.integers(0, classes, shape[0]))
    model = build(nn)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=momentum)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def torch_step(build, shape, classes, seed=0, momentum=0.0):
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.standard_normal(shape).astype(np.float32))
    y = torch.tensor(rng.integers(0, classes, shape[0]))
    model = build(torch.nn)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=momentum)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def recorded(step):
    observer = KeepEverything()

    def run():
        observer.clear()
        with sg.observe(observer):
            step()
    return run


def mnist_blas_floor(repeat, batch=128, sizes=(784, 256, 256, 10)):
    """(seconds, GFLOP/s): the step's matrix products alone, timed with numpy on the same
    shapes and layouts (forward x @ W.T, weight grads gy.T @ x, input grads gy @ W except
    for the first layer)."""
    rng = np.random.default_rng(0)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        x = rng.standard_normal((batch, n_in)).astype(np.float32)
        w = rng.standard_normal((n_out, n_in)).astype(np.float32)
        gy = rng.standard_normal((batch, n_out)).astype(np.float32)
        layers.append((x, w, gy, i > 0))
    flops = sum(2 * batch * w.shape[0] * w.shape[1] * (3 if need_gx else 2)
                for _, w, _, need_gx in layers)

    def products():
        for x, w, gy, need_gx in layers:
            x @ w.T
            gy.T @ x
            if need_gx:
                gy @ w
    (seconds,) = per_call([products], repeat)
    return seconds, flops / seconds / 1e9


def fmt(seconds):
    return f"{seconds * 1e6:9.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:9.3f} ms"


def chosen(cases, wanted):
    """The cases whose name contains one of the `wanted` words (all when none given)."""
    return [c for c in cases if not wanted or any(w.lower() in c[0].lower() for w in wanted)]


def issue_table(scale, wanted=()):
    """Issue 20's cases, SGD with momentum 0.9: engine, PyTorch, ratio; for the MLP also
    its matrix products alone in numpy."""
    cases = chosen(ISSUE_CASES, wanted)
    if not cases:
        return
    print(f"\n{'one SGD+momentum step':44s} {'engine':>12s} {'PyTorch':>12s} "
          f"{'engine/PyTorch':>14s}")
    for name, build, shape, classes, repeat in cases:
        fns = [engine_step(build, shape, classes, momentum=0.9)]
        if torch:
            fns.append(torch_step(build, shape, classes, momentum=0.9))
        ours, theirs = (per_call(fns, max(int(repeat * scale), 1)) + [None])[:2]
        ratio = f"{ours / theirs:14.2f}" if theirs else f"{'-':>14s}"
        print(f"{name:44s} {fmt(ours):>12s} {fmt(theirs) if theirs else '-':>12s} {ratio}")
        if build is mnist_mlp:
            floor, gflops = mnist_blas_floor(max(int(20 * scale), 3), batch=shape[0])
            print(f"{'  its matrix products alone (numpy)':44s} {fmt(floor):>12s} "
                  f"{'':>12s} {'engine/floor':>9s} {ours / floor:4.2f} ({gflops:.0f} GFLOP/s)")
    print("targets at 1 thread: CNN <= 1.3, LSTM <= 1.5, MLP <= 1.0 or <= 1.1 x floor; "
          "at 2 threads: CNN <= 2, LSTM <= 2")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--threads", type=int,
                        help="BLAS, numba and PyTorch threads (default: 1, then all CPUs)")
    parser.add_argument("--cases", default="",
                        help="comma-separated words: only the cases whose name contains one "
                             "(e.g. LSTM,CNN; default: all)")
    args = parser.parse_args()
    wanted = [w for w in args.cases.split(",") if w]
    if not args.threads:
        for n in sorted({1, os.cpu_count() or 1}):
            sys.stdout.flush()
            subprocess.run([sys.executable, __file__, "--threads", str(n)]
                           + (["--quick"] if args.quick else [])
                           + (["--cases", args.cases] if args.cases else []), check=True)
        return
    if torch:
        torch.set_num_threads(args.threads)
    print(f"==== {args.threads} thread(s) ====")
    scale = 0.2 if args.quick else 1.0
    repeats = {0: 400, 1: 40, 2: 100}
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}"
          f"{f' ({torch.get_num_threads()} threads)' if torch else ''}, {os.cpu_count()} CPUs")
    basic = [(i, case) for i, case in enumerate(CASES) if case in chosen(CASES, wanted)]
    if basic:
        print(f"{'one SGD step':44s} {'engine':>12s} {'recording':>12s} {'rec/plain':>9s} "
              f"{'PyTorch':>12s} {'engine/PyTorch':>14s}")
    results = {}
    for i, (name, build, shape, classes) in basic:
        repeat = max(int(repeats[i] * scale), 5)
        fns = [engine_step(build, shape, classes), recorded(engine_step(build, shape, classes))]
        if torch:
            fns.append(torch_step(build, shape, classes))
        ours, rec, theirs = (per_call(fns, repeat) + [None])[:3]
        results[name] = ours
        ratio = f"{ours / theirs:14.2f}" if theirs else f"{'-':>14s}"
        print(f"{name:44s} {fmt(ours):>12s} {fmt(rec):>12s} {rec / ours:9.2f} "
              f"{fmt(theirs) if theirs else '-':>12s} {ratio}")
    if CASES[1][0] in results:
        floor, gflops = mnist_blas_floor(max(int(40 * scale), 5))
        mnist = results[CASES[1][0]]
        print(f"\nMNIST-size step BLAS floor (numpy sgemm, same shapes): {fmt(floor).strip()} "
              f"at {gflops:.1f} GFLOP/s; engine step = {mnist / floor:.2f} x floor")
    if basic:
        print("targets: Playground engine/PyTorch <= 0.5; MNIST step <= 1.15 x floor; "
              "recording <= 1.3 x plain")
    issue_table(scale, wanted)


if __name__ == "__main__":
    main()
