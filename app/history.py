"""Per-node history of a training run: summary statistics of every node's value and gradient
for every iteration, and the full tensors of the last iterations within a memory budget.

Statistics are computed with the array's own module (numpy, or CuPy on the device); only the
seven numbers per tensor are copied to the host. Full tensors are kept as they are (on their
device), counted in bytes, the oldest dropped first when the budget is exceeded.
"""
import threading
from collections import OrderedDict
from functools import wraps

import numpy as np

from engine import get_array_module

STAT_NAMES = ("mean", "std", "min", "max", "norm", "zero_fraction", "nonfinite")
KINDS = ("value", "grad")
_SMALL = 4096  # arrays up to this size are summarised together in one concatenated pass


class NotKept(KeyError):
    """The full tensor asked for is not kept; the message says why."""

    def __str__(self):
        return self.args[0]


def summarize(arrays):
    """Statistics of each array as a float64 (len(arrays), 7) host array (columns STAT_NAMES)."""
    out = np.full((len(arrays), len(STAT_NAMES)), np.nan)
    with np.errstate(all="ignore"):  # non-finite values give non-finite statistics
        _summarize_into(out, arrays)
    return out


def _summarize_into(out, arrays):
    small = []
    for i, a in enumerate(arrays):
        if a.size == 0:
            continue
        if a.size <= _SMALL and get_array_module(a) is np:
            small.append(i)
        else:
            out[i] = _summarize_one(a)
    if small:
        out[small] = _summarize_concatenated([arrays[i] for i in small])


def _summarize_concatenated(arrays):
    """One vectorised pass over many small host arrays (segment reductions)."""
    sizes = np.array([a.size for a in arrays])
    starts = np.zeros(len(arrays), dtype=np.intp)
    np.cumsum(sizes[:-1], out=starts[1:])
    flat = np.concatenate([a.ravel() for a in arrays], dtype=np.float64)
    sums = np.add.reduceat(flat, starts)
    squares = np.add.reduceat(flat * flat, starts)
    out = np.empty((len(arrays), len(STAT_NAMES)))
    out[:, 0] = mean = sums / sizes
    out[:, 1] = np.sqrt(np.maximum(squares / sizes - mean * mean, 0.0))
    out[:, 2] = np.minimum.reduceat(flat, starts)
    out[:, 3] = np.maximum.reduceat(flat, starts)
    out[:, 4] = np.sqrt(squares)
    out[:, 5] = np.add.reduceat(flat == 0, starts, dtype=np.float64) / sizes
    if np.isfinite(squares).all():
        out[:, 6] = 0
    else:
        out[:, 6] = sizes - np.add.reduceat(np.isfinite(flat), starts, dtype=np.float64)
    return out


def _summarize_one(a):
    xp = get_array_module(a)
    f = a.ravel()
    if f.dtype.kind != "f":
        f = f.astype(np.float64)
    n = f.size
    if xp is not np:  # on the device: compute there, copy the seven numbers once
        mean = f.mean()
        stats = xp.stack([mean, f.std(), f.min(), f.max(), xp.sqrt(xp.dot(f, f)),
                          xp.count_nonzero(f == 0) / n,
                          n - xp.count_nonzero(xp.isfinite(f))]).astype(xp.float64)
        return stats.get()
    total, squares = float(f.sum()), float(np.dot(f, f))
    mean = total / n
    var = squares / n - mean * mean
    if not var > 1e-3 * mean * mean:  # cancellation (or non-finite): use the centred form
        var = float(np.mean(np.square(f - mean, dtype=np.float64)))
    if np.isfinite(total) and np.isfinite(squares):
        nonfinite = 0
    else:
        nonfinite = n - int(np.count_nonzero(np.isfinite(f)))
    return (mean, np.sqrt(max(var, 0.0)) if np.isfinite(var) else np.nan, float(f.min()),
            float(f.max()), np.sqrt(squares), np.count_nonzero(f == 0) / n, nonfinite)


def _locked(method):
    @wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return wrapper


def stats_dict(row):
    return dict(zip(STAT_NAMES, (float(v) for v in row)))


