"""Tensor methods of PyTorch's surface that are thin compositions of engine ops: casts and
dtypes, `.to(device, dtype)`, comparisons by name, shape helpers, statistics, `topk`,
`masked_fill`, Python protocols (iteration, `format`)."""
import math
from collections import namedtuple

import numpy as np

from . import backend

TopK = namedtuple("TopK", ["values", "indices"])

_TYPE_NAMES = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
               "float16": "torch.HalfTensor", "int64": "torch.LongTensor",
               "int32": "torch.IntTensor", "int16": "torch.ShortTensor",
               "int8": "torch.CharTensor", "uint8": "torch.ByteTensor", "bool": "torch.BoolTensor"}
_BY_TYPE_NAME = {v: k for k, v in _TYPE_NAMES.items()}


def is_dtype(value):
    """A dtype as the engine spells it: a numpy dtype or scalar type (torch.float32 is
    numpy.float32 here)."""
    return isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic))


class TorchMethods:
    """Mixin of Tensor (no state of its own)."""

    __slots__ = ()

    # ---- dtypes and devices --------------------------------------------------------------
    def to(self, *args, device=None, dtype=None, non_blocking=False, copy=False):
        """`to(device)`, `to(dtype)`, `to(device, dtype)`, `to(other)`, or by keyword."""
        for a in args:
            if hasattr(a, "array"):
                device, dtype = a.device, a.dtype
            elif is_dtype(a):
                dtype = a
            else:
                device = a
        out = self
        if dtype is not None and np.dtype(dtype) != self.array.dtype:
            out = out._cast(np.dtype(dtype))
        if device is not None:
            device = backend.check_device(device)
            if device != out.device:
                from .ops.shape import ToDevice
                out = ToDevice.apply(out, device=device)
        if copy and out is self:
            out = self.clone()
        return out

    def _cast(self, dtype):
        if dtype.kind == "f" and self.array.dtype.kind == "f":
            from .ops.extra import Cast
            return Cast.apply(self, dtype=dtype)
        return type(self)._make(self.array.astype(dtype), False, None)

    def float(self): return self.to(np.float32)
    def double(self): return self.to(np.float64)
    def half(self): return self.to(np.float16)
    def long(self): return self.to(np.int64)
    def int(self): return self.to(np.int32)
    def bool(self): return self.to(np.bool_)
    def type_as(self, other): return self.to(other.dtype)

    def type(self, dtype=None):
        """Without an argument, PyTorch's type name ("torch.FloatTensor"); else a cast."""
        if dtype is None:
            return _TYPE_NAMES.get(self.array.dtype.name, f"torch.{self.array.dtype.name}")
        if isinstance(dtype, str):
            dtype = np.dtype(_BY_TYPE_NAME.get(dtype, dtype))
        return self.to(dtype)

    def is_floating_point(self):
        return self.array.dtype.kind == "f"

    def element_size(self):
        return self.array.dtype.itemsize

    # ---- comparisons and arithmetic by name ----------------------------------------------
    def eq(self, other): return self == other
    def ne(self, other): return self != other
    def lt(self, other): return self < other
    def le(self, other): return self <= other
    def gt(self, other): return self > other
    def ge(self, other): return self >= other
    def add(self, other, alpha=1): return self + (other * alpha if alpha != 1 else other)
    def sub(self, other, alpha=1): return self - (other * alpha if alpha != 1 else other)
    def mul(self, other): return self * other
    def div(self, other): return self / other
    def pow(self, exponent): return self ** exponent
    def neg(self): return -self
    def __abs__(self): return self.abs()
    def matmul(self, other): return self @ other
    def square(self): return self * self
    def log10(self): return self.log() / math.log(10)
    def log2(self): return self.log() / math.log(2)

    def mm(self, other):
        if self.ndim != 2 or other.ndim != 2:
            raise RuntimeError(f"mm: both must be 2-D, got {self.shape} and {other.shape}")
        return self @ other

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, got {self.ndim}")
        return self.transpose(0, 1) if self.ndim == 2 else self

    def allclose(self, other, rtol=1e-5, atol=1e-8):
        return bool(np.allclose(self.numpy(), np.asarray(other), rtol, atol))

    def equal(self, other):
        return self.shape == other.shape and bool((self.numpy() == other.numpy()).all())

    # ---- shapes --------------------------------------------------------------------------
    def dim(self): return self.ndim
    def nelement(self): return self.numel()
    def contiguous(self): return self
    def view_as(self, other): return self.reshape(other.shape)
    def reshape_as(self, other): return self.reshape(other.shape)

    def narrow(self, dim, start, length):
        index = [slice(None)] * self.ndim
        index[dim] = slice(start, start + length)
        return self[tuple(index)]

    def expand(self, *sizes):
        """A broadcast to `sizes` (-1 keeps a dim); gradients sum back, as PyTorch's."""
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes ({len(sizes)}) must be at least "
                               f"the number of dims ({self.ndim})")
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
        return self + type(self)._make(backend.get_array_module(self.array).zeros(
            shape, self.array.dtype), False, None)

    def expand_as(self, other):
        return self.expand(other.shape)

    def repeat(self, *sizes):
        """Tile the tensor `sizes` times along each dim (leading dims added as needed)."""
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        x = self.reshape((1,) * (len(sizes) - self.ndim) + self.shape)
        index = np.ix_(*[np.tile(np.arange(n), r) for n, r in zip(x.shape, sizes)])
        return x[index]

    def split(self, split_size_or_sections, dim=0):
        """Pieces of split_size along dim (the last may be smaller), or of the given sizes."""
        n = self.shape[dim]
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            sizes = [min(step, n - s) for s in range(0, n, step)]
        else:
            sizes = list(split_size_or_sections)
        starts = np.cumsum([0] + sizes[:-1])
        return tuple(self.narrow(dim, int(s), k) for s, k in zip(starts, sizes))

    def chunk(self, chunks, dim=0):
        return self.split(-(-self.shape[dim] // chunks), dim)

    def clone(self):
        from .ops.extra import Clone
        return Clone.apply(self)

    def gather(self, dim, index):
        from .ops.extra import Gather
        return Gather.apply(self, index, dim=dim)

    def masked_fill(self, mask, value):
        from .ops.elementwise import where
        return where(mask, value, self)

    def tril(self, diagonal=0):
        from .ops.extra import Triangle
        return Triangle.apply(self, diagonal=diagonal, upper=False)

    def triu(self, diagonal=0):
        from .ops.extra import Triangle
        return Triangle.apply(self, diagonal=diagonal, upper=True)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(np.zeros, size, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(np.ones, size, dtype, device, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return self._new(lambda s, d: np.full(s, fill_value, d), (size,), dtype, device,
                         requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return type(self)(data, dtype=dtype or self.array.dtype, device=device or self.device,
                          requires_grad=requires_grad)

    def _new(self, make, size, dtype, device, requires_grad):
        size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
        array = make(size, dtype or self.array.dtype)
        return type(self)(array, device=device or self.device, requires_grad=requires_grad)

    # ---- statistics ----------------------------------------------------------------------
    def var(self, dim=None, unbiased=True, keepdim=False, correction=None):
        """Variance with Bessel's correction by default (correction=1), as PyTorch."""
        if correction is None:
            correction = 1 if unbiased else 0
        centred = self - self.mean(dim, keepdim=True)
        n = self.numel() if dim is None else math.prod(
            self.shape[d] for d in (dim if isinstance(dim, (tuple, list)) else (dim,)))
        return (centred * centred).sum(dim, keepdim=keepdim) / max(n - correction, 0)

    def std(self, dim=None, unbiased=True, keepdim=False, correction=None):
        return self.var(dim, unbiased, keepdim, correction).sqrt()

    def min(self, dim=None, keepdim=False):
        """Without dim: the smallest value. With dim: (values, indices), as PyTorch."""
        if dim is None:
            return -((-self).max())
        values, _ = (-self).max(dim, keepdim)
        return TopK(-values, self.argmin(dim, keepdim))

    def argmin(self, dim=None, keepdim=False):
        return (-self.detach()).argmax(dim, keepdim)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """(values, indices) of the k largest (smallest) elements along dim."""
        xp = backend.get_array_module(self.array)
        key = -self.array if largest else self.array
        idx = xp.argsort(key, axis=dim, kind="stable")
        idx = xp.take(idx, xp.arange(k), axis=dim)
        indices = type(self)._make(idx, False, None)
        return TopK(self.gather(dim, indices), indices)

    def sort(self, dim=-1, descending=False):
        xp = backend.get_array_module(self.array)
        key = -self.array if descending else self.array
        indices = type(self)._make(xp.argsort(key, axis=dim, kind="stable"), False, None)
        return TopK(self.gather(dim, indices), indices)

    # ---- Python protocols ----------------------------------------------------------------
    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __format__(self, spec):
        if self.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec) if spec else repr(self)

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)
