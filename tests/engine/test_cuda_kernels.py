"""The CUDA kernels of engine/ops/cuda_kernels.py checked on the CPU: each kernel's
per-thread body transcribed line by line into numpy (every thread of the grid at once) and
run in place of the compiled kernel, through the module's own wrappers, against the numpy
helpers of engine/ops/conv.py. The C sources themselves run in tests/engine/test_gpu_kernels.py."""
import numpy as np
import pytest

from engine.ops import conv, cuda_kernels as ck

rng = np.random.default_rng(3)


def _threads(grid, block, total):
    t = np.arange(grid[0] * block[0], dtype=np.int64)
    assert t.size >= total > t.size - block[0]  # enough blocks, not one too many
    return t[t < total]


def _im2col(t, x, col, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW):
    k, row = t % (C * KH * KW), t // (C * KH * KW)
    j, i, ch = k % KW, (k // KW) % KH, k // (KH * KW)
    ox, oy, b = row % OW, (row // OW) % OH, row // (OW * OH)
    iy, ix = oy * SH + i - PH, ox * SW + j - PW
    inside = (iy >= 0) & (iy < H) & (ix >= 0) & (ix < W)
    col[t] = np.where(inside, x[np.where(inside, ((b * C + ch) * H + iy) * W + ix, 0)], 0)


def _windows(t, H, W, KH, KW, SH, SW, PH, PW, OH, OW):
    """(i, j, mask, window output index) of the gathers in col2im and max_unpool."""
    x, y = t % W, (t // W) % H
    for i in range(KH):
        ty = y + PH - i
        for j in range(KW):
            tx = x + PW - j
            ok = (ty >= 0) & (ty % SH == 0) & (ty // SH < OH) & \
                 (tx >= 0) & (tx % SW == 0) & (tx // SW < OW)
            yield i, j, ok, np.where(ok, ty // SH * OW + tx // SW, 0)


def _col2im(t, col, gx, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW):
    ch, b = (t // (W * H)) % C, t // (W * H * C)
    total = np.zeros(t.size, gx.dtype)
    for i, j, ok, at in _windows(t, H, W, KH, KW, SH, SW, PH, PW, OH, OW):
        row = b * OH * OW + at
        total += np.where(ok, col[np.where(ok, row * (C * KH * KW) + (ch * KH + i) * KW + j,
                                           0)], 0)
    gx[t] = total


def _max_pool(t, x, y, arg, H, W, KH, KW, SH, SW, PH, PW, OH, OW):
    ox, oy, plane = t % OW, (t // OW) % OH, t // (OW * OH)
    i0, i1 = np.maximum(0, PH - oy * SH), np.minimum(KH, H + PH - oy * SH)
    j0, j1 = np.maximum(0, PW - ox * SW), np.minimum(KW, W + PW - ox * SW)
    base = plane * H * W
    m = x[base + (oy * SH + i0 - PH) * W + ox * SW + j0 - PW]
    at = i0 * KW + j0
    for i in range(KH):
        for j in range(KW):
            inside = (i >= i0) & (i < i1) & (j >= j0) & (j < j1)
            v = x[np.where(inside, base + (oy * SH + i - PH) * W + ox * SW + j - PW, 0)]
            take = inside & ((v > m) | (v != v))
            m, at = np.where(take, v, m), np.where(take, i * KW + j, at)
    y[t], arg[t] = m, at


def _max_unpool(t, gy, arg, gx, H, W, KH, KW, SH, SW, PH, PW, OH, OW):
    plane = t // (W * H)
    total = np.zeros(t.size, gx.dtype)
    for i, j, ok, at in _windows(t, H, W, KH, KW, SH, SW, PH, PW, OH, OW):
        at = plane * OH * OW + at
        total += np.where(ok & (arg[at] == i * KW + j), gy[at], 0)
    gx[t] = total


BODIES = {"im2col": _im2col, "col2im": _col2im, "max_pool": _max_pool,
          "max_unpool": _max_unpool}


@pytest.fixture
def emulated(monkeypatch):
    """cuda_kernels with each RawKernel replaced by its numpy transcription."""
    launched = []

    def kernel(name, dtype):
        def launch(grid, block, args):
            arrays = [a.reshape(-1) for a in args if isinstance(a, np.ndarray)]
            sizes = [int(a) for a in args[len(arrays):]]
            assert all(type(a) is np.int64 for a in args[len(arrays):])
            launched.append(name)
            BODIES[name](_threads(grid, block, sizes[0]), *arrays, *sizes[1:])
        assert np.dtype(dtype) in (np.float32, np.float64)
        return launch
    monkeypatch.setattr(ck, "_kernel", kernel)
    return launched


def test_sources_declare_the_arguments_the_wrappers_pass():
    for name, source in ck.SOURCES.items():
        head = source.split("{")[0]
        assert f"void {name}(" in head and head.count("long long") == 12 - (
            name in ("max_pool", "max_unpool")), name


GEOMETRIES = [((2, 3, 7, 6), (3, 2), (1, 1), (0, 0)), ((1, 2, 8, 8), (3, 3), (2, 2), (1, 1)),
              ((2, 1, 5, 9), (2, 4), (3, 2), (1, 2)), ((1, 4, 4, 4), (1, 1), (1, 1), (0, 0))]


@pytest.mark.parametrize("shape,k,s,p", GEOMETRIES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_im2col_and_col2im_threads_equal_the_numpy_helpers(emulated, shape, k, s, p, dtype):
    x = rng.standard_normal(shape).astype(dtype)
    col, oh, ow = ck.im2col(x, *k, *s, *p)
    want, woh, wow = conv.im2col(x, *k, *s, *p)
    assert (oh, ow) == (woh, wow) and col.dtype == x.dtype
    np.testing.assert_array_equal(col, want)
    g = rng.standard_normal(col.shape).astype(dtype)
    got = ck.col2im(g, shape, *k, *s, *p, oh, ow)
    tol = 2e-3 if dtype == np.float16 else 1e-6
    np.testing.assert_allclose(got, conv.col2im(g, shape, *k, *s, *p, oh, ow), rtol=tol,
                               atol=tol)
    assert emulated == ["im2col", "col2im"]


@pytest.mark.parametrize("shape,k,s,p", GEOMETRIES[:3] + [((2, 3, 8, 8), (2, 2), (2, 2), (0, 0))])
def test_max_pool_threads_equal_the_numpy_forward_and_backward(emulated, shape, k, s, p):
    x = rng.standard_normal(shape).astype(np.float32)
    x.reshape(-1)[::7] = x.reshape(-1)[1]  # ties: the first maximum wins
    x.reshape(-1)[5] = np.nan  # a NaN wins its windows
    op = conv.MaxPool2d()
    want = op.forward(x, k, s, p)
    arg_want, _, geometry = op.saved
    y, arg = ck.max_pool(x, *k, *s, *p, *geometry[-2:])
    np.testing.assert_array_equal(y, want)
    np.testing.assert_array_equal(arg, arg_want)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    (gx_want,) = op.backward(gy)
    gx = ck.max_unpool(gy, arg, shape, *geometry)
    np.testing.assert_allclose(gx, gx_want, rtol=1e-6, atol=1e-6)
    assert emulated == ["max_pool", "max_unpool"]