class History:
    """Statistics for the whole run, full tensors for the last iterations within a budget.

    `record(iteration, kind, keys, arrays)` is called by the debugger at the end of a phase;
    `discard(iteration)` forgets an abandoned iteration. Query: `iterations()`,
    `stats(key, kind)`, `stats_at(key, iteration, kind)`, `tensor(key, iteration, kind)`.
    Thread-safe: the worker records while the UI thread queries.
    """

    def __init__(self, memory_budget=256 * 2**20, keep_tensors=True):
        if memory_budget < 0:
            raise ValueError(f"History: memory_budget must be >= 0 bytes, got {memory_budget}")
        self.memory_budget = int(memory_budget)
        self.keep_tensors = keep_tensors
        self._lock = threading.RLock()
        self.clear()

    @_locked
    def clear(self):
        self._series = {}  # (key, kind) -> ([iteration, ...], [stats row, ...])
        self._iterations = []
        self._tensors = OrderedDict()  # (iteration, key, kind) -> array, oldest first
        self.bytes_kept = 0

    # ---- recording ------------------------------------------------------------------------
    @_locked
    def record(self, iteration, kind, keys, arrays, stats=None):
        """Record one phase's tensors (stats computed here unless given); returns the stats."""
        if kind not in KINDS:
            raise ValueError(f"History: kind must be one of {KINDS}, got {kind!r}")
        if stats is None:
            stats = summarize(arrays)
        if not self._iterations or self._iterations[-1] != iteration:
            self._iterations.append(iteration)
        for key, row in zip(keys, stats):
            its, rows = self._series.setdefault((key, kind), ([], []))
            its.append(iteration)
            rows.append(row)
        if self.keep_tensors:
            for key, a in zip(keys, arrays):
                self._tensors[(iteration, key, kind)] = a
                self.bytes_kept += a.nbytes
            self._enforce_budget()
        return stats

    def _enforce_budget(self):
        while self.bytes_kept > self.memory_budget and self._tensors:
            _, a = self._tensors.popitem(last=False)
            self.bytes_kept -= a.nbytes

    @_locked
    def discard(self, iteration):
        """Forget everything recorded for `iteration` (an abandoned, unfinished one)."""
        if iteration in self._iterations:
            self._iterations.remove(iteration)
        for its, rows in self._series.values():
            while its and its[-1] == iteration:
                its.pop()
                rows.pop()
        for k in [k for k in self._tensors if k[0] == iteration]:
            self.bytes_kept -= self._tensors.pop(k).nbytes

    # ---- queries --------------------------------------------------------------------------
    @_locked
    def iterations(self):
        return list(self._iterations)

    @_locked
    def keys(self, kind="value"):
        return sorted(k for (k, kd), (its, _) in self._series.items() if kd == kind and its)

    @_locked
    def stats(self, key, kind="value"):
        """{"iteration": int array, "mean": array, ...}: one entry per recorded iteration."""
        its, rows = self._series.get((key, kind), ([], []))
        table = np.array(rows, dtype=np.float64).reshape(len(rows), len(STAT_NAMES))
        out = {"iteration": np.array(its, dtype=np.int64)}
        out.update({name: table[:, j] for j, name in enumerate(STAT_NAMES)})
        return out

    @_locked
    def stats_at(self, key, iteration, kind="value"):
        its, rows = self._series.get((key, kind), ([], []))
        for i in range(len(its) - 1, -1, -1):
            if its[i] == iteration:
                return stats_dict(rows[i])
        raise KeyError(f"no {kind} statistics of node {key!r} at iteration {iteration}")

    @_locked
    def is_kept(self, key, iteration, kind="value"):
        return (iteration, key, kind) in self._tensors

    @_locked
    def tensor(self, key, iteration, kind="value"):
        """A host numpy copy of the node's full tensor at `iteration`; NotKept says why not."""
        a = self._tensors.get((iteration, key, kind))
        if a is not None:
            return np.array(a.get() if hasattr(a, "get") else a, copy=True)
        if not self.keep_tensors:
            raise NotKept("full tensors are not kept (keep_tensors is off)")
        if (key, kind) not in self._series or iteration not in self._series[(key, kind)][0]:
            raise NotKept(f"no {kind} of node {key!r} was recorded at iteration {iteration}")
        raise NotKept(f"the {kind} of node {key!r} at iteration {iteration} was dropped to keep "
                      f"the history within its memory budget of {self.memory_budget} bytes")
