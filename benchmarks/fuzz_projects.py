"""Fuzzing the project loader and the data loaders: broken mutations of every preset file,
random JSON documents, weights files that do not fit the network (tests/app/project_mutations.py)
and good or broken data files (CSV, NPZ, IDX, gzip and zip bombs, lying headers:
tests/app/data_mutations.py). Each case is loaded, and when it loads built and trained a few
iterations; any exception other than ProjectError / BuildError / DataError is a crash, and so
is a case over its time or memory limit (Python allocations, numpy's included, traced per
case). Prints cases tried, crashes (each with its input), peak memory, the slowest case, and
how often each kind of error message came.

    python3 benchmarks/fuzz_projects.py [--cases 10000] [--seed 0] [--case-seconds 20]
                                        [--case-mb 512]
"""
import argparse
import collections
import os
import random
import resource
import signal
import sys
import tempfile
import time
import tracemalloc
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.project.files import load_project  # noqa: E402
from tests.app.data_mutations import data_case, run_data_case  # noqa: E402
from tests.app.project_mutations import (WEIGHT_MUTATIONS, bad_weights, error_kind,  # noqa: E402
                                         preset_texts, random_project_case, run_case,
                                         saved_preset)

WEIGHTS_SHARE = 0.15  # of the cases: a valid project with a broken weights file
DATA_SHARE = 0.25  # of the cases: a project reading a good or broken data file
MB = 1 << 20


class CaseTimeout(BaseException):
    """A case ran past --case-seconds (raised by SIGALRM in the main thread)."""


def _alarm(signum, frame):
    raise CaseTimeout


def one_case(rng, texts, saved, directory):
    """(label, input shown for a crash, outcome, message) of one random case."""
    draw = rng.random()
    if draw < WEIGHTS_SHARE:
        name, kind = rng.choice(sorted(saved)), rng.choice(WEIGHT_MUTATIONS)
        project, state = saved[name]
        outcome, message = run_case(project, directory, bad_weights(state, kind, rng))
        return f"{name}:weights:{kind}", project, outcome, message
    if draw < WEIGHTS_SHARE + DATA_SHARE:
        label, project = data_case(rng, directory)
        outcome, message = run_data_case(project, directory)
        return f"data:{label}", repr(project.dataset).encode(), outcome, message
    label, data = random_project_case(rng, texts)
    outcome, message = run_case(data, directory)
    if outcome == "ok":  # it loads and builds: a few steps of training too (a mutated
        project = load_project(os.path.join(directory, "case.json"))  # script is never run)
        if not project.network.script:
            outcome, message = run_data_case(project, directory)
    return label, data, outcome, message


def limited(fn, seconds, limit_bytes):
    """fn()'s result with the case's seconds and peak traced bytes, turned into a crash when
    it passes either limit."""
    tracemalloc.reset_peak()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.perf_counter()
    try:
        label, data, outcome, message = fn()
    except CaseTimeout:
        label, data, outcome, message = "?", b"", "crash", f"over the {seconds:g} s limit"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    took, peak = time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    if peak > limit_bytes and outcome != "crash":
        outcome, message = "crash", f"peak {peak / MB:.0f} MB, over the {limit_bytes / MB:g} MB limit"
    return label, data, outcome, message, took, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--top", type=int, default=25, help="kinds of message listed")
    parser.add_argument("--case-seconds", type=float, default=20.0, help="time limit per case")
    parser.add_argument("--case-mb", type=float, default=512.0, help="memory limit per case")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # overflow in generated data is not what is measured
    signal.signal(signal.SIGALRM, _alarm)
    tracemalloc.start()
    rng = random.Random(args.seed)
    texts = preset_texts()
    outcomes, kinds, labels, crashes = collections.Counter(), collections.Counter(), {}, []
    peak, slowest = (0, ""), (0.0, "")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as directory:
        saved = {name: saved_preset(name, directory) for name in texts}
        for _ in range(args.cases):
            label, data, outcome, message, took, traced = limited(
                lambda: one_case(rng, texts, saved, directory), args.case_seconds,
                args.case_mb * MB)
            outcomes[outcome] += 1
            peak, slowest = max(peak, (traced, label)), max(slowest, (took, label))
            if outcome == "error":
                kinds[error_kind(message)] += 1
                labels.setdefault(error_kind(message), label)
            elif outcome == "crash":
                crashes.append((label, data, message))
    seconds = time.perf_counter() - start
    print(f"{'cases tried':<40}{args.cases:>10,}")
    print(f"{'loaded, built and trained':<40}{outcomes['ok']:>10,}")
    print(f"{'rejected with a message':<40}{outcomes['error']:>10,}")
    print(f"{'crashes':<40}{outcomes['crash']:>10,}")
    print(f"{'seconds':<40}{seconds:>10.1f}")
    print(f"{'peak traced memory of a case (MB)':<40}{peak[0] / MB:>10.1f}   {peak[1]}")
    print(f"{'slowest case (s)':<40}{slowest[0]:>10.2f}   {slowest[1]}")
    print(f"{'process peak RSS (MB)':<40}"
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:>10.1f}")
    print(f"\n{'kind of error message (first words)':<60}{'count':>8}   first case")
    for kind, count in kinds.most_common(args.top):
        print(f"{kind[:58]:<60}{count:>8}   {labels[kind]}")
    if len(kinds) > args.top:
        rest = sum(count for _, count in kinds.most_common()[args.top:])
        print(f"{f'({len(kinds) - args.top} other kinds)':<60}{rest:>8}")
    for label, data, message in crashes[:20]:
        print(f"\nCRASH {label}: input {data[:300]!r}{'...' if len(data) > 300 else ''}\n{message}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
