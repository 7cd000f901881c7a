"""Timing shared by the benchmark scripts."""
import time


def per_call(fns, repeat, rounds=9):
    """Seconds per call of each of `fns`: the best over `rounds` of the mean of `repeat`
    calls. Rounds alternate between the functions, and the best round is the one least
    disturbed by other processes on a shared machine."""
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for k, fn in enumerate(fns):
            start = time.perf_counter()
            for _ in range(repeat):
                fn()
            best[k] = min(best[k], (time.perf_counter() - start) / repeat)
    return best
