"""Soak test: long runs under the debugger with the history on, as the app runs them (a
Session, its records drained ~30 times a second as the UI timer does), printing resident
memory (RSS) every N iterations with the history's counted bytes against its budget.

Cases: the spirals preset, the cnn_shapes preset, and a model whose graph changes at every
step (DataDependentLoop below, an nn.Module subclass run as a script project: its forward
loops a number of times decided by the batch). The check per case:

    RSS peak - RSS before the run <= history budget + statistics bytes + MARGIN

The history keeps full tensors within its budget and summary statistics of every node for
the whole run (they grow with the run by design: counted and printed apart); MARGIN covers
the allocator, caches and the session's curves.

    python3 benchmarks/soak.py [--iterations 5000] [--cnn-iterations 500] [--every 500]
                               [--budget-mb 16] [--keep-last 100000]
                               [--cases spirals,cnn_shapes,dynamic]

A large --keep-last (the app's default is 8 iterations) lets the byte budget be what drops
the oldest tensors, so that the budget is reached.
"""
import argparse
import inspect
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.debugging.breakpoints import Breakpoint  # noqa: E402
from app.debugging.history import History  # noqa: E402
from app.debugging.one_pass_moments import LANES, one_pass_moments  # noqa: E402
from app.project.presets import load_preset  # noqa: E402
from app.session import Session  # noqa: E402
from engine import nn  # noqa: E402

MARGIN_MB = 64
PUMP_S = 0.033  # the main window's UI timer
MB = 2**20


class DataDependentLoop(nn.Module):
    """A residual block applied 1 to 7 times, the count drawn from the batch's values: the
    graph (its node keys) changes from one step to the next."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(2, 16)
        self.block = nn.Linear(16, 16)
        self.head = nn.Linear(16, 2)

    def forward(self, x):
        h = self.embed(x).tanh()
        repeats = 1 + int(x.abs().sum().item() * 1000) % 7
        for _ in range(repeats):
            h = h + 0.5 * self.block(h).tanh()
        return self.head(h)


def project_of(case):
    if case != "dynamic":
        return load_preset(case)
    project = load_preset("dynamic_depth")
    project.network.script = inspect.getsource(DataDependentLoop)
    return project


def rss_bytes():
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def stats_bytes(history):
    """Bytes of the per-iteration statistics the history keeps for the whole run (read from
    its private tables: the benchmark measures what the class does not count)."""
    return sum(stats.nbytes for phases in history._phases.values() for _, _, stats in phases)


def warm_up_numba():
    """Import numba and compile (or load from its cache) the statistics kernel for both float
    types now, as the first large tensor of a run would: llvmlite alone adds tens of MB."""
    for dtype in (np.float32, np.float64):
        one_pass_moments(np.zeros(LANES, dtype))


def soak(case, iterations, every, budget, keep_last):
    """Rows (iteration, RSS, RSS growth, bytes kept, statistics bytes, key sets: the distinct
    graphs recorded, values and gradients apart), the peak RSS growth and its bound."""
    session = Session()
    session.set_project(project_of(case))
    if session.debugger is None:  # a script project is built on its first command
        session.step("iteration")
        session.debugger.wait(60)
    history = session.debugger.history = History(memory_budget=budget, keep_last=keep_last)
    warm_up_numba()  # its import and first compile are a one-off cost, not growth
    start, rows, peak = rss_bytes(), [], 0
    try:
        while session.state.completed < iterations:
            target = min(session.state.completed + every, iterations)
            session.debugger.set_breakpoints([Breakpoint.iteration(target)])
            session.run()
            while True:  # the UI timer: drain, sample the memory
                time.sleep(PUMP_S)
                session.pump()
                peak = max(peak, rss_bytes())
                if session.state.status != "running":
                    break
            if session.state.error:
                raise RuntimeError(f"{case}: {session.state.error}")
            rss = rss_bytes()
            rows.append((session.state.completed, rss, rss - start, history.bytes_kept,
                         stats_bytes(history), len(history._rows)))
    finally:
        session.close()
    bound = budget + stats_bytes(history) + MARGIN_MB * MB
    return rows, peak - start, bound


def run_case(case, args):
    """Soak one case in this process and print its table; True when within the bound."""
    budget = int(args.budget_mb * MB)
    started = time.perf_counter()
    iterations = args.cnn_iterations if case == "cnn_shapes" else args.iterations
    every = max(1, min(args.every, iterations // 10))
    rows, growth, bound = soak(case, iterations, every, budget, args.keep_last)
    header = (f"{'case':11} {'iteration':>9} {'RSS':>8} {'growth':>8} {'kept':>7} "
              f"{'budget':>7} {'stats':>7} {'keysets':>7}")
    print(f"{header}\n{'-' * len(header)}")
    for it, rss, grown, kept, stats, keysets in rows:
        print(f"{case:11} {it:9d} {rss / MB:8.1f} {grown / MB:8.1f} {kept / MB:7.2f} "
              f"{budget / MB:7.1f} {stats / MB:7.2f} {keysets:7d}")
    ok = growth <= bound
    seconds = time.perf_counter() - started
    print(f"{case}: peak growth {growth / MB:.1f} MB <= bound {bound / MB:.1f} MB "
          f"(budget + statistics + margin): {'yes' if ok else 'NO'}; "
          f"{seconds / max(rows[-1][0], 1) * 1e3:.2f} ms/iteration")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--cnn-iterations", type=int, default=500,
                        help="iterations of cnn_shapes (~30-100 ms each here)")
    parser.add_argument("--every", type=int, default=500, help="iterations between two rows")
    parser.add_argument("--budget-mb", type=float, default=16.0, help="history memory budget")
    parser.add_argument("--keep-last", type=int, default=100_000,
                        help="iterations whose full tensors may be kept (within the budget)")
    parser.add_argument("--cases", default="spirals,cnn_shapes,dynamic")
    args = parser.parse_args()
    cases = args.cases.split(",")
    if len(cases) == 1:
        return 0 if run_case(cases[0], args) else 1
    print(f"history budget {args.budget_mb:g} MB, margin {MARGIN_MB} MB; RSS in MB; each "
          f"case in a fresh process (memory freed by one case would hide another's growth)")
    failed = []
    for case in cases:
        print()
        sys.stdout.flush()
        child = subprocess.run([sys.executable, os.path.abspath(__file__), *sys.argv[1:],
                                "--cases", case])
        if child.returncode:
            failed.append(case)
    print(f"\nwithin bound: {'all' if not failed else 'NOT ' + ', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
