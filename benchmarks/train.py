"""One SGD training step (zero_grad, forward, loss, backward, step) of the engine beside
PyTorch CPU (when installed), the BLAS floor of the MLP steps, and the cost of recording
every node's output and gradient for the debugger; then issue 20's cases (MLP b1024, CNN,
LSTM; SGD with momentum) at each thread count.

Each library is timed in a process of its own, the engine's and PyTorch's taking turns
(--passes, best of them kept): in one process the library timed second loses a core to the
first's idle BLAS and OpenMP threads, which spin for a while after each call (the engine's
LSTM step doubled at 2 threads next to PyTorch's). Thread counts are 1 and the machine's
CPU count unless --threads names one; on a shared machine a multi-thread figure collapses
when another process holds a core: run it a few times.

Where OPENBLAS_CORETYPE is set (some machines set it to dodge bugs of old OpenBLAS builds)
numpy may run older, slower kernels: the header says which ones run (with threadpoolctl).

    python3 benchmarks/train.py [--quick] [--threads N] [--cases LSTM,CNN] [--passes P]
"""
import argparse
import importlib.metadata
import json
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

try:  # imported by PyTorch's processes only: its objects would lengthen the engine's
    TORCH = importlib.metadata.version("torch")  # garbage collections
except importlib.metadata.PackageNotFoundError:
    TORCH = None


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


REPEATS = (400, 40, 100)  # calls per round of CASES at full scale
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
    import torch
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


def _with_repeats(wanted, scale):
    return [(case, max(int(repeat * scale), 5)) for case, repeat in zip(CASES, REPEATS)
            if case in chosen(CASES, wanted)]


def engine_figures(scale, wanted):
    """{(case, what): seconds} of the engine: each case's step, for the first cases also
    with every node recorded, and the BLAS floors of the MLP steps."""
    figures = {}
    for (name, build, shape, classes), repeat in _with_repeats(wanted, scale):
        ours, rec = per_call([engine_step(build, shape, classes),
                              recorded(engine_step(build, shape, classes))], repeat)
        figures[name, "step"], figures[name, "recording"] = ours, rec
        if build is mnist_mlp:
            figures[name, "floor"] = mnist_blas_floor(max(int(40 * scale), 5))
    for name, build, shape, classes, repeat in chosen(ISSUE_CASES, wanted):
        (figures[name, "step"],) = per_call([engine_step(build, shape, classes, momentum=0.9)],
                                            max(int(repeat * scale), 1))
        if build is mnist_mlp:
            figures[name, "floor"] = mnist_blas_floor(max(int(20 * scale), 3), batch=shape[0])
    return figures


def torch_figures(scale, wanted):
    """{(case, "torch"): seconds} of PyTorch's steps."""
    figures = {}
    for (name, build, shape, classes), repeat in _with_repeats(wanted, scale):
        (figures[name, "torch"],) = per_call([torch_step(build, shape, classes)], repeat)
    for name, build, shape, classes, repeat in chosen(ISSUE_CASES, wanted):
        (figures[name, "torch"],) = per_call([torch_step(build, shape, classes, momentum=0.9)],
                                             max(int(repeat * scale), 1))
    return figures


def measure(threads, library, args):
    """Run this script on one library at `threads` threads in a fresh process."""
    command = [sys.executable, __file__, "--threads", str(threads), "--library", library,
               "--cases", args.cases] + (["--quick"] if args.quick else [])
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return {tuple(k.split("|")): v for k, v in json.loads(out.splitlines()[-1]).items()}


def best(passes):
    """Per key the fastest of the passes (each value seconds, or (seconds, GFLOP/s))."""
    merged = {}
    for figures in passes:
        for key, value in figures.items():
            seconds = value[0] if isinstance(value, list) else value
            kept = merged.get(key)
            if kept is None or seconds < (kept[0] if isinstance(kept, list) else kept):
                merged[key] = value
    return merged


