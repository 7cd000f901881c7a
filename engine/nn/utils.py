"""torch.nn.utils: gradient clipping and flattening parameters to one vector."""
import math

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor


def _params(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale every gradient in place so that their joint norm is at most max_norm; returns
    the norm before clipping (a 0-d Tensor), as PyTorch."""
    grads = [p.grad for p in _params(parameters) if p.grad is not None]
    if not grads:
        return Tensor(0.0)
    norm_type = float(norm_type)
    dtype = grads[0].array.dtype
    if norm_type == math.inf:
        norms = [float(abs(g.numpy()).max()) for g in grads]
        total = max(norms)
    else:
        norms = [np.linalg.norm(g.numpy().ravel().astype(np.float64), norm_type) for g in grads]
        total = float(np.linalg.norm(np.asarray(norms), norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped.")
    coef = min(max_norm / (total + 1e-6), 1.0)
    with no_grad():
        for g in grads:
            g.array *= dtype.type(coef)
    return Tensor(np.asarray(total, dtype))


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient in place into [-clip_value, clip_value]."""
    for p in _params(parameters):
        if p.grad is not None:
            p.grad.array[...] = p.grad.array.clip(-clip_value, clip_value)


def parameters_to_vector(parameters):
    from ..ops.shape import cat
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    offset = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p.array[...] = vec.array[offset:offset + n].reshape(p.shape)
            offset += n
