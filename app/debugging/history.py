"""Per-node history of a training run: summary statistics of every node's value and gradient
for every iteration, and the full tensors of the last iterations within a memory budget.

Statistics are computed with the array's own module (numpy, or CuPy on the device; a large
host array in one compiled pass, app/debugging/one_pass_moments.py); only the seven numbers per tensor
are copied to the host. Full tensors are kept as they are (on their
device, no copy) for the last `keep_last` iterations and within `memory_budget` bytes, the
oldest dropped first. A small `keep_last` keeps recording cheap: once it is reached, the memory
of dropped tensors is reused by the next iterations instead of memory out of the cache. The
default keeps 8 iterations; keeping 32 made the MNIST-size MLP about 6% slower under the
debugger (measured against keeping 8, in one process, benchmarks/debugger.py's case).
"""
import math
import threading
from collections import OrderedDict
from functools import lru_cache, wraps

import numpy as np

from engine import get_array_module

from app.debugging.one_pass_moments import one_pass_moments

STAT_NAMES = ("mean", "std", "min", "max", "norm", "zero_fraction", "nonfinite")
KINDS = ("value", "grad")
LARGE = 4096  # larger arrays are summarised one by one; smaller ones stacked by shape
_HOST = (np.ndarray, np.generic)  # numpy scalars (e.g. a loss) are host values too
_PENDING_BYTES = 2**20  # tensors waiting for their statistics (besides those kept anyway)


class NotKept(KeyError):
    """The full tensor asked for is not kept; the message says why."""

    def __str__(self):
        return self.args[0]


def summarize(arrays):
    """Statistics of each array as a float64 (len(arrays), 7) host array (columns STAT_NAMES).

    Small arrays of equal shape are stacked and reduced together along rows (one call per
    statistic for the whole group); sums go through BLAS (a product with a vector of ones)."""
    out = np.full((len(arrays), len(STAT_NAMES)), np.nan)
    groups, scalars = {}, []
    with np.errstate(all="ignore"):  # non-finite values give non-finite statistics
        for i, a in enumerate(arrays):
            size = a.size
            if size == 1 and isinstance(a, _HOST):
                scalars.append(i)
            elif size > LARGE and type(a) is np.ndarray:
                out[i] = _summarize_host(a)
            elif size:
                group = (a.shape, a.dtype.char, type(a)) if size <= LARGE else i
                rows = groups.get(group)
                if rows is None:
                    groups[group] = [i]
                else:
                    rows.append(i)
        if scalars:
            out[scalars] = _scalar_stats(np.array([arrays[i].item() for i in scalars], float))
        for rows in groups.values():
            out[rows] = _summarize_rows([arrays[i] for i in rows])
    return out


def summarize_large(a):
    """Statistics (a row) of one array, computed now if it is a large host array, else None
    (small arrays are cheaper in batches; device arrays stay on the device until then)."""
    if a.size <= LARGE or type(a) is not np.ndarray:
        return None
    return _summarize_host(a)


def _summarize_host(a):
    """One host array: one compiled pass (app/debugging/one_pass_moments.py) or five numpy passes, the
    rest in Python floats; the rare paths that may warn are under np.errstate."""
    f = a.reshape(-1)
    if f.dtype.kind != "f":
        f = f.astype(np.float64)
    n = f.size
    total, squares, lo, hi, zeros = one_pass_moments(f) or numpy_moments(f)
    nonfinite = 0
    mean = total / n
    var = squares / n - mean * mean
    if not var > 0.1 * mean * mean or squares == math.inf:  # non-finite, cancellation, overflow
        with np.errstate(all="ignore"):
            nonfinite, mean, var, squares = _wide_moments(f)
        if nonfinite:  # NaN propagates to the extremes, as in numpy
            lo, hi = float(np.minimum.reduce(f)), float(np.maximum.reduce(f))
    return (mean, math.sqrt(var) if var >= 0 else math.nan, lo, hi,
            math.sqrt(squares) if squares >= 0 else math.nan, zeros / n, nonfinite)


