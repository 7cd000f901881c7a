"""Convolution and pooling on both paths (numba's compiled passes and numpy's formulation):
the two agree, each matches PyTorch and finite differences; average pooling with every
option of PyTorch's signature."""
import sys

import numpy as np
import pytest

import engine as sg
import engine.nn.functional as F
from engine import nn
from engine.ops import conv as cv
from engine.ops.conv_kernels import kernels, use_kernels
from tests.engine.gradcheck import gradcheck, helper_test_op

from .nn_checks import compare_with_torch

rng = np.random.default_rng(7)
GEOMETRY = [((3, 3), (1, 1), (0, 0)), ((3, 3), (2, 2), (1, 1)), ((2, 3), (1, 2), (1, 0)),
            ((1, 1), (1, 1), (0, 0)), ((3, 2), (2, 3), (1, 1))]


@pytest.fixture(params=["compiled", "numpy"])
def path(request):
    """Runs a test once with the compiled kernels and once with numpy's formulation."""
    if request.param == "compiled" and kernels(np.zeros(1, np.float32)) is None:
        pytest.skip("numba is not available")
    previous = use_kernels(request.param == "compiled")
    yield request.param
    use_kernels(previous)


def _numpy_path(fn, *args):
    """fn(*args) with numpy's formulation."""
    previous = use_kernels(False)
    try:
        return fn(*args)
    finally:
        use_kernels(previous)


def _ijc(col, channels, k):
    """numpy's columns, ordered (c, i, j), reordered (i, j, c) as the compiled ones."""
    return col.reshape(len(col), channels, *k).transpose(0, 2, 3, 1).reshape(len(col), -1)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k,s,p", GEOMETRY)
def test_compiled_im2col_and_col2im_equal_numpy(k, s, p, dtype, channels):
    if kernels(np.zeros(1, dtype)) is None:
        pytest.skip("numba is not available")
    ks = kernels(np.zeros(1, dtype))
    x = rng.standard_normal((2, channels, 7, 6)).astype(dtype)
    col, oh, ow = cv.im2col_compiled(ks, x, *k, *s, *p)
    ref, roh, row = cv.im2col(x, *k, *s, *p)  # columns ordered (c, i, j), not (i, j, c)
    assert (oh, ow) == (roh, row) and col.shape == ref.shape
    np.testing.assert_array_equal(col, _ijc(ref, channels, k))
    gcol = rng.standard_normal(col.shape).astype(dtype)
    gx = cv.col2im_compiled(ks, _ijc(gcol, channels, k), x.shape, *k, *s, *p, oh, ow)
    np.testing.assert_allclose(gx, cv.col2im(gcol, x.shape, *k, *s, *p, oh, ow),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("k,s,p", [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)),
                                   ((2, 3), (2, 1), (0, 1))])
def test_compiled_max_pool_equals_numpy(k, s, p):
    x = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    x[0, 0, :2, :2] = 1.0  # ties: the first maximum wins on both paths
    ours = sg.tensor(x, requires_grad=True)
    y = F.max_pool2d(ours, k, s, p)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(sg.tensor(gy))
    ref = sg.tensor(x, requires_grad=True)
    y_ref = _numpy_path(F.max_pool2d, ref, k, s, p)
    _numpy_path(y_ref.backward, sg.tensor(gy))
    np.testing.assert_array_equal(y.numpy(), y_ref.numpy())
    np.testing.assert_allclose(ours.grad.numpy(), ref.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("k,s,p", GEOMETRY)
def test_conv2d_gradcheck(path, k, s, p):
    x, w = rng.uniform(-2, 2, (2, 2, 6, 5)), rng.uniform(-1, 1, (3, 2, *k))
    b = rng.uniform(-1, 1, 3)
    gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=s, padding=p), x, w, b)
    gradcheck(lambda x, w: F.conv2d(x, w, stride=s, padding=p), x, w)


