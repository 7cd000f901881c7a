"""Reusable gradient checks for engine ops.

`gradcheck`: central finite differences in float64 against the engine's backward.
`helper_test_op`: one function run on the engine and on PyTorch (tinygrad style), comparing
the forward value and every input's gradient in float32.
"""
import numpy as np
import pytest

import engine as sg


def _as_tensors(inputs, dtype):
    """numpy arrays -> engine tensors; floating arrays require grad, integer ones do not."""
    return [sg.tensor(a.astype(dtype) if a.dtype.kind == "f" else a,
                      requires_grad=a.dtype.kind == "f") for a in inputs]


def _weighted(out, weight):
    return (out * sg.tensor(weight)).sum()


def numeric_gradient(value, flat, indices, eps):
    """Central differences of value() with respect to flat[k] for each k in indices
    (`flat` is a view of the tensor's data, changed in place and restored)."""
    numeric = np.empty(len(indices))
    for n, k in enumerate(indices):
        old = flat[k]
        flat[k] = old + eps
        up = value()
        flat[k] = old - eps
        down = value()
        flat[k] = old
        numeric[n] = (up - down) / (2 * eps)
    return numeric


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-6, rtol=1e-5, seed=0):
    """Check fn's backward against central differences for every float input.

    `fn` takes engine tensors and returns one tensor; `inputs` are numpy arrays. A random
    upstream gradient w makes the check cover non-scalar outputs: the scalar probed is
    sum(fn(*inputs) * w).
    """
    rng = np.random.default_rng(seed)
    tensors = _as_tensors(inputs, np.float64)
    out = fn(*tensors)
    assert out.dtype == np.float64, f"output is {out.dtype}, expected float64"
    weight = np.asarray(rng.standard_normal(out.shape))
    _weighted(out, weight).backward()

    def value():
        with sg.no_grad():
            return float(_weighted(fn(*tensors), weight).item())

    checked = 0
    for i, t in enumerate(tensors):
        if not t.requires_grad:
            continue
        assert t.grad is not None, f"input {i} received no gradient"
        assert t.grad.shape == t.shape, f"input {i}: grad {t.grad.shape} != {t.shape}"
        flat = t.array.reshape(-1)
        numeric = numeric_gradient(value, flat, range(flat.size), eps)
        np.testing.assert_allclose(t.grad.array.reshape(-1), numeric, atol=atol, rtol=rtol,
                                   err_msg=f"gradient of input {i}")
        checked += 1
    assert checked, "no input requires grad: nothing was checked"


def helper_test_op(shapes, engine_fn, torch_fn, low=-2.0, high=2.0, inputs=None,
                   rtol=1e-4, atol=1e-5, seed=0):
    """Run engine_fn and torch_fn on the same random float32 inputs of `shapes` (or on the
    given numpy `inputs`); compare outputs and the gradient of every float input."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    if inputs is None:
        inputs = [rng.uniform(low, high, s).astype(np.float32) for s in shapes]
    ours = _as_tensors(inputs, np.float32)
    theirs = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    out = engine_fn(*ours)
    ref = torch_fn(*theirs)
    assert out.shape == tuple(ref.shape), f"shape {out.shape} != torch's {tuple(ref.shape)}"
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=rtol, atol=atol,
                               err_msg="forward")
    weight = np.asarray(rng.standard_normal(out.shape), dtype=np.float32)
    _weighted(out, weight).backward()
    (ref * torch.tensor(weight)).sum().backward()
    for i, (s, t) in enumerate(zip(ours, theirs)):
        if t.requires_grad:
            assert s.grad is not None, f"input {i} received no gradient"
            np.testing.assert_allclose(s.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"gradient of input {i}")
    return out, ref
