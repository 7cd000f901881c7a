"""Reductions over one, several or all dims, and the softmax family."""
from collections import namedtuple

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor


def _axes(dim, ndim):
    if dim is None:
        return tuple(range(ndim))
    dims = dim if isinstance(dim, tuple) else (dim,)
    return tuple(d % ndim if ndim else 0 for d in dims)


def _expand(g, shape, axes, keepdim):
    """Reshape a reduced gradient so it broadcasts against the input's shape."""
    if not keepdim:
        g = g.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return g


class Sum(Function):
    def forward(self, a, dim=None, keepdim=False):
        self.saved = (a.shape, _axes(dim, a.ndim))
        return a.sum(axis=self.saved[1], keepdims=keepdim)

    def backward(self, gy):
        shape, axes = self.saved
        g = _expand(gy, shape, axes, self.attrs["keepdim"])
        return (get_array_module(gy).broadcast_to(g, shape),)

    @staticmethod
    def narrate(c):
        return ("Sum", f"y = Σ a {c.dims()}: {c.i(0)} → {c.y}",
                f"dL/da = g copied (broadcast) back to every summed entry → {c.i(0)}\n"
                "Each input entry contributes with weight 1.")


class Mean(Function):
    def forward(self, a, dim=None, keepdim=False):
        axes = _axes(dim, a.ndim)
        count = 1
        for ax in axes:
            count *= a.shape[ax]
        self.saved = (a.shape, axes, count)
        return a.mean(axis=axes, keepdims=keepdim)

    def backward(self, gy):
        shape, axes, count = self.saved
        g = _expand(gy, shape, axes, self.attrs["keepdim"]) / count
        return (get_array_module(gy).broadcast_to(g, shape).astype(gy.dtype, copy=False),)

    @staticmethod
    def narrate(c):
        n = c.count()
        return ("Mean", f"y = (1/{n}) Σ a {c.dims()}: {c.i(0)} → {c.y}",
                f"dL/da = g / {n}, broadcast back to every averaged entry → {c.i(0)}")


class Max(Function):
    """Largest value over dims; the gradient is split evenly between tied maxima."""

    def forward(self, a, dim=None, keepdim=False):
        axes = _axes(dim, a.ndim)
        y = a.max(axis=axes, keepdims=True)
        self.saved = (a == y, axes)
        return y if keepdim else y.reshape([n for i, n in enumerate(y.shape) if i not in axes])

    def backward(self, gy):
        mask, axes = self.saved
        g = _expand(gy, mask.shape, axes, self.attrs["keepdim"])
        return (mask * g / mask.sum(axis=axes, keepdims=True),)

    @staticmethod
    def narrate(c):
        return ("Max", f"y = max a {c.dims()}: {c.i(0)} → {c.y}",
                f"dL/da = g at the position of the maximum (split evenly between ties), "
                f"0 elsewhere → {c.i(0)}")


MaxResult = namedtuple("MaxResult", ["values", "indices"])


def max_with_indices(x, dim, keepdim=False):
    """PyTorch's `x.max(dim)`: (values, indices)."""
    xp = get_array_module(x.array)
    values = Max.apply(x, dim=dim, keepdim=keepdim)
    idx = xp.argmax(x.array, axis=dim)
    if keepdim:
        idx = xp.expand_dims(idx, dim)
    return MaxResult(values, Tensor._make(idx, False, None))


class Softmax(Function):
    def forward(self, a, dim=-1):
        xp = get_array_module(a)
        e = xp.exp(a - a.max(axis=dim, keepdims=True))
        y = e / e.sum(axis=dim, keepdims=True)
        self.saved = (y,)
        return y

    def backward(self, gy):
        (y,) = self.saved
        dim = self.attrs["dim"]
        return (y * (gy - (gy * y).sum(axis=dim, keepdims=True)),)

    @staticmethod
    def narrate(c):
        d = c.attr("dim", "d")
        return ("Softmax", f"yᵢ = e^aᵢ / Σⱼ e^aⱼ over dim {d}: {c.i(0)} → {c.y}\n"
                           "Turns scores into probabilities: positive, summing to 1.",
                f"dL/da = y ⊙ (g − Σ_dim(g ⊙ y)) → {c.i(0)}\n"
                "Raising one score lowers all the other probabilities.")


class LogSoftmax(Function):
    op = "log_softmax"

    def forward(self, a, dim=-1):
        xp = get_array_module(a)
        shifted = a - a.max(axis=dim, keepdims=True)
        y = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        self.saved = (y,)
        return y

    def backward(self, gy):
        (y,) = self.saved
        xp = get_array_module(y)
        return (gy - xp.exp(y) * gy.sum(axis=self.attrs["dim"], keepdims=True),)

    @staticmethod
    def narrate(c):
        d = c.attr("dim", "d")
        return ("Log-softmax", f"y = a − log Σ e^a over dim {d}: {c.i(0)} → {c.y}\n"
                               "Log-probabilities, computed stably (the max is subtracted first).",
                f"dL/da = g − softmax(a) ⊙ Σ_dim g → {c.i(0)}")


def sum(x, dim=None, keepdim=False): return x.sum(dim, keepdim)
def mean(x, dim=None, keepdim=False): return x.mean(dim, keepdim)
def softmax(x, dim=-1): return Softmax.apply(x, dim=dim)
def log_softmax(x, dim=-1): return LogSoftmax.apply(x, dim=dim)
