"""Every op against PyTorch in float32: forward values and every input's gradient."""
import numpy as np
import pytest

import engine as sg
import engine.nn.functional as F
from tests.engine.gradcheck import helper_test_op

torch = pytest.importorskip("torch")
TF = torch.nn.functional

SHAPES_2 = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (5,))]


@pytest.mark.parametrize("sa,sb", SHAPES_2)
@pytest.mark.parametrize("fn", [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
                                lambda a, b: a / (b * b + 0.5)],
                         ids=["add", "sub", "mul", "div"])
def test_binary(fn, sa, sb):
    helper_test_op([sa, sb], fn, fn)


@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "neg",
                                  "gelu", "pow2", "pow_half", "rpow", "clamp", "clamp_min"])
def test_unary(name, shape):
    positive = name in ("log", "sqrt", "pow_half")
    ours, theirs = {
        "exp": (lambda a: a.exp(), lambda a: a.exp()),
        "log": (lambda a: a.log(), lambda a: a.log()),
        "sqrt": (lambda a: a.sqrt(), lambda a: a.sqrt()),
        "abs": (lambda a: a.abs(), lambda a: a.abs()),
        "relu": (F.relu, TF.relu),
        "sigmoid": (F.sigmoid, torch.sigmoid),
        "tanh": (F.tanh, torch.tanh),
        "neg": (lambda a: -a, lambda a: -a),
        "gelu": (F.gelu, TF.gelu),
        "pow2": (lambda a: a ** 2, lambda a: a ** 2),
        "pow_half": (lambda a: a ** 0.5, lambda a: a ** 0.5),
        "rpow": (lambda a: 2.0 ** a, lambda a: 2.0 ** a),
        "clamp": (lambda a: a.clamp(-0.5, 1.0), lambda a: a.clamp(-0.5, 1.0)),
        "clamp_min": (lambda a: a.clamp(min=0.2), lambda a: a.clamp(min=0.2)),
    }[name]
    helper_test_op([shape], ours, theirs, low=0.2 if positive else -3.0, high=3.0)


@pytest.mark.parametrize("sa,sb", [((3, 4), (3, 4)), ((3, 4), (4,))])
def test_pow_tensor(sa, sb):
    helper_test_op([sa, sb], lambda a, b: a ** b, lambda a, b: a ** b, low=0.3, high=2.0)


def test_where():
    cond = np.random.default_rng(0).random((3, 4)) > 0.5
    helper_test_op([(3, 4), (4,)], lambda a, b: sg.where(sg.tensor(cond), a, b),
                   lambda a, b: torch.where(torch.tensor(cond), a, b))


@pytest.mark.parametrize("dim", [None, 0, -1, (0, 2)])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_sum_mean(name, dim, keepdim):
    if dim is None:
        helper_test_op([(2, 3, 4)], lambda a: getattr(a, name)(), lambda a: getattr(a, name)())
    else:
        helper_test_op([(2, 3, 4)], lambda a: getattr(a, name)(dim, keepdim),
                       lambda a: getattr(a, name)(dim, keepdim))


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_values_and_indices(dim, keepdim):
    x = (np.random.default_rng(3).permutation(24).reshape(2, 3, 4) / 5.0).astype(np.float32)
    helper_test_op(None, lambda a: a.max(dim, keepdim)[0], lambda a: a.max(dim, keepdim)[0],
                   inputs=[x])
    ours, theirs = sg.tensor(x).max(dim, keepdim), torch.tensor(x).max(dim, keepdim)
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    assert ours.indices.dtype == np.int64


def test_max_over_everything():
    helper_test_op([(3, 5)], lambda a: a.max(), lambda a: a.max())


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((6,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), -1)])
def test_softmax_family(name, shape, dim):
    helper_test_op([shape], lambda a: getattr(F, name)(a, dim),
                   lambda a: getattr(TF, name)(a, dim), low=-5, high=5)


@pytest.mark.parametrize("fn", [
    lambda a: a.reshape(4, 6), lambda a: a.flatten(1), lambda a: a.flatten(),
    lambda a: a.permute(2, 0, 1), lambda a: a.transpose(0, 1), lambda a: a.unsqueeze(0),
    lambda a: a[0], lambda a: a[:, 1:3], lambda a: a[..., ::2], lambda a: a[1, :, 2],
], ids=["reshape", "flatten1", "flatten", "permute", "transpose", "unsqueeze", "int", "slice",
        "step", "mixed"])
def test_shape_ops(fn):
    helper_test_op([(2, 3, 4)], fn, fn)


def test_getitem_with_repeated_integer_arrays():
    rows = np.array([0, 2, 2, 1, 0, 0])
    helper_test_op([(3, 4)], lambda a: a[rows], lambda a: a[torch.tensor(rows)])
    cols = np.array([[1, 1], [3, 0]])
    helper_test_op([(3, 4)], lambda a: a[:, cols], lambda a: a[:, torch.tensor(cols)])


