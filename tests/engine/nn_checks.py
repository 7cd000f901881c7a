"""Shared checks for the nn tests: PyTorch comparison of outputs and gradients, and a
float64 central-difference gradient check of a module's forward."""
import numpy as np

import engine as sg

from .gradcheck import numeric_gradient


def _outputs(out):
    """Flatten a module's output (a tensor, or nested tuples such as LSTM's) to a list."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _outputs(o)]
    return [out]


def weighted_sum(outputs, weights):
    """sum_i sum(out_i * w_i): a scalar whose gradient w.r.t. out_i is w_i."""
    total = None
    for o, w in zip(outputs, weights):
        term = (o * sg.tensor(w.astype(o.dtype))).sum()
        total = term if total is None else total + term
    return total


def compare_with_torch(ours, theirs, inputs, rtol=1e-4, atol=1e-5, seed=0):
    """Copy theirs' state into ours, run both on `inputs` (numpy arrays; float ones get
    gradients), compare outputs, every parameter's gradient and the inputs' gradients."""
    import torch
    ours.load_state_dict(theirs.state_dict())
    ts = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    ss = [sg.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    t_out = _outputs(theirs(*ts))
    s_out = _outputs(ours(*ss))
    assert len(t_out) == len(s_out)
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(tuple(o.shape)).astype(np.float32) for o in t_out]
    for t, s in zip(t_out, s_out):
        assert tuple(t.shape) == s.shape
        np.testing.assert_allclose(s.numpy(), t.detach().numpy(), rtol=rtol, atol=atol)
    sum(((t * torch.tensor(w)).sum() for t, w in zip(t_out, weights)), torch.zeros(())).backward()
    weighted_sum(s_out, weights).backward()
    t_params = dict(theirs.named_parameters())
    s_params = dict(ours.named_parameters())
    assert set(t_params) == set(s_params)
    for name, p in s_params.items():
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(),
                                   rtol=rtol, atol=atol, err_msg=name)
    for t, s in zip(ts, ss):
        if t.requires_grad:
            np.testing.assert_allclose(s.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)
    return s_out, t_out


def gradcheck(module, inputs, eps=1e-6, rtol=1e-5, atol=1e-8, samples=12, seed=0):
    """Central differences in float64 against backward() for the float inputs and every
    parameter of `module` (already .double()), on up to `samples` entries of each."""
    rng = np.random.default_rng(seed)
    tensors = [sg.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    outs = _outputs(module(*tensors))
    weights = [rng.standard_normal(o.shape) for o in outs]

    def value():
        with sg.no_grad():
            return weighted_sum(_outputs(module(*tensors)), weights).item()

    module.zero_grad()
    weighted_sum(outs, weights).backward()
    targets = [(f"input {i}", t) for i, t in enumerate(tensors) if t.requires_grad]
    targets += list(module.named_parameters())
    assert targets
    for name, t in targets:
        assert t.array.dtype == np.float64, name
        flat = t.array.reshape(-1)
        picks = rng.choice(flat.size, size=min(samples, flat.size), replace=False)
        analytic = t.grad.array.reshape(-1)[picks]
        numeric = numeric_gradient(value, flat, picks, eps)
        np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol, err_msg=name)
