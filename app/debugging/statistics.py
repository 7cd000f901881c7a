"""Summary statistics of tensors, the kernels of the history (app/debugging/history.py) and of
every view that shows a tensor's numbers: `summarize(arrays)` gives one row of STAT_NAMES per
array, `stats_dict(row)` names its columns.

Host arrays are summarised with numpy (a large one in one compiled pass,
app/debugging/one_pass_moments.py); device arrays all together in a few batched kernels
(app/debugging/device_statistics.py), only the seven numbers per tensor copied to the host.
Small host arrays of one shape are stacked and summarised
together; arrays above LARGE elements one by one (`summarize_large`).
"""
import math
from functools import lru_cache

import numpy as np

from engine import get_array_module

from app.debugging.device_statistics import PendingRows
from app.debugging.one_pass_moments import one_pass_moments

STAT_NAMES = ("mean", "std", "min", "max", "norm", "zero_fraction", "nonfinite")
LARGE = 4096  # larger arrays are summarised one by one; smaller ones stacked by shape
# The one-pass variance squares / n - mean**2 is trusted where var > K * mean**2: its sums'
# relative error times mean**2 / var must stay far below 1. Float64 sums (the compiled
# pass; error ~ 1e-12 for a billion items) allow K = 1e-6; numpy's float32 dot products
# (error ~ 1e-4) need K = 0.1. Below it the variance is centred in float64.
WIDE_SUMS, NARROW_SUMS = 1e-6, 0.1
_HOST = (np.ndarray, np.generic)  # numpy scalars (e.g. a loss) are host values too


def summarize(arrays):
    """Statistics of each array as a float64 (len(arrays), 7) host array (columns STAT_NAMES).

    Small arrays of equal shape are stacked and reduced together along rows (one call per
    statistic for the whole group); sums go through BLAS (a product with a vector of ones)."""
    out = np.full((len(arrays), len(STAT_NAMES)), np.nan)
    groups, scalars, device = {}, [], []
    with np.errstate(all="ignore"):  # non-finite values give non-finite statistics
        for i, a in enumerate(arrays):
            size = a.size
            if size == 1 and isinstance(a, _HOST):
                scalars.append(i)
            elif size > LARGE and type(a) is np.ndarray:
                out[i] = _summarize_host(a)
            elif not isinstance(a, _HOST):  # on the device: all in one batch
                device.append(i)
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
    if device:
        out[device] = PendingRows([arrays[i] for i in device],
                                  get_array_module(arrays[device[0]])).rows()
    return out


def summarize_large(a):
    """Statistics (a row) of one array, computed now if it is a large host array, else None
    (small arrays are cheaper in batches; device arrays stay on the device until then)."""
    if a.size <= LARGE or type(a) is not np.ndarray:
        return None
    return _summarize_host(a)


def _summarize_host(a):
    """One host array: one compiled pass (app/debugging/one_pass_moments.py) or five numpy
    passes, the rest in Python floats; the rare paths that may warn are under np.errstate."""
    f = a.reshape(-1)
    if f.dtype.kind != "f":
        f = f.astype(np.float64)
    n = f.size
    moments = one_pass_moments(f)
    trusted = WIDE_SUMS if moments is not None else NARROW_SUMS
    total, squares, lo, hi, zeros = moments or numpy_moments(f)
    nonfinite = 0
    constant = lo == hi  # (NaN is caught by the sum of squares)
    mean = lo if constant else total / n
    var = 0.0 if constant else squares / n - mean * mean
    if not math.isfinite(squares) or not (constant or var > trusted * mean * mean):
        with np.errstate(all="ignore"):  # non-finite values, cancellation or overflow
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


def stats_dict(row):
    """{statistic name: value} of one row of `summarize`."""
    return dict(zip(STAT_NAMES, (float(v) for v in row)))
