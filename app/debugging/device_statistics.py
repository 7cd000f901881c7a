"""Statistics of all the device tensors of a phase in a few batched kernels (the debugger on
a GPU): the tensors are concatenated (in float64) and scattered into rows of WIDTH elements,
each tensor starting a row of its own; every statistic is a reduction along the rows, then
over each tensor's rows. About thirty kernel launches for any number of tensors, and one
copy of a (k, 7) table to the host, started asynchronously (`start`) and awaited only when
the rows are read (`PendingRows.rows`).

Written against an array module `xp`: the same code runs on numpy (tested on the CPU
against app/debugging/statistics.py) and on CuPy. The CPU debugger keeps statistics.py's
host path; only arrays of a device module come here.
"""
import math

import numpy as np

WIDTH = 1024  # elements per row
COLUMNS = 7  # statistics.STAT_NAMES
_LAYOUTS = {}  # (sizes, module name) -> _Layout, the shapes of an iteration repeat
_MAX_LAYOUTS = 64


class _Layout:
    """Where each element goes, on the device: `dest` (element -> slot of the padded
    matrix), `valid` (slot holds an element), `row_tensor` (row -> tensor; the spare row: 0), `gather`
    (tensor -> its rows, padded with the spare all-invalid last row), `count` (elements
    per tensor, float64), `empty` (tensors without elements)."""

    def __init__(self, sizes, xp):
        sizes = np.asarray(sizes, np.int64)
        rows = -(-sizes // WIDTH)
        first = np.concatenate([[0], np.cumsum(rows)]).astype(np.int64)
        self.rows = int(first[-1])  # the spare row is number self.rows
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        shift = np.repeat(first[:-1] * WIDTH - starts, sizes)
        dest = np.arange(int(sizes.sum()), dtype=np.int64) + shift
        self.dest = xp.asarray(dest)
        valid = np.zeros((self.rows + 1) * WIDTH, bool)
        valid[dest] = True
        self.valid = xp.asarray(valid.reshape(self.rows + 1, WIDTH))
        self.row_tensor = xp.asarray(np.append(np.repeat(np.arange(len(sizes)), rows), 0))
        most = int(rows.max()) if len(rows) else 0
        gather = np.full((len(sizes), max(most, 1)), self.rows, np.int64)
        for t, (f, r) in enumerate(zip(first[:-1], rows)):
            gather[t, :r] = np.arange(f, f + r)
        self.gather = xp.asarray(gather)
        self.count = xp.asarray(sizes.astype(np.float64))
        self.empty = xp.asarray(sizes == 0)


def _layout(sizes, xp):
    key = (sizes, xp.__name__)
    layout = _LAYOUTS.get(key)
    if layout is None:
        if len(_LAYOUTS) >= _MAX_LAYOUTS:
            _LAYOUTS.clear()
        layout = _LAYOUTS[key] = _Layout(sizes, xp)
    return layout


def batched_stats(arrays, xp):
    """A (len(arrays), 7) float64 array of `xp` (columns statistics.STAT_NAMES): the statistics of each
    array, as statistics.summarize gives them (empty arrays: a row of NaN)."""
    k = len(arrays)
    layout = _layout(tuple(int(a.size) for a in arrays), xp)
    if not layout.rows:
        return xp.full((k, COLUMNS), math.nan)
    flat = xp.concatenate([a.reshape(-1) for a in arrays], dtype=xp.float64,
                          casting="unsafe")
    m = xp.zeros((layout.rows + 1) * WIDTH, xp.float64)
    m[layout.dest] = flat
    m = m.reshape(layout.rows + 1, WIDTH)
    valid, gather, n = layout.valid, layout.gather, layout.count
    with np.errstate(all="ignore"):  # non-finite values give non-finite statistics
        mean = m.sum(axis=1)[gather].sum(axis=1) / n
        centred = xp.where(valid, m - mean[layout.row_tensor][:, None], 0.0)
        var = (centred * centred).sum(axis=1)[gather].sum(axis=1) / n
        squares = (m * m).sum(axis=1)[gather].sum(axis=1)
        lo = xp.where(valid, m, math.inf).min(axis=1)[gather].min(axis=1)
        hi = xp.where(valid, m, -math.inf).max(axis=1)[gather].max(axis=1)
        zeros = ((m == 0) & valid).sum(axis=1)[gather].sum(axis=1)
        nonfinite = (~xp.isfinite(m)).sum(axis=1)[gather].sum(axis=1)
        stats = xp.stack([mean, xp.sqrt(var), lo, hi, xp.sqrt(squares), zeros / n,
                          nonfinite.astype(xp.float64)], axis=1)
    return xp.where(layout.empty[:, None], math.nan, stats)  # no boolean setitem: no sync


class PendingRows:
    """The statistics of one phase's device tensors, on their way to the host: `rows()`
    waits for the copy (an event, not a device-wide synchronisation) and gives the float64
    (k, 7) host array."""

    def __init__(self, arrays, xp):
        self.count = len(arrays)
        stats = batched_stats(arrays, xp)
        if xp is np:
            self._host, self._event = stats, None
            return
        import cupyx  # the device path only: CuPy is installed there
        stream = xp.cuda.get_current_stream()
        self._host = cupyx.empty_pinned(stats.shape, np.float64)
        stats.get(stream=stream, out=self._host, blocking=False)
        self._stats = stats  # alive until the copy is done
        self._event = stream.record()

    def __len__(self):
        return self.count

    def rows(self):
        if self._event is not None:
            self._event.synchronize()
            self._event = self._stats = None
        return self._host

