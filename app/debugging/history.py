"""Per-node history of a training run: summary statistics of every node's value and gradient
for every iteration (computed by app/debugging/statistics.py; a device phase's in batched
kernels launched when it is recorded, app/debugging/device_statistics.py), and the full tensors of the
last iterations within a memory budget.

Full tensors are kept as they are (on their device, no copy) for the last `keep_last`
iterations and within `memory_budget` bytes, the oldest dropped first. A small `keep_last`
keeps recording cheap: once it is reached, the memory of dropped tensors is reused by the
next iterations instead of memory out of the cache. The default keeps 8 iterations; keeping
32 made the MNIST-size MLP about 6% slower under the debugger (measured against keeping 8,
in one process, benchmarks/debugger.py's case).
"""
import threading
from collections import OrderedDict
from functools import wraps
from itertools import chain

import numpy as np

from engine import get_array_module

from app.debugging.device_statistics import PendingRows
from app.debugging.statistics import STAT_NAMES, stats_dict, summarize

KINDS = ("value", "grad")
_PENDING_BYTES = 2**20  # tensors waiting for their statistics (besides those kept anyway)


def _computed(pending):
    """The statistics of the pending phases' tensors, in order: host tensors summarised in
    one call, the device phases' rows (PendingRows, launched at record time) awaited."""
    if not any(type(todo) is PendingRows for _, _, _, todo, _ in pending):
        return summarize([a for *_, todo, _ in pending for a in todo])
    host = summarize([a for *_, todo, _ in pending if type(todo) is not PendingRows
                      for a in todo])
    parts, at = [], 0
    for *_, todo, _ in pending:
        if type(todo) is PendingRows:
            parts.append(todo.rows())
        else:
            parts.append(host[at:at + len(todo)])
            at += len(todo)
    return np.concatenate(parts)


class NotKept(KeyError):
    """The full tensor asked for is not kept; the message says why."""

    def __str__(self):
        return self.args[0]


def _locked(method):
    @wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return wrapper


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
        """Forget everything recorded."""
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
        if todo and not isinstance(todo[0], np.ndarray):  # on the device: launched now
            xp = get_array_module(todo[0])
            if xp is not np and all(type(a) is type(todo[0]) for a in todo):
                todo, todo_bytes = PendingRows(todo, xp), 0
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
        computed = _computed(pending)
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
            table[known_at] = np.fromiter(  # flat: twice as fast as from the rows
                chain.from_iterable(known_rows), np.float64,
                len(known_rows) * len(STAT_NAMES)).reshape(-1, len(STAT_NAMES))
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
        """The recorded iterations, oldest first."""
        self._flush()
        return sorted({it for phases in self._phases.values() for it, _, _ in phases})

    @_locked
    def keys(self, kind="value"):
        """The node keys with statistics of `kind` recorded."""
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
        """The statistics dict of node `key` at `iteration` (KeyError when not recorded)."""
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
        """Whether the full tensor of node `key` at `iteration` is still kept."""
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
