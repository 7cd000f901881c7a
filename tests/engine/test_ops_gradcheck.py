"""Every op's backward against central finite differences in float64."""
import numpy as np
import pytest

import engine as sg
import engine.nn.functional as F
from engine.ops.reduce import Max
from tests.engine.gradcheck import gradcheck

rng = np.random.default_rng(1234)


def r(*shape):
    """Random values in [-2, 2), away from 0 so kinks (relu, abs, clamp) are not probed."""
    x = rng.uniform(-2, 2, shape)
    return np.where(np.abs(x) < 0.05, 0.5, x)


def pos(*shape):
    return rng.uniform(0.5, 2.0, shape)


BROADCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5,), (1,))]


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
@pytest.mark.parametrize("sa,sb", BROADCAST)
def test_binary_arithmetic_with_broadcasting(op, sa, sb):
    fn = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b,
          "mul": lambda a, b: a * b, "div": lambda a, b: a / b}[op]
    b = pos(*sb) if op == "div" else r(*sb)
    gradcheck(fn, r(*sa), b)


@pytest.mark.parametrize("fn", [lambda a: a + 2.5, lambda a: 3.0 - a, lambda a: 1.5 / a,
                                lambda a: a * -2.0, lambda a: -a],
                         ids=["add_scalar", "rsub", "rdiv", "mul_scalar", "neg"])
def test_ops_with_python_scalars(fn):
    gradcheck(fn, pos(3, 2))


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1.5])
def test_pow_scalar(exponent):
    gradcheck(lambda a: a ** exponent, pos(2, 3))


@pytest.mark.parametrize("sa,sb", [((2, 3), (2, 3)), ((2, 3), (3,)), ((4,), ())])
def test_pow_tensor(sa, sb):
    gradcheck(lambda a, b: a ** b, pos(*sa), r(*sb))


def test_rpow_scalar_base():
    gradcheck(lambda b: 2.0 ** b, r(3, 2))


UNARY = {
    "exp": (lambda a: a.exp(), r),
    "log": (lambda a: a.log(), pos),
    "sqrt": (lambda a: a.sqrt(), pos),
    "abs": (lambda a: a.abs(), r),
    "relu": (F.relu, r),
    "sigmoid": (F.sigmoid, r),
    "tanh": (F.tanh, r),
    "gelu": (F.gelu, r),
    "clamp_both": (lambda a: a.clamp(-1.0, 1.0), r),
    "clamp_min": (lambda a: a.clamp(min=0.3), r),
    "clamp_max": (lambda a: a.clamp(max=-0.3), r),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", [(5,), (2, 3, 4), ()])
def test_unary(name, shape):
    fn, make = UNARY[name]
    gradcheck(fn, make(*shape))


@pytest.mark.parametrize("sc,sa,sb", [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1))])
def test_where(sc, sa, sb):
    cond = rng.random(sc) > 0.5
    gradcheck(lambda a, b: sg.where(sg.tensor(cond), a, b), r(*sa), r(*sb))


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_uses_the_seeded_mask_and_its_gradient(p):
    x = r(6, 5)
    sg.manual_seed(7)
    y = F.dropout(sg.tensor(x), p=p)
    keep = np.random.default_rng(7).random(x.shape) >= p
    np.testing.assert_allclose(y.numpy(), (x * keep / (1 - p)).astype(np.float32), rtol=1e-6)

    def fn(a):
        sg.manual_seed(7)
        return F.dropout(a, p=p)
    gradcheck(fn, x)


def test_dropout_is_identity_in_eval():
    x = sg.tensor(r(4, 4))
    assert F.dropout(x, p=0.5, training=False) is x


DIMS = [None, 0, 1, -1, (0, 2), (1, 2)]


@pytest.mark.parametrize("reduce", ["sum", "mean", "max"])
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_reductions(reduce, dim, keepdim):
    if reduce == "max":
        x = rng.permutation(24).reshape(2, 3, 4) / 7.0  # distinct values: no ties
        if isinstance(dim, int):
            fn = lambda a: a.max(dim, keepdim)[0]
        else:  # all or several dims: the op itself (Tensor.max takes one dim, as torch)
            fn = lambda a: Max.apply(a, dim=dim, keepdim=keepdim)
    else:
        x = r(2, 3, 4)
        fn = lambda a: getattr(a, reduce)(dim, keepdim)
    gradcheck(fn, x)


def test_max_splits_the_gradient_between_ties_like_torch_amax():
    x = sg.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]], requires_grad=True)
    x.max(1)[0].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [0.5, 0, 0.5]])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1)])
def test_softmax_family(name, shape, dim):
    gradcheck(lambda a: getattr(F, name)(a, dim), r(*shape))


