"""The CUDA kernels of engine/ops/cuda_kernels.py on a device: the same results as the
numpy helpers they replace (conv.im2col, conv.col2im, MaxPool2d's forward and backward).
Skipped (by conftest.py) without CuPy and a CUDA device."""
import numpy as np
import pytest

from engine.ops import conv, cuda_kernels as ck

from .test_cuda_kernels import GEOMETRIES

pytestmark = pytest.mark.gpu
cp = pytest.importorskip("cupy")
rng = np.random.default_rng(5)


@pytest.mark.parametrize("shape,k,s,p", GEOMETRIES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_im2col_and_col2im_kernels_equal_numpy(shape, k, s, p, dtype):
    x = rng.standard_normal(shape).astype(dtype)
    col, oh, ow = ck.im2col(cp.asarray(x), *k, *s, *p)
    want, _, _ = conv.im2col(x, *k, *s, *p)
    assert col.dtype == dtype
    np.testing.assert_array_equal(col.get(), want)
    g = rng.standard_normal(want.shape).astype(dtype)
    got = ck.col2im(cp.asarray(g), shape, *k, *s, *p, oh, ow)
    tol = 2e-3 if dtype == np.float16 else 1e-5
    np.testing.assert_allclose(got.get(), conv.col2im(g, shape, *k, *s, *p, oh, ow),
                               rtol=tol, atol=tol)


@pytest.mark.parametrize("shape,k,s,p", GEOMETRIES[:3] + [((4, 8, 28, 28), (2, 2), (2, 2), (0, 0))])
def test_max_pool_kernels_equal_numpy(shape, k, s, p):
    x = rng.standard_normal(shape).astype(np.float32)
    x.reshape(-1)[::7] = x.reshape(-1)[1]
    x.reshape(-1)[5] = np.nan
    op = conv.MaxPool2d()
    want = op.forward(x, k, s, p)
    arg_want, _, geometry = op.saved
    y, arg = ck.max_pool(cp.asarray(x), *k, *s, *p, *geometry[-2:])
    np.testing.assert_array_equal(y.get(), want)
    np.testing.assert_array_equal(arg.get(), arg_want)
    gy = rng.standard_normal(want.shape).astype(np.float32)
    (gx_want,) = op.backward(gy)
    gx = ck.max_unpool(cp.asarray(gy), arg, shape, *geometry)
    np.testing.assert_allclose(gx.get(), gx_want, rtol=1e-5, atol=1e-6)
