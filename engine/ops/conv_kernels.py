"""Compiled single passes for convolution and max pooling on host arrays: im2col and its
adjoint col2im on channels-last input, and max pooling's window gather and scatter.

numba compiles them on first use (cached on disk; float64, for the gradient checks, when
first met); they run on one thread.
Where numba is missing or fails to compile, `kernels()` is None and engine/ops/conv.py keeps
its numpy formulation (loops over kernel offsets only), which is also the tests' oracle.
`use_kernels(False)` switches them off (tests run both paths).
"""
import logging
from functools import lru_cache
from types import SimpleNamespace

import numpy as np

log = logging.getLogger(__name__)
_enabled = [True]


# The kernels index flat 1-D arrays; long contiguous runs are slice copies, which numba
# turns into vector loops (element loops over the same runs ran ~3x slower).

def _im2col(x, n, h, w, c, kh, kw, sh, sw, ph, pw, oh, ow, col):
    """x channels-last (N, H, W, C) -> col (N*OH*OW, kh*kw*C), columns ordered (i, j, c):
    each kernel row's window is one contiguous run of x."""
    k = kh * kw * c
    for b in range(n):
        for oy in range(oh):
            for ox in range(ow):
                row = ((b * oh + oy) * ow + ox) * k
                ix0 = ox * sw - pw
                j0, j1 = max(0, -ix0), min(kw, w - ix0)
                for i in range(kh):
                    iy = oy * sh + i - ph
                    base = row + i * kw * c
                    if iy < 0 or iy >= h or j0 >= j1:
                        col[base:base + kw * c] = 0
                        continue
                    col[base:base + j0 * c] = 0
                    src, run = ((b * h + iy) * w + ix0 + j0) * c, (j1 - j0) * c
                    if run >= 16:
                        col[base + j0 * c:base + j1 * c] = x[src:src + run]
                    else:  # a slice's set-up costs more than a short run
                        for q in range(run):
                            col[base + j0 * c + q] = x[src + q]
                    col[base + j1 * c:base + kw * c] = 0


def _col2im(gcol, n, h, w, c, kh, kw, sh, sw, ph, pw, oh, ow, gx):
    """Adjoint of _im2col: gx channels-last (N, H, W, C), overwritten."""
    k = kh * kw * c
    for b in range(n):
        gx[b * h * w * c:(b + 1) * h * w * c] = 0
        for oy in range(oh):
            for ox in range(ow):
                row = ((b * oh + oy) * ow + ox) * k
                ix0 = ox * sw - pw
                j0, j1 = max(0, -ix0), min(kw, w - ix0)
                for i in range(kh):
                    iy = oy * sh + i - ph
                    if iy < 0 or iy >= h or j0 >= j1:
                        continue
                    dst, run = ((b * h + iy) * w + ix0 + j0) * c, (j1 - j0) * c
                    src = row + (i * kw + j0) * c
                    gx[dst:dst + run] += gcol[src:src + run]


def _max_pool(x, planes, h, w, kh, kw, sh, sw, ph, pw, oh, ow, y, arg):
    """PyTorch's max pooling over (planes, H, W): the first maximum of each window
    (row-major), or its last NaN; arg holds its offset i * kw + j in the window."""
    for plane in range(planes):
        for oy in range(oh):
            i0, i1 = max(0, ph - oy * sh), min(kh, h + ph - oy * sh)
            for ox in range(ow):
                j0, j1 = max(0, pw - ox * sw), min(kw, w + pw - ox * sw)
                m, at = x[(plane * h + oy * sh + i0 - ph) * w + ox * sw + j0 - pw], i0 * kw + j0
                for i in range(i0, i1):
                    src = (plane * h + oy * sh + i - ph) * w + ox * sw - pw
                    for j in range(j0, j1):
                        v = x[src + j]
                        if v > m or v != v:
                            m, at = v, i * kw + j
                y[(plane * oh + oy) * ow + ox] = m
                arg[(plane * oh + oy) * ow + ox] = at


def _max_pool_2x2(x, planes, h, w, oh, ow, y, arg):
    """_max_pool for 2x2 windows with stride 2 and no padding (MaxPool2d(2)), unrolled."""
    for plane in range(planes):
        for oy in range(oh):
            top = (plane * h + 2 * oy) * w
            out = (plane * oh + oy) * ow
            for ox in range(ow):
                a, b = x[top + 2 * ox], x[top + 2 * ox + 1]
                c, d = x[top + w + 2 * ox], x[top + w + 2 * ox + 1]
                m, at = a, 0
                if b > m:
                    m, at = b, 1
                if c > m:
                    m, at = c, 2
                if d > m:
                    m, at = d, 3
                if a + b + c + d != a + b + c + d:  # a NaN (or inf - inf): the last NaN wins
                    m, at = a, 0
                    for k, v in ((1, b), (2, c), (3, d)):
                        if v > m or v != v:
                            m, at = v, k
                y[out + ox] = m
                arg[out + ox] = at


