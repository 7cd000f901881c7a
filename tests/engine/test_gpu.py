"""On CuPy every op case of the table (op_cases.py) gives numpy's forward and backward;
device moves carry gradients. Skipped (by conftest.py) without CuPy and a CUDA device."""
import numpy as np
import pytest

import engine as sg
import engine.nn.functional as F
from tests.engine.op_cases import CASES

pytestmark = pytest.mark.gpu

rng = np.random.default_rng(0)


def _run(fn, arrays, device, seed=0, grad=True):
    tensors = [sg.tensor(a, device=device, requires_grad=True) for a in arrays]
    sg.manual_seed(seed)
    out = fn(*tensors)
    if not grad:
        assert out.device == device
        return out.numpy(), []
    weight = np.random.default_rng(seed).standard_normal(out.shape).astype(np.float32)
    (out * sg.tensor(weight, device=device)).sum().backward()
    assert out.device == device and all(t.grad.device == device for t in tensors)
    return out.numpy(), [t.grad.numpy() for t in tensors]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_op_on_cuda_equals_numpy(case):
    if "gpu" in case.skip:
        pytest.skip(case.skip["gpu"])
    arrays = case.arrays(np.float32)
    out_cpu, grads_cpu = _run(case.ours, arrays, "cpu", grad=case.grad)
    out_gpu, grads_gpu = _run(case.ours, arrays, "cuda", grad=case.grad)
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
