"""Static (compiled) against dynamic mode: time per training step for the Playground MLP
(2-16-16-2, batch 32) and the MNIST-size MLP (784-256-256-10, batch 128), compile time,
peak memory before and after planning, node counts before and after each pass, and
PyTorch eager and torch.compile on the same step where PyTorch is installed.

    python3 benchmarks/static.py [--quick] [--no-torch-compile] [--case Playground]
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from timing import per_call  # noqa: E402

import engine as sg  # noqa: E402
import engine.nn.functional as F  # noqa: E402
from engine import nn, optim, static  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

CASES = [  # name, layer sizes, batch, activation
    ("Playground MLP 2-16-16-2", (2, 16, 16, 2), 32, "Tanh"),
    ("MNIST MLP 784-256-256-10", (784, 256, 256, 10), 128, "ReLU"),
]


def mlp(lib, sizes, act):
    layers = []
    for k, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(lib.Linear(a, b))
        if k < len(sizes) - 2:
            layers.append(getattr(lib, act)())
    return lib.Sequential(*layers)


def make_optimizer(lib, name, params):
    if name == "SGD":  # plain SGD, as the TF Playground trains
        return lib.SGD(params, lr=0.03)
    if name == "SGDm":
        return lib.SGD(params, lr=0.03, momentum=0.9)
    return lib.Adam(params, lr=1e-3)


def data(sizes, batch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    return x, rng.integers(0, sizes[-1], batch)


def dynamic_step(sizes, batch, act, opt_name):
    sg.manual_seed(0)
    model = mlp(nn, sizes, act)
    opt = make_optimizer(optim, opt_name, model.parameters())
    x, y = data(sizes, batch)
    xt, yt = sg.tensor(x), sg.tensor(y)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
    return step


def static_session(sizes, batch, act, opt_name):
    sg.manual_seed(0)
    start = time.perf_counter()
    with static.Graph() as g:
        x = static.placeholder("x", (None, sizes[0]))
        y = static.placeholder("y", (None,), dtype="int64")
        model = mlp(nn, sizes, act)
        loss = F.cross_entropy(model(x), y)
        train = static.minimize(loss, make_optimizer(optim, opt_name, model.parameters()))
    built = time.perf_counter()
    sess = static.Session(g, batch_size=batch)
    compiled = time.perf_counter()
    xv, yv = data(sizes, batch)
    feeds = {x: xv, y: yv}
    return sess, (lambda: sess.run([loss, train], feeds)), built - start, compiled - built


def torch_steps(sizes, batch, act, opt_name, with_compile):
    if torch is None:
        return None, "torch not installed"
    torch.manual_seed(0)
    model = mlp(torch.nn, sizes, act)
    opt = make_optimizer(torch.optim, opt_name, model.parameters())
    xv, yv = data(sizes, batch)
    x, y = torch.from_numpy(xv), torch.from_numpy(yv)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    if with_compile is not True:
        return step, with_compile
    try:
        compiled = torch.compile(step)
        start = time.perf_counter()
        compiled()
        compiled()
        return step, (compiled, time.perf_counter() - start)
    except Exception as exc:  # torch.compile needs a working C++ toolchain on the CPU
        return step, f"unavailable: {type(exc).__name__}: {str(exc).splitlines()[0][:80]}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--no-torch-compile", action="store_true")
    parser.add_argument("--optimizers", default="SGD,SGDm,Adam",
                        help="comma-separated: SGD (plain), SGDm (momentum 0.9), Adam")
    parser.add_argument("--case", default="", help="only cases whose name contains this")
    args = parser.parse_args()
    if torch is not None:
        torch.set_num_threads(1)
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}; "
          "times per training step (forward, loss, backward, optimizer update), best of rounds")
    print()
    header = (f"{'case':28s} {'opt':5s} {'dynamic':>10s} {'static':>10s} {'static/dyn':>10s} "
              f"{'torch':>10s} {'torch.compile':>14s} {'build':>8s} {'compile':>8s}")
    print(header)
    print("-" * len(header))
    sessions = []
    for name, sizes, batch, act in [c for c in CASES if args.case in c[0]]:
        repeat = (200 if sizes[0] < 100 else 20) // (4 if args.quick else 1)
        for opt_name in args.optimizers.split(","):
            dyn = dynamic_step(sizes, batch, act, opt_name)
            sess, stat, build_s, compile_s = static_session(sizes, batch, act, opt_name)
            if args.no_torch_compile:
                with_compile = "skipped (--no-torch-compile)"
            elif opt_name != "SGD":
                with_compile = "run for plain SGD only, to keep the benchmark short"
            else:
                with_compile = True
            tstep, tcompiled = torch_steps(sizes, batch, act, opt_name, with_compile)
            fns = [dyn, stat] + ([tstep] if tstep else [])
            if isinstance(tcompiled, tuple):
                fns.append(tcompiled[0])
            times = per_call(fns, repeat, rounds=5 if args.quick else 9)
            t_dyn, t_static = times[0], times[1]
            t_torch = f"{times[2] * 1e6:8.1f}us" if tstep else "n/a"
            if isinstance(tcompiled, tuple):
                t_comp = f"{times[3] * 1e6:8.1f}us"
                sessions.append(("torch.compile", f"{name} {opt_name}: compiled in "
                                                  f"{tcompiled[1]:.1f} s (first two calls)"))
            else:
                t_comp = "see below"
                sessions.append(("torch.compile", f"{name} {opt_name}: {tcompiled}"))
            print(f"{name:28s} {opt_name:5s} {t_dyn * 1e6:8.1f}us {t_static * 1e6:8.1f}us "
                  f"{t_static / t_dyn:10.2f} {t_torch:>10s} {t_comp:>14s} "
                  f"{build_s * 1e3:6.1f}ms {compile_s * 1e3:6.1f}ms")
            if opt_name == "SGD":
                sessions.append((name, sess))
    for name, sess in sessions:
        if name == "torch.compile":
            print(f"\ntorch.compile: {sess}")
            continue
        m = sess.memory
        print(f"\n{name} (SGD), passes (nodes before -> after):")
        for record in sess.passes:
            print(f"  {record.name:18s} {record.nodes_before:4d} -> {record.nodes_after:4d}"
                  f"   {record.seconds * 1e3:6.2f} ms")
        print(f"  peak intermediate memory at batch {m['batch_size']}: "
              f"{m['peak_bytes_before'] / 1024:8.1f} KiB before planning, "
              f"{m['peak_bytes_after'] / 1024:8.1f} KiB after ({m['buffers']} reused buffers)")


if __name__ == "__main__":
    main()
