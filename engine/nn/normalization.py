"""BatchNorm1d/2d and LayerNorm, composed of engine ops (mean, sub, mul, sqrt, div, add)
so each step of the normalisation is a node the debugger can show."""
import numpy as np

from ..autograd import ShapeError, current_scope
from ..backend import get_array_module
from ..tensor import Tensor
from .module import Module, Parameter


def _where(layer):
    scope = current_scope()
    return f"{layer} in '{scope}'" if scope else layer


class _BatchNorm(Module):
    """Normalises each channel (dim 1) over the batch and spatial dims while training and
    updates running_mean / running_var (unbiased) with `momentum`; uses them in eval mode."""

    expected = ""  # the input layouts accepted, for error messages

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True):
        super().__init__()
        if num_features < 1:
            raise ValueError(f"{type(self).__name__}({num_features}): num_features must be positive")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, np.float32))
            self.bias = Parameter(np.zeros(num_features, np.float32))
        else:
            self.weight = self.bias = None
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, np.float32))
            self.register_buffer("running_var", np.ones(num_features, np.float32))
            self.register_buffer("num_batches_tracked", np.array(0, np.int64))

    def _check(self, x):
        raise NotImplementedError

    def forward(self, x):
        self._check(x)
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, self.num_features) + (1,) * (x.ndim - 2)
        if self.training or not self.track_running_stats:
            count = x.array.size // self.num_features
            if count < 2 and self.training:
                raise ValueError(f"{_where(type(self).__name__)}: expected more than 1 value "
                                 f"per channel when training, got input {x.shape}")
            mean = x.mean(dim=axes, keepdim=True)
            centred = x - mean
            var = (centred * centred).mean(dim=axes, keepdim=True)
            if self.training and self.track_running_stats:
                self._update_running_stats(mean.array, var.array, count)
            xhat = centred / (var + self.eps).sqrt()
        else:
            xp = get_array_module(x.array)
            mean = Tensor._make(self.running_mean.reshape(shape), False, None)
            inv_std = Tensor._make((1 / xp.sqrt(self.running_var + self.eps)).astype(
                x.dtype, copy=False).reshape(shape), False, None)
            xhat = (x - mean) * inv_std
        if not self.affine:
            return xhat
        return xhat * self.weight.reshape(shape) + self.bias.reshape(shape)

    def _update_running_stats(self, mean, var, count):
        """In place, so views of the buffers (the debugger's) see the new values;
        momentum=None gives the cumulative average, as in PyTorch."""
        self.num_batches_tracked[...] += 1
        m = self.momentum if self.momentum is not None else 1 / int(self.num_batches_tracked)
        running_mean, running_var = self.running_mean, self.running_var
        running_mean *= 1 - m
        running_mean += m * mean.reshape(-1)
        running_var *= 1 - m
        running_var += (m * count / (count - 1)) * var.reshape(-1)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(_BatchNorm):
    """Input (N, C) or (N, C, L)."""

    def _check(self, x):
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ShapeError(f"{_where('BatchNorm1d')}: expected input (N, {self.num_features}) "
                             f"or (N, {self.num_features}, L), got {x.shape}")


class BatchNorm2d(_BatchNorm):
    """Input (N, C, H, W)."""

    def _check(self, x):
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ShapeError(f"{_where('BatchNorm2d')}: expected input "
                             f"(N, {self.num_features}, H, W), got {x.shape}")


class LayerNorm(Module):
    """Normalises over the last len(normalized_shape) dims (biased variance), then applies
    the elementwise affine weight (ones) and bias (zeros)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape, self.eps = tuple(normalized_shape), eps
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, np.float32))
            self.bias = Parameter(np.zeros(self.normalized_shape, np.float32))
        else:
            self.weight = self.bias = None

    def forward(self, x):
        k = len(self.normalized_shape)
        if x.ndim < k or x.shape[x.ndim - k:] != self.normalized_shape:
            raise ShapeError(f"{_where('LayerNorm')}: expected input (..., "
                             f"{', '.join(map(str, self.normalized_shape))}), got {x.shape}")
        axes = tuple(range(x.ndim - k, x.ndim))
        centred = x - x.mean(dim=axes, keepdim=True)
        var = (centred * centred).mean(dim=axes, keepdim=True)
        y = centred / (var + self.eps).sqrt()
        if self.weight is None:
            return y
        return y * self.weight + self.bias

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}"
