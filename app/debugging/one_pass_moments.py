"""Sum, sum of squares, minimum, maximum and zero count of a large host float array in one
pass, compiled by numba on first use (cached on disk): it replaces five numpy passes
(two BLAS dot products, a minimum, a maximum and a zero count), which cost an MNIST-size
layer's tensors most of their statistics time while training under the debugger.

The loop keeps `LANES` independent accumulators so that LLVM vectorises it: a minimum with
NaN semantics does not vectorise otherwise. NaN and infinity are not handled here (a minimum
or maximum may skip NaN); the caller checks that the sum of squares is finite and otherwise
recomputes with numpy. Where numba is missing or fails to compile, `one_pass_moments` is None
and the caller keeps numpy's passes (`app.debugging.statistics`' oracle in the tests).
"""
import logging
from functools import lru_cache

import numpy as np

LANES = 64
MAX_SIZE = 2**30  # zero counts are float32 per lane: exact up to 2**24 per lane

log = logging.getLogger(__name__)


def _moments(f):
    """(sum, sum of squares, min, max, zero count) of a 1-D float array with >= LANES items,
    the sums accumulated in float64."""
    n = f.size
    blocks = n // LANES
    lo = np.full(LANES, f[0])
    hi = np.full(LANES, f[0])
    s = np.zeros(LANES, np.float64)
    q = np.zeros(LANES, np.float64)
    z = np.zeros(LANES, np.float32)
    for b in range(blocks):
        base = b * LANES
        for j in range(LANES):
            v = f[base + j]
            lo[j] = v if v < lo[j] else lo[j]
            hi[j] = v if v > hi[j] else hi[j]
            w = np.float64(v)
            s[j] += w
            q[j] += w * w
            z[j] += np.float32(1) if v == 0 else np.float32(0)
    total, squares, zeros, low, high = s.sum(), q.sum(), z.sum(), lo.min(), hi.max()
    for i in range(blocks * LANES, n):
        v = f[i]
        total += np.float64(v)
        squares += np.float64(v) * np.float64(v)
        zeros += v == 0
        low = min(low, v)
        high = max(high, v)
    return total, squares, low, high, zeros


@lru_cache(maxsize=None)
def _compiled():
    try:
        import numba
        kernel = numba.njit(_moments, cache=True, nogil=True,
                            fastmath={"reassoc", "nsz", "contract", "arcp"})
        for dtype in (np.float32, np.float64):
            kernel(np.zeros(LANES, dtype))
        return kernel
    except Exception as exc:  # noqa: BLE001 - any failure leaves numpy's passes in charge
        log.warning("statistics use numpy's passes (numba unavailable: %s)", exc)
        return None


def one_pass_moments(f):
    """(sum, sum of squares, min, max, zero count) as Python numbers for a contiguous 1-D
    float32/float64 host array of LANES to MAX_SIZE items, or None where the kernel does not
    apply (other dtypes or sizes, no numba). Valid only when the sum of squares is finite."""
    if f.dtype.char not in "fd" or not LANES <= f.size < MAX_SIZE or not f.flags.c_contiguous:
        return None
    kernel = _compiled()
    if kernel is None:
        return None
    total, squares, lo, hi, zeros = kernel(f)
    return float(total), float(squares), float(lo), float(hi), int(zeros)
