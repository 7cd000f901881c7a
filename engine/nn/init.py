"""PyTorch's default initialisations, drawn from the engine's seeded generator."""
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
