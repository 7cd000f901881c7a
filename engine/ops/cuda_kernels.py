"""Convolution and max-pooling helpers on a CUDA device as single CuPy RawKernels: each a
drop-in for the numpy helper of engine/ops/conv.py that it replaces, with its signature
and its results (`im2col`, `col2im`; `max_pool` and `max_unpool` for MaxPool2d's forward
and backward, PyTorch's choice of the first maximum of a window, or its last NaN).

One thread per output element; the adjoints gather (no atomics: deterministic sums). The
kernels are compiled per dtype on first use (float32, float64; float16 runs in float32).
The index arithmetic is checked on the CPU by a numpy transcription of each thread's body
(tests/engine/test_cuda_kernels.py); the kernels themselves by tests/engine/test_gpu_kernels.py.
"""
from functools import lru_cache

import numpy as np

from ..backend import get_array_module

_THREADS = 256

_IM2COL = r"""
extern "C" __global__ void im2col(const T* x, T* col, long long total, long long C,
        long long H, long long W, long long KH, long long KW, long long SH, long long SW,
        long long PH, long long PW, long long OH, long long OW) {
    long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= total) return;
    long long k = t % (C * KH * KW), row = t / (C * KH * KW);
    long long j = k % KW, i = (k / KW) % KH, ch = k / (KH * KW);
    long long ox = row % OW, oy = (row / OW) % OH, b = row / (OW * OH);
    long long iy = oy * SH + i - PH, ix = ox * SW + j - PW;
    bool inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
    col[t] = inside ? x[((b * C + ch) * H + iy) * W + ix] : (T)0;
}
"""

_COL2IM = r"""
extern "C" __global__ void col2im(const T* col, T* gx, long long total, long long C,
        long long H, long long W, long long KH, long long KW, long long SH, long long SW,
        long long PH, long long PW, long long OH, long long OW) {
    long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= total) return;
    long long x = t % W, y = (t / W) % H, ch = (t / (W * H)) % C, b = t / (W * H * C);
    T sum = 0;
    for (long long i = 0; i < KH; ++i) {
        long long ty = y + PH - i;
        if (ty < 0 || ty % SH != 0 || ty / SH >= OH) continue;
        for (long long j = 0; j < KW; ++j) {
            long long tx = x + PW - j;
            if (tx < 0 || tx % SW != 0 || tx / SW >= OW) continue;
            long long row = (b * OH + ty / SH) * OW + tx / SW;
            sum += col[row * (C * KH * KW) + (ch * KH + i) * KW + j];
        }
    }
    gx[t] = sum;
}
"""

_MAX_POOL = r"""
extern "C" __global__ void max_pool(const T* x, T* y, int* arg, long long total,
        long long H, long long W, long long KH, long long KW, long long SH, long long SW,
        long long PH, long long PW, long long OH, long long OW) {
    long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= total) return;
    long long ox = t % OW, oy = (t / OW) % OH, plane = t / (OW * OH);
    long long i0 = max(0LL, PH - oy * SH), i1 = min(KH, H + PH - oy * SH);
    long long j0 = max(0LL, PW - ox * SW), j1 = min(KW, W + PW - ox * SW);
    const T* base = x + plane * H * W;
    T m = base[(oy * SH + i0 - PH) * W + ox * SW + j0 - PW];
    int at = (int)(i0 * KW + j0);
    for (long long i = i0; i < i1; ++i) {
        for (long long j = j0; j < j1; ++j) {
            T v = base[(oy * SH + i - PH) * W + ox * SW + j - PW];
            if (v > m || v != v) { m = v; at = (int)(i * KW + j); }
        }
    }
    y[t] = m;
    arg[t] = at;
}
"""

