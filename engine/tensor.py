"""Tensor: an array (numpy or CuPy) with an optional gradient and the node that made it."""
import numpy as np

from . import backend
from .autograd import _state, run_backward
from .devices import BY_NAME as _DEVICES
from .tensor_inplace import InplaceMethods
from .tensor_methods import TorchMethods


def _default_dtype(array, data):
    """PyTorch's rule: Python floats become float32; numpy arrays keep their dtype."""
    if array.dtype == np.float64 and not isinstance(data, np.ndarray) and not hasattr(data, "__cuda_array_interface__"):
        return np.float32
    if array.dtype.kind == "i" and array.dtype != np.int64 and not isinstance(data, np.ndarray):
        return np.int64
    return None


class Tensor(InplaceMethods, TorchMethods):
    """PyTorch-like tensor; `.array` is the numpy or CuPy array behind it, `.data` (as in
    PyTorch) a tensor sharing it, cut from the graph."""

    __slots__ = ("array", "grad", "requires_grad", "creator", "name", "_vcount", "_stamp",
                 "_hooks", "_history", "__weakref__")
    __array_priority__ = 1000  # numpy_array + tensor calls Tensor.__radd__

    def __init__(self, data, dtype=None, device=None, requires_grad=False, name=None):
        if isinstance(data, Tensor):
            data = data.array
        xp = backend.get_array_module(data)
        array = xp.asarray(data, dtype=dtype)
        if dtype is None:
            fix = _default_dtype(array, data)
            if fix is not None:
                array = array.astype(fix)
        if device is not None:
            array = backend.to_device(array, device)
        if requires_grad and array.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require grad, not {array.dtype}")
        self.array = array
        self.grad = None
        self.requires_grad = requires_grad
        self.creator = None
        self.name = name

    @staticmethod
    def _make(data, requires_grad, creator):
        t = object.__new__(Tensor)
        t.array = data
        t.grad = None
        t.requires_grad = requires_grad
        t.creator = creator
        t.name = None
        return t

    # ---- attributes -------------------------------------------------------------------
    shape = property(lambda self: tuple(self.array.shape))
    ndim = property(lambda self: self.array.ndim)
    dtype = property(lambda self: self.array.dtype)
    device = property(lambda self: _DEVICES[backend.device_of(self.array)])
    is_leaf = property(lambda self: self.creator is None)
    T = property(lambda self: self.transpose(-2, -1) if self.ndim >= 2 else self)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        return int(self.array.size)

    def __len__(self):
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __repr__(self):
        grad = f", grad_fn=<{self.creator.op}>" if self.creator is not None else (
            ", requires_grad=True" if self.requires_grad else "")
        dev = "" if self.device == "cpu" else f", device='{self.device.type}'"
        body = np.array2string(backend.to_numpy(self.array), precision=4, separator=", ",
                               prefix="tensor(")
        return f"tensor({body}{dev}{grad})"

    # ---- conversion -------------------------------------------------------------------
    def numpy(self):
        """A host numpy array (copied from the GPU if needed; shares memory on the CPU).
        numpy reductions to a scalar give numpy scalars: those become 0-d arrays here."""
        return np.asarray(backend.to_numpy(self.array))

    def tolist(self):
        return self.numpy().tolist()

    def _concrete(self, kind):
        hook = getattr(_state, "on_concrete", None)
        if hook is not None:
            hook(self, kind)

    def item(self):
        self._concrete("item")
        return self.array.item()

    def __float__(self):
        self._concrete("float")
        return float(self.array)

    def __int__(self):
        self._concrete("int")
        return int(self.array)

    def __bool__(self):
        self._concrete("bool")
        return bool(self.array)

    def __index__(self):
        self._concrete("int")
        return int(self.array)

    def detach(self):
        """The same data, cut from the graph."""
        return Tensor._make(self.array, False, None)

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def requires_grad_(self, flag=True):
        self.requires_grad = flag
        return self

    def backward(self, grad=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's `.grad`."""
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad "
                               "(no input of the computation had requires_grad=True)")
        if grad is None:
            if self.array.size != 1:
                raise RuntimeError(f"backward() without a gradient needs a scalar output, "
                                   f"not shape {self.shape}; pass grad=")
            g = backend.get_array_module(self.array).ones_like(self.array)
        else:
            g = grad.array if isinstance(grad, Tensor) else backend.get_array_module(
                self.array).asarray(grad, dtype=self.array.dtype)
            if g.shape != self.array.shape:
                raise ValueError(f"backward(): grad of shape {tuple(g.shape)} does not match "
                                 f"the output's shape {self.shape}")
        run_backward(self, g, retain_graph)

    # ---- operators (the op classes live in engine.ops) --------------------------------
    def _other(self, other):
        if isinstance(other, Tensor):
            return other
        xp = backend.get_array_module(self.array)
        if isinstance(other, (bool, int, float)) and self.array.dtype.kind == "f":
            return Tensor._make(xp.asarray(other, dtype=self.array.dtype), False, None)
        return Tensor(other, device=self.device)

    def __add__(self, o): return _ew.Add.apply(self, self._other(o))
    def __radd__(self, o): return _ew.Add.apply(self._other(o), self)
    def __sub__(self, o): return _ew.Sub.apply(self, self._other(o))
    def __rsub__(self, o): return _ew.Sub.apply(self._other(o), self)
    def __mul__(self, o): return _ew.Mul.apply(self, self._other(o))
    def __rmul__(self, o): return _ew.Mul.apply(self._other(o), self)
    def __truediv__(self, o): return _ew.Div.apply(self, self._other(o))
    def __rtruediv__(self, o): return _ew.Div.apply(self._other(o), self)
    def __neg__(self): return _ew.Neg.apply(self)
    def __matmul__(self, o): return _mm.MatMul.apply(self, self._other(o))
    def __rmatmul__(self, o): return _mm.MatMul.apply(self._other(o), self)

    def __pow__(self, o):
        if isinstance(o, (int, float)):
            return _ew.PowScalar.apply(self, exponent=o)
        return _ew.Pow.apply(self, self._other(o))

    def __rpow__(self, o):
        return _ew.Pow.apply(self._other(o), self)

    def _compare(self, o, name):
        if _state.dispatch is not None:  # a static graph is being built or traced: a node
            return _cmp.compare(self, o, name)
        o = o.array if isinstance(o, Tensor) else o
        return Tensor._make(getattr(self.array, name)(o), False, None)

    def __lt__(self, o): return self._compare(o, "__lt__")
    def __le__(self, o): return self._compare(o, "__le__")
    def __gt__(self, o): return self._compare(o, "__gt__")
    def __ge__(self, o): return self._compare(o, "__ge__")
    def __eq__(self, o): return self._compare(o, "__eq__")
    def __ne__(self, o): return self._compare(o, "__ne__")
    __hash__ = object.__hash__

    def __getitem__(self, index):
        if isinstance(index, Tensor):
            index = index.array
        elif isinstance(index, tuple):
            index = tuple(i.array if isinstance(i, Tensor) else i for i in index)
        return _sh.GetItem.apply(self, index=index)

    # ---- methods ----------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False): return _rd.Sum.apply(self, dim=_dims(dim), keepdim=keepdim)
    def mean(self, dim=None, keepdim=False): return _rd.Mean.apply(self, dim=_dims(dim), keepdim=keepdim)

    def max(self, dim=None, keepdim=False):
        """Without dim: the largest value. With dim: (values, indices), as PyTorch."""
        if dim is None:
            return _rd.Max.apply(self, dim=None, keepdim=False)
        return _rd.max_with_indices(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        xp = backend.get_array_module(self.array)
        idx = xp.argmax(self.array, axis=dim)
        if keepdim and dim is not None:
            idx = xp.expand_dims(idx, dim)
        return Tensor._make(idx, False, None)

    def exp(self): return _ew.Exp.apply(self)
    def log(self): return _ew.Log.apply(self)
    def sqrt(self): return _ew.Sqrt.apply(self)
    def abs(self): return _ew.Abs.apply(self)
    def relu(self): return _ew.ReLU.apply(self)
    def sigmoid(self): return _ew.Sigmoid.apply(self)
    def tanh(self): return _ew.Tanh.apply(self)
    def softmax(self, dim=-1): return _rd.Softmax.apply(self, dim=dim)
    def log_softmax(self, dim=-1): return _rd.LogSoftmax.apply(self, dim=dim)
    def clamp(self, min=None, max=None): return _ew.Clamp.apply(self, min=min, max=max)

    def reshape(self, *shape):
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return _sh.Reshape.apply(self, shape=shape)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        return _sh.flatten(self, start_dim, end_dim)

    def transpose(self, d0, d1):
        dims = list(range(self.ndim))
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return _sh.Permute.apply(self, dims=tuple(dims))

    def permute(self, *dims):
        dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        return _sh.Permute.apply(self, dims=dims)

    def unsqueeze(self, d): return _sh.unsqueeze(self, d)
    def squeeze(self, d=None): return _sh.squeeze(self, d)


def _dims(dim):
    return tuple(dim) if isinstance(dim, list) else dim


# ---- factories -------------------------------------------------------------------------
_rng = np.random.default_rng()


def manual_seed(seed):
    """Seed the engine's generator (randn, rand, init, dropout)."""
    global _rng
    _rng = np.random.default_rng(seed)


def default_generator():
    return _rng


def _shape(shape, size=None):
    if size is not None:
        shape = (size,)
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


def _rng_of(generator):
    return _rng if generator is None else getattr(generator, "rng", generator)


def _factory(array, dtype, device, requires_grad):
    t = Tensor(array, dtype=dtype or array.dtype, device=device, requires_grad=requires_grad)
    return t


def tensor(data, dtype=None, device="cpu", requires_grad=False):
    """A new tensor that owns a copy of `data` (as torch.tensor; from_numpy shares)."""
    if isinstance(data, np.ndarray):
        data = data.copy()
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def zeros(*shape, size=None, dtype=np.float32, device="cpu", requires_grad=False):
    return _factory(np.zeros(_shape(shape, size), dtype), dtype, device, requires_grad)


def ones(*shape, size=None, dtype=np.float32, device="cpu", requires_grad=False):
    return _factory(np.ones(_shape(shape, size), dtype), dtype, device, requires_grad)


def randn(*shape, size=None, generator=None, dtype=np.float32, device="cpu",
          requires_grad=False):
    """Standard normal samples (the engine's generator, or `generator`'s)."""
    array = _rng_of(generator).standard_normal(_shape(shape, size)).astype(dtype)
    return _factory(array, dtype, device, requires_grad)


def rand(*shape, size=None, generator=None, dtype=np.float32, device="cpu",
         requires_grad=False):
    """Uniform samples in [0, 1) (the engine's generator, or `generator`'s)."""
    array = _rng_of(generator).random(_shape(shape, size)).astype(dtype)
    return _factory(array, dtype, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device="cpu"):
    array = np.arange(start, end, step) if end is not None else np.arange(start)
    if dtype is None and array.dtype.kind == "f":
        dtype = np.float32
    return Tensor(array, dtype=dtype, device=device)


from .ops import elementwise as _ew, matmul as _mm, reduce as _rd, shape as _sh  # noqa: E402
from .ops import compare as _cmp  # noqa: E402
