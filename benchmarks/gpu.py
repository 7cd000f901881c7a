"""Issue 21's table on a GPU in one run: one SGD+momentum training step of the engine beside
PyTorch CUDA eager and PyTorch captured as a CUDA graph (MLP, big MLP, CNN, LSTM); static
mode (one CUDA graph per step) beside the dynamic step; and the debugger free running with
history on beside the plain loop. Milliseconds per step, synchronised, best of the rounds.
Without CuPy and a CUDA device it says why and exits 0.

`--device cpu --quick` runs every row on small shapes on the CPU (tests/test_benchmarks_gpu.py
does, so that the script cannot rot where no GPU is).

    python3 benchmarks/gpu.py [--device cuda|cpu] [--quick] [--rounds R]
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import engine as sg  # noqa: E402
import engine.nn.functional as F  # noqa: E402
from engine import nn, optim, static  # noqa: E402
from engine.backend import cuda_status  # noqa: E402
from train import lstm_head, mnist_cnn, mnist_mlp  # noqa: E402

try:
    import torch
except ImportError:
    torch = None


def big_mlp(lib):
    return lib.Sequential(lib.Linear(4096, 4096), lib.ReLU(), lib.Linear(4096, 4096),
                          lib.ReLU(), lib.Linear(4096, 10))


def tiny_mlp(lib):
    return lib.Sequential(lib.Linear(12, 16), lib.ReLU(), lib.Linear(16, 3))


def tiny_cnn(lib):
    return lib.Sequential(lib.Conv2d(1, 4, 3, padding=1), lib.ReLU(), lib.MaxPool2d(2),
                          lib.Flatten(), lib.Linear(4 * 4 * 4, 3))


def tiny_lstm(lib):
    class Head(lib.Module):
        def __init__(self):
            super().__init__()
            self.lstm = lib.LSTM(4, 8, batch_first=True)
            self.head = lib.Linear(8, 3)

        def forward(self, x):
            return self.head(self.lstm(x)[0][:, -1])
    return Head()


# name, model (given nn or torch.nn), input shape, classes, engine/torch target, the issue's
# engine ms before (H200), calls per round
CASES = [
    ("MLP 784-256-256-10, batch 1024", mnist_mlp, (1024, 784), 10, 1.2, 1.82, 20),
    ("MLP 4096-4096-4096-10, batch 4096", big_mlp, (4096, 4096), 10, 1.2, 16.0, 5),
    ("CNN c32/pool/c64/pool/fc 28x28, batch 256", mnist_cnn, (256, 1, 28, 28), 10, 2.0,
     7.64, 5),
    ("LSTM 32->128 seq 32 + fc, batch 64", lstm_head, (64, 32, 32), 10, 4.0, 37.9, 3),
]
QUICK = [
    ("MLP 12-16-3, batch 8", tiny_mlp, (8, 12), 3, 1.2, None, 2),
    ("CNN c4/pool/fc 8x8, batch 4", tiny_cnn, (4, 1, 8, 8), 3, 2.0, None, 2),
    ("LSTM 4->8 seq 5 + fc, batch 4", tiny_lstm, (4, 5, 4), 3, 4.0, None, 2),
]


def batch(shape, classes, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape).astype(np.float32),
            rng.integers(0, classes, shape[0]).astype(np.int64))


def engine_step(build, shape, classes, device):
    """A function running one training step of the engine on `device`."""
    sg.manual_seed(0)
    model = build(nn).to(device)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xv, yv = batch(shape, classes)
    x, y = sg.tensor(xv, device=device), sg.tensor(yv, device=device)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def torch_step(build, shape, classes, device):
    """PyTorch's step, or None without torch (or without its CUDA build on a GPU run)."""
    if torch is None or (device == "cuda" and not torch.cuda.is_available()):
        return None
    torch.manual_seed(0)
    model = build(torch.nn).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xv, yv = batch(shape, classes)
    x, y = torch.tensor(xv, device=device), torch.tensor(yv, device=device)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def torch_graph(step):
    """PyTorch's step captured as one CUDA graph (its replay), or (None, why not)."""
    try:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                step()
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            step()
        return graph.replay, ""
    except Exception as exc:  # some models do not capture
        return None, f"{type(exc).__name__}: {str(exc)[:60]}"


def synchronizer(device):
    if device != "cuda":
        return lambda: None
    import cupy

    def sync():
        cupy.cuda.get_current_stream().synchronize()
        if torch is not None and torch.cuda.is_available():
            torch.cuda.synchronize()
    return sync