@pytest.mark.parametrize("fn,shape", [
    (lambda a: a.reshape(4, 6), (2, 3, 4)),
    (lambda a: a.reshape(-1), (2, 3, 4)),
    (lambda a: a.flatten(1), (2, 3, 4)),
    (lambda a: a.permute(2, 0, 1), (2, 3, 4)),
    (lambda a: a.transpose(0, 2), (2, 3, 4)),
    (lambda a: a.T, (3, 5)),
    (lambda a: a.unsqueeze(1).squeeze(1), (3, 5)),
], ids=["reshape", "reshape_infer", "flatten", "permute", "transpose", "T", "unsqueeze"])
def test_shape_ops(fn, shape):
    gradcheck(fn, r(*shape))


@pytest.mark.parametrize("index", [
    (slice(1, 3),),
    (slice(None), slice(None, None, 2)),
    (1, slice(0, 2)),
    (np.array([0, 2, 2, 1, 0]),),                          # repeated rows accumulate
    (slice(None), np.array([[1, 1], [3, 0]])),
    (np.array([0, 1, 1]), np.array([2, 2, 3])),
    (Ellipsis, -1),
], ids=["slice", "step", "int_slice", "repeated_rows", "2d_index", "pairs", "ellipsis"])
def test_getitem(index):
    gradcheck(lambda a: a[index], r(3, 4))


@pytest.mark.parametrize("shapes,dim", [([(2, 3), (4, 3)], 0), ([(2, 3), (2, 1), (2, 2)], 1),
                                        ([(2, 3, 2), (2, 3, 1)], -1)])
def test_cat(shapes, dim):
    gradcheck(lambda *ts: sg.cat(ts, dim), *[r(*s) for s in shapes])


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack(dim):
    gradcheck(lambda a, b, c: sg.stack([a, b, c], dim), r(2, 3), r(2, 3), r(2, 3))


@pytest.mark.parametrize("indices", [np.array([1, 3, 3, 0]), np.array([[0, 4], [4, 4], [2, 1]])])
def test_embedding(indices):
    gradcheck(lambda w: F.embedding(sg.tensor(indices), w), r(5, 3))


@pytest.mark.parametrize("sa,sb", [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((3, 4), (4, 2)),
                                   ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (3, 4, 2)),
                                   ((4,), (2, 4, 3))])
def test_matmul(sa, sb):
    gradcheck(sg.matmul, r(*sa), r(*sb))


@pytest.mark.parametrize("xshape", [(4, 3), (2, 4, 3), (3,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(xshape, bias):
    if bias:
        gradcheck(F.linear, r(*xshape), r(5, 3), r(5))
    else:
        gradcheck(F.linear, r(*xshape), r(5, 3))


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), ((1, 2), (0, 1))])
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d(stride, padding, bias):
    x, w, b = r(2, 2, 5, 6), r(3, 2, 3, 2), r(3)
    if bias:
        gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding), x, w, b)
    else:
        gradcheck(lambda x, w: F.conv2d(x, w, stride=stride, padding=padding), x, w)


@pytest.mark.parametrize("kernel,stride", [(2, None), (3, 1), (2, 3), ((2, 3), (1, 2))])
def test_max_pool2d(kernel, stride):
    x = rng.permutation(2 * 2 * 6 * 7).reshape(2, 2, 6, 7) / 11.0  # distinct: no ties
    gradcheck(lambda a: F.max_pool2d(a, kernel, stride), x)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_int_targets(reduction):
    target = np.array([0, 3, 1, 3, 2])
    gradcheck(lambda z: F.cross_entropy(z, sg.tensor(target), reduction=reduction), r(5, 4))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_int_targets_with_extra_dims(reduction):
    target = rng.integers(0, 3, (2, 4))
    gradcheck(lambda z: F.cross_entropy(z, sg.tensor(target), reduction=reduction), r(2, 3, 4))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_probability_targets(reduction):
    probs = rng.random((5, 4))
    probs /= probs.sum(1, keepdims=True)
    gradcheck(lambda z, p: F.cross_entropy(z, p, reduction=reduction), r(5, 4), probs)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss(reduction):
    gradcheck(lambda a, b: F.mse_loss(a, b, reduction=reduction), r(4, 3), r(4, 3))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy(reduction):
    p = rng.uniform(0.1, 0.9, (4, 3))
    t = rng.random((4, 3))
    gradcheck(lambda a: F.binary_cross_entropy(a, sg.tensor(t), reduction=reduction), p)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_with_logits(reduction):
    t = rng.random((4, 3))
    gradcheck(lambda a: F.binary_cross_entropy_with_logits(a, sg.tensor(t), reduction=reduction),
              r(4, 3) * 3)


def test_binary_cross_entropy_with_logits_target_gradient():
    gradcheck(lambda a, t: F.binary_cross_entropy_with_logits(a, t), r(4, 3), rng.random((4, 3)))


def test_composite_graph_with_shared_inputs():
    gradcheck(lambda a, b: ((a @ b).tanh() * a.sum(1, keepdim=True) + b.mean()).softmax(1),
              r(3, 4), r(4, 4))