@pytest.mark.parametrize("k,s,p", [(2, None, 0), (3, 2, 1), ((2, 3), (2, 1), (1, 0))])
def test_max_pool2d_gradcheck(path, k, s, p):
    gradcheck(lambda a: F.max_pool2d(a, k, s, p), rng.permutation(2 * 3 * 7 * 6).reshape(
        2, 3, 7, 6) / 10.0)  # distinct values: no ties for finite differences to straddle


def test_conv_output_is_contiguous_nchw(path):
    y = F.conv2d(sg.randn(2, 3, 8, 8), sg.randn(4, 3, 3, 3), sg.randn(4), padding=1)
    assert y.shape == (2, 4, 8, 8) and y.numpy().flags.c_contiguous


AVG = [  # kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    (2, None, 0, False, True, None), (3, 2, 1, False, True, None),
    (3, 2, 1, False, False, None), (3, 2, 1, True, True, None), (3, 2, 1, True, False, None),
    ((2, 3), (2, 1), (1, 1), True, False, None), (2, 3, 0, True, True, None),
    (3, 2, 1, False, True, 5), ((3, 2), (1, 2), (0, 1), False, True, None)]


@pytest.mark.parametrize("k,s,p,ceil,include,divisor", AVG)
def test_avg_pool2d_vs_torch(k, s, p, ceil, include, divisor):
    torch = pytest.importorskip("torch")
    helper_test_op([(2, 3, 7, 6)],
                   lambda a: F.avg_pool2d(a, k, s, p, ceil, include, divisor),
                   lambda a: torch.nn.functional.avg_pool2d(a, k, s, p, ceil, include, divisor))


@pytest.mark.parametrize("k,s,p,ceil,include,divisor", AVG)
def test_avg_pool2d_gradcheck(k, s, p, ceil, include, divisor):
    gradcheck(lambda a: F.avg_pool2d(a, k, s, p, ceil, include, divisor),
              rng.uniform(-2, 2, (2, 2, 7, 6)))


def test_avg_pool2d_layer_vs_torch():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 8, 7)).astype(np.float32)
    compare_with_torch(nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
                       torch.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), [x])


@pytest.mark.parametrize("kwargs,message", [
    ({"kernel_size": 2, "padding": 2}, r"avg_pool2d: kernel 2 with padding 2 does not fit"),
    ({"kernel_size": 9}, r"avg_pool2d: kernel 9 .* does not fit input \(1, 1, 4, 4\)"),
    ({"kernel_size": 2, "divisor_override": 0}, r"divisor_override must be a positive int")])
def test_avg_pool2d_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        F.avg_pool2d(sg.randn(1, 1, 4, 4), **kwargs)


@pytest.mark.parametrize("shape,k,s,p", [((2, 3, 8, 6), 2, 2, 0), ((2, 3, 7, 5), 2, 2, 0),
                                         ((1, 2, 6, 6), 3, 3, 0), ((1, 2, 5, 5), 3, 2, 1)])
def test_max_pool2d_nan_and_infinity_as_torch(path, shape, k, s, p):
    """A NaN in a window wins (its index takes the gradient); windows of -inf keep the
    gradient inside the input, as PyTorch does."""
    torch = pytest.importorskip("torch")
    x = rng.standard_normal(shape).astype(np.float32)
    x[0, 0, :3, :3] = -np.inf
    x[0, 1, 1, 1] = np.nan
    ours = sg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    y, ty = F.max_pool2d(ours, k, s, p), torch.nn.functional.max_pool2d(theirs, k, s, p)
    gy = rng.standard_normal(ty.shape).astype(np.float32)
    y.backward(sg.tensor(gy))
    ty.backward(torch.tensor(gy))
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6)


def test_without_numba_convolutions_run_on_numpy(monkeypatch):
    import engine.ops.conv_kernels as ck
    x, w = sg.randn(2, 3, 6, 6), sg.randn(4, 3, 3, 3)
    expected = F.max_pool2d(F.conv2d(x, w, padding=1), 2).numpy()
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba fails
    ck._compiled.cache_clear()
    try:
        assert ck.kernels(np.zeros(1, np.float32)) is None
        got = F.max_pool2d(F.conv2d(x, w, padding=1), 2).numpy()
    finally:
        ck._compiled.cache_clear()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
