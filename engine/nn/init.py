"""PyTorch's default initialisations, drawn from the engine's seeded generator, and torch.nn.init's
in-place initialisers (uniform_, normal_, xavier_*_, kaiming_*_, orthogonal_, ...)."""
import math

import numpy as np

from ..tensor import default_generator


def uniform(shape, bound, dtype=np.float32):
    return default_generator().uniform(-bound, bound, shape).astype(dtype)


def fan_in(shape):
    """Inputs per output unit: shape[1] times the receptive field (conv kernels)."""
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive if len(shape) > 1 else shape[0]


def kaiming_uniform_default(shape):
    """kaiming_uniform_(a=sqrt(5)) as nn.Linear and nn.Conv2d use: U(-1/sqrt(fan_in), ...)."""
    return uniform(shape, 1 / math.sqrt(max(fan_in(shape), 1)))


def bias_uniform(n, weight_shape):
    return uniform((n,), 1 / math.sqrt(max(fan_in(weight_shape), 1)))


# ---- torch.nn.init's in-place initialisers ------------------------------------------------
def calculate_gain(nonlinearity, param=None):
    """PyTorch's recommended gains (for xavier_* and kaiming_*)."""
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "sigmoid", "conv_transpose1d",
                        "conv_transpose2d", "conv_transpose3d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _fans(tensor):
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than "
                         "2 dimensions")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _set(tensor, array):
    from ..autograd import no_grad
    with no_grad():
        tensor._fill(np.asarray(array, tensor.array.dtype))
    return tensor


def _rng(generator):
    return default_generator() if generator is None else getattr(generator, "rng", generator)


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    return _set(tensor, _rng(generator).uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    return _set(tensor, _rng(generator).standard_normal(tensor.shape) * std + mean)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Normal samples redrawn until they fall in [a, b]."""
    rng = _rng(generator)
    values = rng.standard_normal(tensor.shape) * std + mean
    bad = (values < a) | (values > b)
    while bad.any():
        values[bad] = rng.standard_normal(int(bad.sum())) * std + mean
        bad = (values < a) | (values > b)
    return _set(tensor, values)


def constant_(tensor, val):
    return _set(tensor, np.full(tensor.shape, val))


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def eye_(tensor):
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _set(tensor, np.eye(*tensor.shape))


def xavier_uniform_(tensor, gain=1.0, generator=None):
    fan_in_, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in_ + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    fan_in_, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in_ + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan_in_, fan_out = _fans(tensor)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan = fan_in_ if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor, gain=1.0, generator=None):
    """A (semi-)orthogonal matrix from the QR decomposition of a normal sample."""
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _set(tensor, gain * q.reshape(tensor.shape))
