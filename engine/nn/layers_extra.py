"""Small layers of PyTorch's surface: Identity, LogSoftmax, Dropout2d."""
from ..ops import reduce as rd
from ..tensor import default_generator
from .module import Module


class Identity(Module):
    """Returns its input (arguments are accepted and ignored, as PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class LogSoftmax(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        dim = self.dim if self.dim is not None else (0 if x.ndim in (0, 1, 3) else 1)
        return rd.LogSoftmax.apply(x, dim=dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Dropout2d(Module):
    """Zeroes whole channels of (N, C, H, W) or (C, H, W) inputs with probability p while
    training, scaling the rest by 1 / (1 - p)."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout2d: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        if x.ndim not in (3, 4):
            raise ValueError(f"Dropout2d: expected a 3-D or 4-D input, got shape {x.shape}")
        shape = x.shape[:-2] + (1, 1)
        keep = default_generator().random(shape) >= self.p
        scale = keep.astype(x.array.dtype) / (1 - self.p) if self.p < 1 else keep * 0.0
        return x * x._other(scale.astype(x.array.dtype))

    def extra_repr(self):
        return f"p={self.p}"
