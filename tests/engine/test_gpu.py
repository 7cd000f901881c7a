"""On CuPy every op's forward and backward equal numpy's; device moves carry gradients.
Skipped (by conftest.py) without CuPy and a CUDA device."""
import numpy as np
import pytest

import engine as sg
import engine.nn.functional as F

pytestmark = pytest.mark.gpu

rng = np.random.default_rng(0)
TARGET = np.array([0, 2, 1, 2])
PROBS = rng.dirichlet(np.ones(3), 4).astype(np.float32)
COND = rng.random((3, 4)) > 0.5
INDEX = np.array([2, 0, 2])

CASES = {
    "add": ([(3, 4), (4,)], lambda a, b: a + b),
    "sub": ([(3, 4), (3, 1)], lambda a, b: a - b),
    "mul": ([(3, 4), (3, 4)], lambda a, b: a * b),
    "div": ([(3, 4), (3, 4)], lambda a, b: a / (b * b + 1.0)),
    "neg": ([(3, 4)], lambda a: -a),
    "pow_scalar": ([(3, 4)], lambda a: a ** 3),
    "pow": ([(3, 4), (3, 4)], lambda a, b: (a * a + 0.5) ** b),
    "exp": ([(3, 4)], lambda a: a.exp()),
    "log": ([(3, 4)], lambda a: (a * a + 0.1).log()),
    "sqrt": ([(3, 4)], lambda a: (a * a + 0.1).sqrt()),
    "abs": ([(3, 4)], lambda a: a.abs()),
    "relu": ([(3, 4)], F.relu),
    "sigmoid": ([(3, 4)], F.sigmoid),
    "tanh": ([(3, 4)], F.tanh),
    "gelu": ([(3, 4)], F.gelu),
    "clamp": ([(3, 4)], lambda a: a.clamp(-0.5, 0.5)),
    "where": ([(3, 4), (3, 4)], lambda a, b: sg.where(sg.tensor(COND, device=a.device), a, b)),
    "sum": ([(2, 3, 4)], lambda a: a.sum((0, 2), keepdim=True)),
    "mean": ([(2, 3, 4)], lambda a: a.mean(1)),
    "max": ([(2, 3, 4)], lambda a: a.max(-1)[0]),
    "max_all": ([(2, 3, 4)], lambda a: a.max()),
    "softmax": ([(3, 4)], lambda a: a.softmax(1)),
    "log_softmax": ([(3, 4)], lambda a: a.log_softmax(0)),
    "reshape": ([(2, 3, 4)], lambda a: a.reshape(4, 6)),
    "permute": ([(2, 3, 4)], lambda a: a.permute(2, 0, 1)),
    "getitem": ([(3, 4)], lambda a: a[sg.tensor(INDEX, device=a.device)]),
    "slice": ([(3, 4)], lambda a: a[1:, ::2]),
    "cat": ([(2, 3), (1, 3)], lambda a, b: sg.cat([a, b], 0)),
    "stack": ([(2, 3), (2, 3)], lambda a, b: sg.stack([a, b], 1)),
    "embedding": ([(5, 3)], lambda w: F.embedding(sg.tensor(INDEX, device=w.device), w)),
    "matmul": ([(2, 3, 4), (4, 5)], sg.matmul),
    "linear": ([(4, 3), (5, 3), (5,)], F.linear),
    "conv2d": ([(2, 3, 6, 6), (4, 3, 3, 3), (4,)], lambda x, w, b: F.conv2d(x, w, b, 2, 1)),
    "max_pool2d": ([(2, 3, 6, 6)], lambda x: F.max_pool2d(x, 3, 2)),
    "cross_entropy": ([(4, 3)], lambda z: F.cross_entropy(z, sg.tensor(TARGET, device=z.device))),
    "cross_entropy_probs": ([(4, 3)], lambda z: F.cross_entropy(z, sg.tensor(PROBS, device=z.device))),
    "mse_loss": ([(4, 3), (4, 3)], F.mse_loss),
    "binary_cross_entropy": ([(4, 3)], lambda a: F.binary_cross_entropy(
        a.sigmoid(), sg.tensor(PROBS, device=a.device))),
    "bce_with_logits": ([(4, 3), (4, 3)], lambda a, b: F.binary_cross_entropy_with_logits(a, b.sigmoid())),
}


def _run(fn, arrays, device, seed=0):
    tensors = [sg.tensor(a, device=device, requires_grad=True) for a in arrays]
    sg.manual_seed(seed)
    out = fn(*tensors)
    weight = np.random.default_rng(seed).standard_normal(out.shape).astype(np.float32)
    (out * sg.tensor(weight, device=device)).sum().backward()
    assert out.device == device and all(t.grad.device == device for t in tensors)
    return out.numpy(), [t.grad.numpy() for t in tensors]


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_on_cuda_equals_numpy(name):
    shapes, fn = CASES[name]
    arrays = [rng.uniform(-2, 2, s).astype(np.float32) for s in shapes]
    out_cpu, grads_cpu = _run(fn, arrays, "cpu")
    out_gpu, grads_gpu = _run(fn, arrays, "cuda")
    np.testing.assert_allclose(out_gpu, out_cpu, rtol=1e-4, atol=1e-5)
    for i, (g, c) in enumerate(zip(grads_gpu, grads_cpu)):
        np.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-5, err_msg=f"gradient of input {i}")


def test_dropout_on_cuda_uses_the_seeded_mask():
    x = rng.uniform(-2, 2, (5, 6)).astype(np.float32)
    out_cpu, grads_cpu = _run(lambda a: F.dropout(a, 0.3), [x], "cpu", seed=3)
    out_gpu, grads_gpu = _run(lambda a: F.dropout(a, 0.3), [x], "cuda", seed=3)
    np.testing.assert_allclose(out_gpu, out_cpu, rtol=1e-6)
    np.testing.assert_allclose(grads_gpu[0], grads_cpu[0], rtol=1e-6)


def test_round_trip_to_cuda_and_back_carries_the_gradient():
    x = sg.tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
    g = x.to("cuda")
    assert g.device == "cuda" and g.requires_grad and g.creator.op == "to"
    y = (g * g).exp().to("cpu")
    assert y.device == "cpu"
    (y * 0.5).sum().backward()
    assert x.grad.device == "cpu"
    expected = 0.5 * 2 * x.numpy() * np.exp(x.numpy() ** 2)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5)
    assert isinstance(g.numpy(), np.ndarray)
    np.testing.assert_array_equal(g.to("cpu").numpy(), x.numpy())


def test_mixing_devices_names_both():
    with sg.scope("fc"), pytest.raises(sg.DeviceError) as err:
        sg.randn(2, 3) @ sg.randn(3, 4).to("cuda")
    message = str(err.value)
    assert message.startswith("matmul in 'fc'")
    assert "(2, 3) on cpu" in message and "(3, 4) on cuda" in message