_MAX_UNPOOL = r"""
extern "C" __global__ void max_unpool(const T* gy, const int* arg, T* gx, long long total,
        long long H, long long W, long long KH, long long KW, long long SH, long long SW,
        long long PH, long long PW, long long OH, long long OW) {
    long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= total) return;
    long long x = t % W, y = (t / W) % H, plane = t / (W * H);
    T sum = 0;
    for (long long i = 0; i < KH; ++i) {
        long long ty = y + PH - i;
        if (ty < 0 || ty % SH != 0 || ty / SH >= OH) continue;
        for (long long j = 0; j < KW; ++j) {
            long long tx = x + PW - j;
            if (tx < 0 || tx % SW != 0 || tx / SW >= OW) continue;
            long long at = (plane * OH + ty / SH) * OW + tx / SW;
            if (arg[at] == i * KW + j) sum += gy[at];
        }
    }
    gx[t] = sum;
}
"""

SOURCES = {"im2col": _IM2COL, "col2im": _COL2IM, "max_pool": _MAX_POOL,
           "max_unpool": _MAX_UNPOOL}
_C_TYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}


@lru_cache(maxsize=None)
def _kernel(name, dtype):
    import cupy  # only reached with CuPy arrays (tests put an emulation here)
    source = "#define T " + _C_TYPES[np.dtype(dtype)] + "\n" + SOURCES[name]
    return xp.RawKernel(source, name)


def _launch(name, dtype, total, arrays, sizes):
    """One thread per element of the output: the arrays, then `total` and the sizes."""
    if total:
        blocks = (total + _THREADS - 1) // _THREADS
        _kernel(name, dtype)((blocks,), (_THREADS,),
                             (*arrays, np.int64(total), *map(np.int64, sizes)))


def _wide(a):
    """The array in a dtype the kernels take: float16 and others run in float32."""
    return a if a.dtype in _C_TYPES else a.astype(np.float32)


def _out_size(size, k, s, p):
    return (size + 2 * p - k) // s + 1


def im2col(x, kh, kw, sh, sw, ph, pw):
    """(N, C, H, W) -> columns (N*OH*OW, C*kh*kw) and the output size, as conv.im2col."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    oh, ow = _out_size(h, kh, sh, ph), _out_size(w, kw, sw, pw)
    xs = xp.ascontiguousarray(_wide(x))
    col = xp.empty((n * oh * ow, c * kh * kw), xs.dtype)
    _launch("im2col", xs.dtype, col.size, (xs, col), (c, h, w, kh, kw, sh, sw, ph, pw, oh, ow))
    return col.astype(x.dtype, copy=False), oh, ow


def col2im(gcol, shape, kh, kw, sh, sw, ph, pw, oh, ow):
    """Adjoint of im2col: columns (N*OH*OW, C*kh*kw) summed back to (N, C, H, W)."""
    xp = get_array_module(gcol)
    n, c, h, w = shape
    g = xp.ascontiguousarray(_wide(gcol))
    gx = xp.empty((n, c, h, w), g.dtype)
    _launch("col2im", g.dtype, gx.size, (g, gx), (c, h, w, kh, kw, sh, sw, ph, pw, oh, ow))
    return gx.astype(gcol.dtype, copy=False)


def max_pool(x, kh, kw, sh, sw, ph, pw, oh, ow):
    """MaxPool2d's forward: y (N, C, OH, OW) and arg (int32, the offset i * kw + j of each
    window's maximum), as conv.MaxPool2d.forward saves it."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    xs = xp.ascontiguousarray(_wide(x))
    y = xp.empty((n, c, oh, ow), xs.dtype)
    arg = xp.empty((n, c, oh, ow), xp.int32)
    _launch("max_pool", xs.dtype, y.size, (xs, y, arg), (h, w, kh, kw, sh, sw, ph, pw, oh, ow))
    return y.astype(x.dtype, copy=False), arg


def max_unpool(gy, arg, shape, kh, kw, sh, sw, ph, pw, oh, ow):
    """MaxPool2d's backward: gy routed to each window's maximum, summed where windows
    overlap; (N, C, H, W)."""
    xp = get_array_module(gy)
    n, c, h, w = shape
    g = xp.ascontiguousarray(_wide(gy))
    gx = xp.empty((n, c, h, w), g.dtype)
    _launch("max_unpool", g.dtype, gx.size, (g, xp.ascontiguousarray(arg), gx),
            (h, w, kh, kw, sh, sw, ph, pw, oh, ow))
    return gx.astype(gy.dtype, copy=False)