def numpy_moments(f):
    """(sum, sum of squares, min, max, zero count) of a 1-D float array by five numpy passes
    (two of them BLAS; none warns on finite values); the zero count is skipped where the
    extremes rule zeros out."""
    squares = float(np.dot(f, f))
    total = float(np.dot(f, _ones(f.size, f.dtype, np)))
    lo, hi = float(np.minimum.reduce(f)), float(np.maximum.reduce(f))
    zeros = int(np.count_nonzero(f == 0)) if not (lo > 0 or hi < 0) else 0  # NaN: counted
    return total, squares, lo, hi, zeros


def _wide_moments(f):
    """(non-finite count, mean, variance, sum of squares) in float64, the variance centred:
    for the arrays whose float32 moments cannot be trusted."""
    n = f.size
    wide = f.astype(np.float64)
    squares = float(np.dot(wide, wide))
    nonfinite = 0 if math.isfinite(squares) else n - int(np.count_nonzero(np.isfinite(f)))
    mean = float(wide.sum()) / n
    centred = wide - mean
    return nonfinite, mean, float(np.dot(centred, centred)) / n, squares


def _scalar_stats(v):
    """Statistics of single values (a float64 vector): one row each."""
    finite = np.isfinite(v)
    return np.stack([v, np.where(finite, 0.0, np.nan), v, v, np.abs(v), v == 0, ~finite], axis=1)


@lru_cache(maxsize=64)
def _ones(n, dtype, xp):
    return xp.ones(n, dtype=dtype)


def _row_dots(m, xp):
    """The dot product of each row of `m` with itself."""
    if xp is np and hasattr(np, "vecdot"):  # numpy >= 2: one pass, no temporary
        return np.vecdot(m, m)
    return xp.einsum("ij,ij->i", m, m)


def _row_extremes(m, xp):
    """The minimum and the maximum of each row of `m`. On the host, reduceat over the flat
    rows: about twice as fast as numpy's reduction along axis 1 for short rows."""
    if xp is np:
        flat = m.reshape(-1)
        starts = np.arange(0, flat.size, m.shape[1])
        return np.minimum.reduceat(flat, starts), np.maximum.reduceat(flat, starts)
    return m.min(axis=1), m.max(axis=1)