def _max_unpool_2x2(gy, arg, planes, h, w, oh, ow, gx):
    """_max_unpool for MaxPool2d(2) on an even-sized x: every cell written once."""
    for plane in range(planes):
        for oy in range(oh):
            top = (plane * h + 2 * oy) * w
            out = (plane * oh + oy) * ow
            for ox in range(ow):
                k, g = arg[out + ox], gy[out + ox]
                gx[top + 2 * ox] = g if k == 0 else 0
                gx[top + 2 * ox + 1] = g if k == 1 else 0
                gx[top + w + 2 * ox] = g if k == 2 else 0
                gx[top + w + 2 * ox + 1] = g if k == 3 else 0


def _max_unpool(gy, arg, planes, h, w, kh, kw, sh, sw, ph, pw, oh, ow, gx):
    """Adjoint of _max_pool: gx overwritten. Windows that tile x exactly (stride = kernel,
    no padding, the last window flush with the edge) write every cell once, no zeroing."""
    tiled = kh == sh and kw == sw and ph == 0 and pw == 0 and oh * sh == h and ow * sw == w
    for plane in range(planes):
        if tiled:
            for oy in range(oh):
                for ox in range(ow):
                    at = (plane * oh + oy) * ow + ox
                    k, g = arg[at], gy[at]
                    for i in range(kh):
                        row = (plane * h + oy * sh + i) * w + ox * sw
                        for j in range(kw):
                            gx[row + j] = g if i * kw + j == k else 0
            continue
        gx[plane * h * w:(plane + 1) * h * w] = 0
        for oy in range(oh):
            for ox in range(ow):
                at = (plane * oh + oy) * ow + ox
                k = arg[at]
                iy, ix = oy * sh + k // kw - ph, ox * sw + k % kw - pw
                gx[(plane * h + iy) * w + ix] += gy[at]


def _warm_up(ks, dtype):
    """Every kernel once on a 2x2 image with 2 channels, 2x2 windows."""
    x, col = np.zeros(8, dtype), np.zeros(8, dtype)
    ks.im2col(x, 1, 2, 2, 2, 2, 2, 1, 1, 0, 0, 1, 1, col)
    ks.col2im(col, 1, 2, 2, 2, 2, 2, 1, 1, 0, 0, 1, 1, x)
    y, arg = np.zeros(2, dtype), np.zeros(2, np.int32)
    ks.max_pool(x, 2, 2, 2, 2, 2, 2, 2, 0, 0, 1, 1, y, arg)
    ks.max_pool_2x2(x, 2, 2, 2, 1, 1, y, arg)
    ks.max_unpool(y, arg, 2, 2, 2, 2, 2, 2, 2, 0, 0, 1, 1, x)
    ks.max_unpool_2x2(y, arg, 2, 2, 2, 1, 1, x)


@lru_cache(maxsize=None)
def _compiled():
    try:
        import numba
        jit = numba.njit(cache=True, nogil=True)  # parallel=True ran 2x slower on one thread
        ks = SimpleNamespace(**{name.lstrip("_"): jit(fn) for name, fn in (
            ("_im2col", _im2col), ("_col2im", _col2im), ("_max_pool", _max_pool),
            ("_max_pool_2x2", _max_pool_2x2), ("_max_unpool", _max_unpool),
            ("_max_unpool_2x2", _max_unpool_2x2))})
        _warm_up(ks, np.float32)  # compiles (or loads) now: a failure leaves numpy in charge
        return ks
    except Exception as exc:  # noqa: BLE001 - any failure leaves numpy's formulation in charge
        log.warning("convolutions use numpy's formulation (numba unavailable: %s)", exc)
        return None


def kernels(*arrays):
    """The compiled kernels when they apply to these arrays (host float32/float64, switched
    on, numba present), else None."""
    if not _enabled[0]:
        return None
    for a in arrays:
        if not isinstance(a, np.ndarray) or a.dtype.char not in "fd":
            return None
    return _compiled()


def use_kernels(on):
    """Switch the compiled kernels on or off (process-wide); returns the previous setting."""
    previous, _enabled[0] = _enabled[0], bool(on)
    return previous
