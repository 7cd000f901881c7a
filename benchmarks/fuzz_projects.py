"""Fuzzing the project loader: broken mutations of every preset file, random JSON documents
and weights files that do not fit the network (the generators of the CI fuzz test,
tests/app/project_mutations.py). Each case is loaded, and built when it loads; any exception
other than ProjectError / BuildError is a crash. Prints cases tried, crashes (each with its
input) and how often each kind of error message came.

    python3 benchmarks/fuzz_projects.py [--cases 10000] [--seed 0]
"""
import argparse
import collections
import os
import random
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.app.project_mutations import (WEIGHT_MUTATIONS, bad_weights, error_kind,  # noqa: E402
                                         preset_texts, random_project_case, run_case,
                                         saved_preset)

WEIGHTS_SHARE = 0.15  # of the cases: a valid project with a broken weights file


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--top", type=int, default=25, help="kinds of message listed")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # overflow in generated data is not what is measured
    rng = random.Random(args.seed)
    texts = preset_texts()
    outcomes, kinds, labels, crashes = collections.Counter(), collections.Counter(), {}, []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as directory:
        saved = {name: saved_preset(name, directory) for name in texts}
        for _ in range(args.cases):
            if rng.random() < WEIGHTS_SHARE:
                name, kind = rng.choice(sorted(saved)), rng.choice(WEIGHT_MUTATIONS)
                project, state = saved[name]
                label, data, weights = f"{name}:weights:{kind}", project, \
                    bad_weights(state, kind, rng)
            else:
                (label, data), weights = random_project_case(rng, texts), None
            outcome, message = run_case(data, directory, weights)
            outcomes[outcome] += 1
            if outcome == "error":
                kinds[error_kind(message)] += 1
                labels.setdefault(error_kind(message), label)
            elif outcome == "crash":
                crashes.append((label, data, message))
    seconds = time.perf_counter() - start
    print(f"{'cases tried':<40}{args.cases:>10,}")
    print(f"{'loaded and built':<40}{outcomes['ok']:>10,}")
    print(f"{'rejected with a message':<40}{outcomes['error']:>10,}")
    print(f"{'crashes':<40}{outcomes['crash']:>10,}")
    print(f"{'seconds':<40}{seconds:>10.1f}")
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