def _summarize_rows(arrays):
    """Statistics of arrays of one shape, dtype and module: one row each."""
    xp = get_array_module(arrays[0])
    k, n = len(arrays), arrays[0].size
    if k == 1:
        m = arrays[0].reshape(1, n)
    else:
        m = (xp.concatenate(arrays) if arrays[0].ndim else xp.stack(arrays)).reshape(k, n)
    if m.dtype.kind != "f":
        m = m.astype(xp.float64)
    squares = _row_dots(m, xp).astype(xp.float64)
    mean = (m @ _ones(n, m.dtype, xp)).astype(xp.float64) / n
    if xp is np and np.isfinite(squares).all():
        nonfinite = 0.0
    else:
        nonfinite = n - xp.isfinite(m).sum(axis=1)
        wide = m.astype(xp.float64)  # squares may overflow in float32 on finite values
        squares = _row_dots(wide, xp)
        mean = wide.sum(axis=1) / n
    var = squares / n - mean * mean
    if xp is not np or not (var > 0.1 * mean * mean).all():  # cancellation: centre, in float64
        wide = m.astype(xp.float64)
        mean = wide.sum(axis=1) / n
        centred = wide - mean[:, None]
        var = _row_dots(centred, xp) / n
    stats = xp.empty((k, len(STAT_NAMES)))
    stats[:, 0] = mean
    stats[:, 1] = xp.sqrt(var)
    stats[:, 2], stats[:, 3] = _row_extremes(m, xp)
    stats[:, 4] = xp.sqrt(squares)
    stats[:, 5] = xp.add.reduce(m == 0, axis=1, dtype=xp.int32)  # rows <= LARGE: no overflow
    stats[:, 5] /= n
    stats[:, 6] = nonfinite
    return stats if xp is np else stats.get()


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
    `stats(key, kind)`, `stats_at(key, iteration, kind)`, `stats_of_iteration(iteration,
    kind)`, `tensor(key, iteration, kind)`.
    Statistics are computed in batches of up to `batch` phases or 1 MB of tensors (one
    vectorised pass over many small tensors costs little more than over one), and always
    before a query answers.
    Thread-safe: the worker records while the UI thread queries.
    """

    def __init__(self, memory_budget=256 * 2**20, keep_last=8, batch=64):
        if memory_budget < 0 or keep_last < 0:
            raise ValueError(f"History: memory_budget ({memory_budget} bytes) and keep_last "
                             f"({keep_last} iterations) must be >= 0")
        self.memory_budget = int(memory_budget)
        self.keep_last = int(keep_last)
        self.batch = max(1, int(batch))
        self._lock = threading.RLock()
        self.clear()

    @_locked
    def clear(self):
        self._phases = {kind: [] for kind in KINDS}  # kind -> [(iteration, rows, stats)]
        self._pending = []  # [(iteration, kind, rows, arrays without known stats, known)]
        self._pending_bytes = 0
        self._rows = {}  # key tuple of a graph -> {key: row}, shared by its iterations
        self._tensors = OrderedDict()  # iteration -> {kind: {key: array}}, oldest first
        self._bytes = {}  # iteration -> bytes of its kept tensors
        self.bytes_kept = 0

    # ---- recording ------------------------------------------------------------------------
    def record(self, iteration, kind, keys, arrays, flush=False, known=None):
        """Record one phase's tensors. Statistics wait for a batch unless `flush`, except
        those `known` already ({key: row}, computed by the caller while the tensor was hot in
        the cache); returns the phases of the newest iteration whose statistics were just
        computed, as [(iteration, kind, keys, stats)] (empty while the batch waits)."""
        if kind not in KINDS:
            raise ValueError(f"History: kind must be one of {KINDS}, got {kind!r}")
        keys = tuple(keys)
        nbytes = sum([a.nbytes for a in arrays])
        if known:
            todo = [a for k, a in zip(keys, arrays) if k not in known]
            todo_bytes = sum([a.nbytes for a in todo])
        else:
            todo, known, todo_bytes = arrays, None, nbytes
        with self._lock:
            rows = self._rows.get(keys)
            if rows is None:
                rows = self._rows[keys] = {key: i for i, key in enumerate(keys)}
            self._pending.append((iteration, kind, rows, todo, known))
            self._pending_bytes += todo_bytes
            if self.keep_last:
                self._keep(iteration, kind, keys, arrays, nbytes)
            if flush or len(self._pending) >= self.batch or self._pending_bytes > _PENDING_BYTES:
                return self._flush()
        return []

    def _keep(self, iteration, kind, keys, arrays, nbytes):
        """Keep one phase's full tensors; the limits are enforced when one is passed."""
        kept = self._tensors.get(iteration)
        if kept is None:
            self._tensors[iteration] = {kind: dict(zip(keys, arrays))}
            self._bytes[iteration] = nbytes
        else:
            by_key = kept.get(kind)
            if by_key is None:
                kept[kind] = dict(zip(keys, arrays))
            else:
                by_key.update(zip(keys, arrays))
            self._bytes[iteration] += nbytes
        self.bytes_kept += nbytes
        if self.bytes_kept > self.memory_budget or \
                next(iter(self._tensors)) <= iteration - self.keep_last:
            self._enforce_limits(iteration)

    def _flush(self):
        pending = self._pending
        if not pending:
            return []
        computed = summarize([a for *_, todo, _ in pending for a in todo])
        if any(known for *_, known in pending):  # one table: known rows in, computed rows in
            known_rows, known_at, computed_at = [], [], []
            total = 0
            for _, _, rows, _, known in pending:
                for key in rows:
                    row = known.get(key) if known else None
                    if row is None:
                        computed_at.append(total)
                    else:
                        known_rows.append(row)
                        known_at.append(total)
                    total += 1
            table = np.empty((total, len(STAT_NAMES)))
            table[known_at] = np.array(known_rows, dtype=np.float64)
            table[computed_at] = computed
        else:
            table = computed
        start = 0
        for iteration, kind, rows, _, _ in pending:
            self._phases[kind].append((iteration, rows, table[start:start + len(rows)]))
            start += len(rows)
        newest = self._pending[-1][0]
        flushed = [(it, kind, tuple(rows), self._phases[kind][-1][2])
                   for it, kind, rows, *_ in self._pending[-2:] if it == newest]
        self._pending = []
        self._pending_bytes = 0
        return flushed

    def _enforce_limits(self, newest):
        """Drop the oldest tensors until within the budget and the last `keep_last` iterations."""
        tensors = self._tensors
        while tensors:
            oldest = next(iter(tensors))
            if oldest <= newest - self.keep_last or (self.bytes_kept > self.memory_budget
                                                     and oldest != newest):
                self._drop(oldest)
            elif self.bytes_kept > self.memory_budget:  # the newest alone is over budget
                by_key = next(d for d in tensors[oldest].values() if d)
                nbytes = by_key.pop(next(iter(by_key))).nbytes
                self._bytes[oldest] -= nbytes
                self.bytes_kept -= nbytes
            else:
                break

    def _drop(self, iteration):
        self._tensors.pop(iteration, None)
        self.bytes_kept -= self._bytes.pop(iteration, 0)

    @_locked
    def discard(self, iteration):
        """Forget everything recorded for `iteration` (an abandoned, unfinished one)."""
        self._flush()
        for phases in self._phases.values():
            while phases and phases[-1][0] == iteration:
                phases.pop()
        self._drop(iteration)

    # ---- queries --------------------------------------------------------------------------
    @_locked
    def iterations(self):
        self._flush()
        return sorted({it for phases in self._phases.values() for it, _, _ in phases})

    @_locked
    def keys(self, kind="value"):
        self._flush()
        return sorted({key for _, rows, _ in self._phases[kind] for key in rows})

    @_locked
    def stats(self, key, kind="value"):
        """{"iteration": int array, "mean": array, ...}: one entry per recorded iteration."""
        self._flush()
        its, table = [], []
        for it, rows, stats in self._phases[kind]:
            row = rows.get(key)
            if row is not None:
                its.append(it)
                table.append(stats[row])
        table = np.array(table, dtype=np.float64).reshape(len(its), len(STAT_NAMES))
        out = {"iteration": np.array(its, dtype=np.int64)}
        out.update({name: table[:, j] for j, name in enumerate(STAT_NAMES)})
        return out

    @_locked
    def stats_at(self, key, iteration, kind="value"):
        self._flush()
        for it, rows, stats in reversed(self._phases[kind]):
            if it == iteration and key in rows:
                return stats_dict(stats[rows[key]])
        raise KeyError(f"no {kind} statistics of node {key!r} at iteration {iteration}")

    @_locked
    def stats_of_iteration(self, iteration, kind="value"):
        """{key: {stat: x}} of every node recorded at `iteration` (one scan for all nodes)."""
        self._flush()
        out = {}
        for it, rows, stats in self._phases[kind]:
            if it == iteration:
                out.update((key, stats_dict(stats[i])) for key, i in rows.items())
        return out

    @_locked
    def is_kept(self, key, iteration, kind="value"):
        return key in self._tensors.get(iteration, {}).get(kind, ())

    @_locked
    def tensor(self, key, iteration, kind="value"):
        """A host numpy copy of the node's full tensor at `iteration`; NotKept says why not."""
        a = self._tensors.get(iteration, {}).get(kind, {}).get(key)
        if a is not None:
            return np.array(a.get() if hasattr(a, "get") else a, copy=True)
        if not self.keep_last:
            raise NotKept("full tensors are not kept (keep_last is 0)")
        self._flush()
        if not any(it == iteration and key in rows for it, rows, _ in self._phases[kind]):
            raise NotKept(f"no {kind} of node {key!r} was recorded at iteration {iteration}")
        raise NotKept(f"the {kind} of node {key!r} at iteration {iteration} was dropped: full "
                      f"tensors are kept for the last {self.keep_last} iterations within a "
                      f"memory budget of {self.memory_budget} bytes")