def blas_kernels():
    """Which BLAS numpy runs, and its kernels, as threadpoolctl reports them."""
    try:
        import threadpoolctl
    except ImportError:
        return "BLAS kernels unknown (pip install threadpoolctl)"
    found = [f"{i.get('internal_api')} {i.get('version')} {i.get('architecture', '')} kernels"
             for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    forced = os.environ.get("OPENBLAS_CORETYPE")
    return ", ".join(found) + (f" (OPENBLAS_CORETYPE={forced} forces them)" if forced else "")


def print_tables(figures, wanted):
    basic = chosen(CASES, wanted)
    if basic:
        print(f"{'one SGD step':44s} {'engine':>12s} {'recording':>12s} {'rec/plain':>9s} "
              f"{'PyTorch':>12s} {'engine/PyTorch':>14s}")
    for name, *_ in basic:
        ours, rec, theirs = (figures[name, k] for k in ("step", "recording", "torch"))
        print(f"{name:44s} {fmt(ours):>12s} {fmt(rec):>12s} {rec / ours:9.2f} "
              f"{fmt(theirs) if theirs else '-':>12s} {_ratio(ours, theirs)}")
    if (CASES[1][0], "floor") in figures:
        floor, gflops = figures[CASES[1][0], "floor"]
        print(f"\nMNIST-size step BLAS floor (numpy sgemm, same shapes): {fmt(floor).strip()} "
              f"at {gflops:.1f} GFLOP/s; engine step = "
              f"{figures[CASES[1][0], 'step'] / floor:.2f} x floor")
    if basic:
        print("targets: Playground engine/PyTorch <= 0.5; MNIST step <= 1.15 x floor; "
              "recording <= 1.3 x plain")
    cases = chosen(ISSUE_CASES, wanted)
    if not cases:
        return
    print(f"\n{'one SGD+momentum step':44s} {'engine':>12s} {'PyTorch':>12s} "
          f"{'engine/PyTorch':>14s}")
    for name, build, *_ in cases:
        ours, theirs = figures[name, "step"], figures[name, "torch"]
        print(f"{name:44s} {fmt(ours):>12s} {fmt(theirs) if theirs else '-':>12s} "
              f"{_ratio(ours, theirs)}")
        if build is mnist_mlp:
            floor, gflops = figures[name, "floor"]
            print(f"{'  its matrix products alone (numpy)':44s} {fmt(floor):>12s} "
                  f"{'':>12s} {'engine/floor':>9s} {ours / floor:4.2f} ({gflops:.0f} GFLOP/s)")
    print("targets at 1 thread: CNN <= 1.3, LSTM <= 1.5, MLP <= 1.0 or <= 1.1 x floor; "
          "at 2 threads: CNN <= 2, LSTM <= 2")


def _ratio(ours, theirs):
    return f"{ours / theirs:14.2f}" if theirs else f"{'-':>14s}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--threads", type=int,
                        help="BLAS, numba and PyTorch threads (default: 1, then all CPUs)")
    parser.add_argument("--cases", default="",
                        help="comma-separated words: only the cases whose name contains one "
                             "(e.g. LSTM,CNN; default: all)")
    parser.add_argument("--passes", type=int, default=2,
                        help="processes per library and thread count, taking turns")
    parser.add_argument("--library", choices=("engine", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    wanted = [w for w in args.cases.split(",") if w]
    scale = 0.2 if args.quick else 1.0
    if args.library:  # a child: one library's figures, as one JSON line
        if args.library == "torch":
            import torch
            torch.set_num_threads(args.threads)
        figures = (engine_figures if args.library == "engine" else torch_figures)(scale, wanted)
        print(json.dumps({"|".join(k): v for k, v in figures.items()}))
        return
    print(f"numpy {np.__version__}, {blas_kernels()}; "
          f"torch {TORCH or 'not installed'}; {os.cpu_count()} CPUs")
    for threads in [args.threads] if args.threads else sorted({1, os.cpu_count() or 1}):
        print(f"\n==== {threads} thread(s) ====")
        sys.stdout.flush()
        passes = []
        for _ in range(args.passes):
            passes.append(measure(threads, "engine", args))
            if TORCH:
                passes.append(measure(threads, "torch", args))
        figures = best(passes)
        print_tables({**{(name, "torch"): None for name, *_ in CASES + ISSUE_CASES},
                      **figures}, wanted)
        if threads > 1:
            print(f"(at {threads} threads a step waits for its slowest thread: where another "
                  "process holds a core, PyTorch's figure collapses first; run it again)")


if __name__ == "__main__":
    main()