def test_squeeze():
    helper_test_op([(3, 1, 4)], lambda a: a.squeeze(1), lambda a: a.squeeze(1))
    helper_test_op([(1, 3, 1)], lambda a: a.squeeze(), lambda a: a.squeeze())


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_and_stack(dim):
    helper_test_op([(2, 3), (2, 3), (2, 3)], lambda *t: sg.cat(t, dim), lambda *t: torch.cat(t, dim))
    helper_test_op([(2, 3), (2, 3)], lambda *t: sg.stack(t, dim), lambda *t: torch.stack(t, dim))


def test_embedding():
    idx = np.array([[1, 3, 3], [0, 4, 1]])
    helper_test_op([(5, 3)], lambda w: F.embedding(sg.tensor(idx), w),
                   lambda w: TF.embedding(torch.tensor(idx), w))


@pytest.mark.parametrize("sa,sb", [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((8, 16), (16, 4)),
                                   ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (3, 4, 2))])
def test_matmul(sa, sb):
    helper_test_op([sa, sb], sg.matmul, torch.matmul)


@pytest.mark.parametrize("xshape", [(4, 3), (2, 4, 3)])
def test_linear(xshape):
    helper_test_op([xshape, (5, 3), (5,)], F.linear, TF.linear)
    helper_test_op([xshape, (5, 3)], F.linear, TF.linear)


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), ((2, 1), (1, 0))])
def test_conv2d(stride, padding):
    helper_test_op([(2, 3, 7, 6), (4, 3, 3, 3), (4,)],
                   lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding),
                   lambda x, w, b: TF.conv2d(x, w, b, stride=stride, padding=padding),
                   rtol=1e-4, atol=1e-4)
    helper_test_op([(2, 3, 7, 6), (4, 3, 2, 2)],
                   lambda x, w: F.conv2d(x, w, stride=stride, padding=padding),
                   lambda x, w: TF.conv2d(x, w, stride=stride, padding=padding),
                   rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kernel,stride", [(2, None), (3, 1), (2, 3), (3, 2)])
def test_max_pool2d(kernel, stride):
    x = (np.random.default_rng(5).permutation(2 * 3 * 8 * 7).reshape(2, 3, 8, 7) / 9).astype(np.float32)
    helper_test_op(None, lambda a: F.max_pool2d(a, kernel, stride),
                   lambda a: TF.max_pool2d(a, kernel, stride), inputs=[x])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses(reduction):
    rng = np.random.default_rng(11)
    target = rng.integers(0, 4, 6)
    helper_test_op([(6, 4)], lambda z: F.cross_entropy(z, sg.tensor(target), reduction=reduction),
                   lambda z: TF.cross_entropy(z, torch.tensor(target), reduction=reduction))
    probs = rng.random((6, 4)).astype(np.float32)
    probs /= probs.sum(1, keepdims=True)
    logits = rng.standard_normal((6, 4)).astype(np.float32)
    helper_test_op(None, lambda z, p: F.cross_entropy(z, p, reduction=reduction),
                   lambda z, p: TF.cross_entropy(z, p, reduction=reduction), inputs=[logits, probs])
    helper_test_op([(5, 3), (5, 3)], lambda a, b: F.mse_loss(a, b, reduction=reduction),
                   lambda a, b: TF.mse_loss(a, b, reduction=reduction))
    t = rng.random((5, 3)).astype(np.float32)
    helper_test_op([(5, 3)], lambda p: F.binary_cross_entropy(p, sg.tensor(t), reduction=reduction),
                   lambda p: TF.binary_cross_entropy(p, torch.tensor(t), reduction=reduction),
                   low=0.05, high=0.95)
    helper_test_op([(5, 3), (5, 3)],
                   lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction=reduction),
                   lambda x, y: TF.binary_cross_entropy_with_logits(x, y, reduction=reduction),
                   low=-4, high=4)


def test_cross_entropy_with_extra_dims():
    target = np.random.default_rng(2).integers(0, 3, (2, 5))
    helper_test_op([(2, 3, 5)], lambda z: F.cross_entropy(z, sg.tensor(target)),
                   lambda z: TF.cross_entropy(z, torch.tensor(target)))


def test_bce_at_exact_zero_and_one_matches_torch_clamp():
    p = np.array([0.0, 1.0, 0.5], np.float32)
    t = np.array([1.0, 0.0, 1.0], np.float32)
    ours = F.binary_cross_entropy(sg.tensor(p), sg.tensor(t)).item()
    theirs = TF.binary_cross_entropy(torch.tensor(p), torch.tensor(t)).item()
    assert ours == pytest.approx(theirs, rel=1e-6)
