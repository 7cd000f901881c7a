"""Cost of training under the step debugger (free running, history on) against the plain
training loop, for the Playground MLP, an MNIST-size MLP and issue 20's CNN and LSTM (the
models of benchmarks/train.py) with SGD; PyTorch's plain loop for scale when it is installed
(on one thread). Prints a table of milliseconds per
iteration: the best of several rounds, plain and debugger taking turns.

Each case is measured on several pairs of runs, each pair built afresh, and the table shows
the median pair (by ratio) and every pair's ratio: one pair is a draw. Where a run's arrays
land in memory moves its plain loop by a few percent; and on a shared virtual machine one
virtual CPU can run ~60% slower than the other for seconds, while the debugger's worker
thread and the plain loop (on the main thread) may sit on different ones.

    python3 benchmarks/debugger.py [--iterations N] [--repeats R] [--pairs P] [--cases 2,3]
                                   [--threads N]
"""
import argparse
import os
import sys

if __name__ == "__main__" and "--threads" in sys.argv:  # must precede numpy's BLAS start-up
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS"):
        os.environ[var] = sys.argv[sys.argv.index("--threads") + 1]

import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import engine as sg  # noqa: E402
import engine.nn.functional as F  # noqa: E402
from app.debugging.breakpoints import Breakpoint  # noqa: E402
from app.debugging.debugger import Debugger  # noqa: E402
from app.debugging.interface import TrainingRun  # noqa: E402
from engine import nn, optim  # noqa: E402
from train import lstm_head, mnist_cnn  # noqa: E402


def mlp(sizes):
    def build(lib):
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [lib.Linear(a, b), lib.ReLU()]
        return lib.Sequential(*layers[:-1])
    return build


CASES = [  # name, model (given nn or torch.nn), input shape, classes, target, iterations
    ("Playground MLP 2-16-16-2, batch 32", mlp((2, 16, 16, 2)), (32, 2), 2, 2.0, 500),
    ("MNIST-size MLP 784-256-256-10, batch 128", mlp((784, 256, 256, 10)), (128, 784), 10,
     1.3, 50),
    ("CNN c32/pool/c64/pool/fc 28x28, batch 256", mnist_cnn, (256, 1, 28, 28), 10, 1.3, 3),
    ("LSTM 32->128 seq 32 + fc, batch 64", lstm_head, (64, 32, 32), 10, 1.3, 10),
]


def make_run(build, shape, classes, batches=4):
    sg.manual_seed(0)
    model = build(nn)
    rng = np.random.default_rng(0)
    data = [(sg.tensor(rng.standard_normal(shape).astype(np.float32)),
             sg.tensor(rng.integers(0, classes, shape[0]))) for _ in range(batches)]
    return TrainingRun(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.01), data)


def plain_loop(run):
    """A function running n iterations of the plain training loop."""
    batches = _cycle(run.data)

    def loop(n):
        for _ in range(n):
            x, y = next(batches)
            run.optimizer.zero_grad()
            loss = run.loss_fn(run.model(x), y)
            loss.backward()
            run.optimizer.step()
    return loop


def _cycle(data):
    while True:
        yield from data


def debugger_loop(run):
    """A function running n iterations freely under the debugger (history on), and the
    debugger (to close)."""
    d = Debugger(run)

    def loop(n):
        d.set_breakpoints([Breakpoint.iteration(d.state().completed + n)])
        d.run()
        assert d.wait(600), "the run did not reach its breakpoint"
    return loop, d


def best_of(loops, iterations, repeats):
    """Seconds per iteration of each loop: the best of `repeats` rounds, the loops taking
    turns so that a busy machine slows them alike."""
    for loop in loops:
        loop(max(iterations // 5, 3))
    best = [float("inf")] * len(loops)
    for _ in range(repeats):
        for i, loop in enumerate(loops):
            start = time.perf_counter()
            loop(iterations)
            best[i] = min(best[i], (time.perf_counter() - start) / iterations)
    return best


def measure_pair(case, iterations, repeats):
    """(plain, debugger) seconds per iteration of a fresh pair of runs."""
    debug, d = debugger_loop(make_run(*case))
    try:
        return tuple(best_of([plain_loop(make_run(*case)), debug], iterations, repeats))
    finally:
        d.close()


def torch_plain(build, shape, classes, iterations):
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    torch.set_num_threads(1)  # its thread pool and numpy's BLAS threads would fight
    model = build(torch.nn)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(*shape), torch.randint(0, classes, (shape[0],))

    def loop(n):
        for _ in range(n):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    loop(max(iterations // 10, 3))
    start = time.perf_counter()
    loop(iterations)
    return (time.perf_counter() - start) / iterations


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=0,
                        help="iterations per round (default: 500 / 50 / 3 / 10 by case)")
    parser.add_argument("--cases", default="",
                        help="comma-separated case numbers to run (default: all), from 0")
    parser.add_argument("--repeats", type=int, default=10, help="best of this many rounds")
    parser.add_argument("--pairs", type=int, default=5,
                        help="pairs of runs (plain, debugger) built and measured per case")
    parser.add_argument("--threads", type=int,
                        help="BLAS and numba threads of the engine (default: OpenBLAS's)")
    args = parser.parse_args()
    header = f"{'case':42} {'plain ms':>9} {'debugger ms':>12} {'ratio':>6} {'target':>7} " \
             f"{'PyTorch 1T ms':>14}  ratio of each pair"
    print(header)
    print("-" * len(header))
    chosen = [int(c) for c in args.cases.split(",") if c] or range(len(CASES))
    for name, build, shape, classes, target, iterations in (CASES[c] for c in chosen):
        n = args.iterations or iterations
        t_torch = torch_plain(build, shape, classes, n)  # first: BLAS threads not yet spinning
        pairs = sorted((measure_pair((build, shape, classes), n, args.repeats)
                        for _ in range(max(1, args.pairs))), key=lambda p: p[1] / p[0])
        t_plain, t_debug = pairs[len(pairs) // 2]
        torch_cell = f"{t_torch * 1e3:14.3f}" if t_torch is not None else f"{'n/a':>14}"
        print(f"{name:42} {t_plain * 1e3:9.3f} {t_debug * 1e3:12.3f} {t_debug / t_plain:6.2f} "
              f"{'<= ' + format(target, 'g'):>7} {torch_cell}  "
              + " ".join(f"{d / p:.2f}" for p, d in pairs))


if __name__ == "__main__":
    main()