def per_step(fn, calls, rounds, sync):
    """Seconds per call of fn: the best of `rounds` rounds of `calls` calls, synchronised."""
    fn()
    sync()
    best = float("inf")
    for _ in range(rounds):
        sync()
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        sync()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def static_step(build, shape, classes, device):
    """(Session, a function running one static training step with device feeds)."""
    sg.manual_seed(0)
    model = build(nn).to(device)
    with static.Graph() as g:
        x = static.placeholder("x", (None,) + tuple(shape[1:]))
        y = static.placeholder("y", (None,), dtype="int64")
        loss = F.cross_entropy(model(x), y)
        train = static.minimize(loss, optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    sess = static.Session(g, batch_size=shape[0])
    xv, yv = batch(shape, classes)
    feeds = {x: sg.tensor(xv, device=device).array, y: sg.tensor(yv, device=device).array}
    return sess, lambda: sess.run([loss, train], feeds)


def debugger_loops(build, shape, classes, device):
    """(plain loop, debugger loop, debugger) running n iterations of a fresh run each, the
    debugger free running with history on (benchmarks/debugger.py's loops)."""
    from app.debugging.interface import TrainingRun
    from debugger import debugger_loop, plain_loop

    def make_run():
        sg.manual_seed(0)
        model = build(nn).to(device)
        data = [tuple(sg.tensor(a, device=device) for a in batch(shape, classes, seed))
                for seed in range(4)]
        return TrainingRun(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.01,
                                                             momentum=0.9), data)
    debug, d = debugger_loop(make_run())
    return plain_loop(make_run()), debug, d


def fmt(seconds):
    return "n/a" if seconds is None else f"{seconds * 1e3:.3f}"


def ratio(a, b):
    return "n/a" if a is None or b is None else f"{a / b:.2f}"


def step_rows(cases, device, rounds, sync):
    """The table's rows of one training step: engine, PyTorch eager and graph, ratios."""
    rows = []
    for name, build, shape, classes, target, before, calls in cases:
        ours = per_step(engine_step(build, shape, classes, device), calls, rounds, sync)
        theirs = torch_step(build, shape, classes, device)
        eager = per_step(theirs, calls, rounds, sync) if theirs is not None else None
        graph, why = (torch_graph(theirs) if theirs is not None and device == "cuda"
                      else (None, "CUDA only"))
        captured = per_step(graph, calls, rounds, sync) if graph is not None else None
        rows.append((name, fmt(ours), fmt(eager), fmt(captured), ratio(ours, eager),
                     f"<= {target:g}", "" if before is None else f"{before:g} ms",
                     why if graph is None else ""))
    return rows


def static_row(case, device, rounds, sync):
    """Static mode (one CUDA graph per step on a GPU) against the dynamic step."""
    name, build, shape, classes, _, _, calls = case
    sess, step = static_step(build, shape, classes, device)
    t_static = per_step(step, calls, rounds, sync)
    t_dynamic = per_step(engine_step(build, shape, classes, device), calls, rounds, sync)
    graphs = sess.cuda_graphs
    how = ("eager: " + "; ".join(graphs.reasons.values()) if graphs is not None and
           graphs.reasons else f"{graphs.captures} graph(s)" if graphs is not None else "cpu")
    return (f"static mode, {name}", fmt(t_static), f"(dynamic {fmt(t_dynamic)})", "",
            f"static/dyn {ratio(t_static, t_dynamic)}", "<= 0.3 ms", "2.09 ms", how)


def debugger_row(case, device, rounds, sync, iterations):
    """The debugger free running with history on against the plain loop."""
    name, build, shape, classes, *_ = case
    plain, debug, d = debugger_loops(build, shape, classes, device)
    try:
        t_plain = per_step(lambda: plain(iterations), 1, rounds, sync) / iterations
        t_debug = per_step(lambda: debug(iterations), 1, rounds, sync) / iterations
    finally:
        d.close()
    return (f"debugger, history on, {name}", fmt(t_debug), f"(plain {fmt(t_plain)})", "",
            f"debug/plain {ratio(t_debug, t_plain)}", "<= 1.3", "18.4 ms", "")


HEADER = ("case", "engine ms", "torch eager ms", "torch graph ms", "ratio", "target",
          "before", "note")


def print_table(rows):
    widths = [max(len(str(r[i])) for r in [HEADER] + rows) for i in range(len(HEADER))]
    for r in [HEADER, tuple("-" * w for w in widths)] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    parser.add_argument("--quick", action="store_true", help="small shapes, one round")
    parser.add_argument("--rounds", type=int, default=5, help="best of this many rounds")
    args = parser.parse_args(argv)
    if args.device == "cuda":
        ok, reason = cuda_status()
        if not ok:
            print(f"benchmarks/gpu.py skipped: {reason}")
            return []
    cases = QUICK if args.quick else CASES
    rounds = 1 if args.quick else args.rounds
    iterations = 2 if args.quick else 20
    sync = synchronizer(args.device)
    rows = step_rows(cases, args.device, rounds, sync)
    rows.append(static_row(cases[0], args.device, rounds, sync))
    rows.append(debugger_row(cases[0], args.device, rounds, sync, iterations))
    print(f"device {args.device}; one SGD+momentum step, synchronised, best of {rounds}")
    print_table(rows)
    return rows


if __name__ == "__main__":
    main()
