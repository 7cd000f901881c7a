"""Symbolic tensors (what the builder hands to user code), shape inference by dry runs, and
the few ops static graphs need beyond engine/ops (argmax, stop_gradient, sum_to,
ones_like)."""
import numpy as np

from ..autograd import Function, ShapeError
from ..ops import reduce as rd
from ..tensor import Tensor


class _SymbolicArray(np.ndarray):
    """Stands in for the data of a symbolic tensor: it has a dtype and a rank, but any
    arithmetic on it raises (a symbolic tensor used by eager code outside its graph)."""

    def __array_ufunc__(self, ufunc, method, *args, **kwargs):
        raise RuntimeError(
            f"code read the values of a static-graph tensor directly ({ufunc.__name__}) "
            "instead of through engine ops, or used it after its graph was built; a graph "
            "has no values until Session.run (side effects such as BatchNorm's running "
            "statistics in training mode cannot be compiled: use eval() or dynamic mode)")


class SymbolicTensor(Tensor):
    """A Tensor that stands for an IR node; ops on it add nodes instead of computing."""

    __slots__ = ("node",)

    def __init__(self, node):
        shape = tuple(2 if d is None else d for d in (node.shape or ()))
        dtype = node.dtype if node.dtype is not None else np.dtype(np.float32)
        self.array = np.broadcast_to(np.zeros((), dtype), shape).view(_SymbolicArray)
        self.grad = None
        self.requires_grad = dtype.kind == "f"
        self.creator = None
        self.name = node.name
        self.node = node

    shape = property(lambda self: self.node.shape if self.node.shape is not None else ())
    ndim = property(lambda self: len(self.shape))

    def __len__(self):
        n = self.shape[0] if self.shape else None
        if n is None:
            raise TypeError(f"len() of {self.node.describe()}: its batch size is only known at run time")
        return n

    def __repr__(self):
        return f"<symbolic %{self.node.id} {self.node.describe()}>"

    def _no_value(self, what):
        raise TypeError(f"{what} of {self.node.describe()}: a static-graph tensor has no value "
                        "while the graph is built; fetch it with Session.run, or use "
                        "static.cond for control flow")

    def item(self): self._no_value("item()")
    def __bool__(self): self._no_value("bool()")
    def __float__(self): self._no_value("float()")
    def __int__(self): self._no_value("int()")
    def __index__(self): self._no_value("int()")
    def numpy(self): self._no_value("numpy()")

    def backward(self, grad=None, retain_graph=False):
        raise TypeError("backward() on a static-graph tensor: use static.gradients(loss, "
                        "vars) or static.minimize(loss, optimizer)")

    def detach(self):
        return StopGradient.apply(self)

    def argmax(self, dim=None, keepdim=False):
        return ArgMax.apply(self, dim=dim, keepdim=keepdim)

    def max(self, dim=None, keepdim=False):
        if dim is None:
            return rd.Max.apply(self, dim=None, keepdim=False)
        return rd.MaxResult(rd.Max.apply(self, dim=dim, keepdim=keepdim),
                            ArgMax.apply(self, dim=dim, keepdim=keepdim))


# ---- ops that static graphs add ----------------------------------------------------
class ArgMax(Function):
    differentiable = False

    def forward(self, a, dim=None, keepdim=False):
        idx = a.argmax(axis=dim)
        if keepdim and dim is not None:
            idx = np.expand_dims(idx, dim) if isinstance(idx, np.ndarray) else idx.reshape(
                idx.shape[:dim % a.ndim] + (1,) + idx.shape[dim % a.ndim:])
        return idx

    def backward(self, gy):
        return (None,)


class StopGradient(Function):
    op = "stop_gradient"
    differentiable = False

    def forward(self, a):
        return a

    def backward(self, gy):
        return (None,)


class SumTo(Function):
    """Sum a broadcast gradient back to an input's shape: over `lead` leading dims, then
    over `axes` keeping them (the static form of autograd.unbroadcast)."""

    op = "sum_to"

    def forward(self, a, lead=0, axes=()):
        if lead:
            a = a.sum(axis=tuple(range(lead)))
        if axes:
            a = a.sum(axis=axes, keepdims=True)
        return a

    def backward(self, gy):
        raise NotImplementedError("sum_to is only used inside gradient graphs")


class OnesLike(Function):
    op = "ones_like"
    differentiable = False

    def forward(self, a):
        from ..backend import get_array_module
        return get_array_module(a).ones_like(a)

    def backward(self, gy):
        return (None,)


# ---- shape inference --------------------------------------------------------------------
_BATCHES = (2, 3)  # two batch sizes: dims that follow them are batch dims (None)


def example(node, batch):
    """A stand-in value for `node` with the batch dim set to `batch`."""
    from ..backend import to_numpy
    if node.kind == "variable":
        return to_numpy(node.value.array)
    if node.kind == "constant":
        return to_numpy(node.value)
    shape = tuple(batch if d is None else d for d in node.shape)
    if node.dtype.kind == "f":
        return np.full(shape, 0.5, node.dtype)
    if node.dtype.kind == "b":
        return np.ones(shape, bool)
    return np.zeros(shape, node.dtype)


def infer(cls, attrs, inputs, scope):
    """(shape, dtype) of `cls` applied to the nodes `inputs`, by running its forward on
    stand-in values for two batch sizes; a ShapeError names the op, scope and shapes."""
    dynamic = any(n.shape is not None and None in n.shape for n in inputs)
    outs = []
    for batch in _BATCHES if dynamic else _BATCHES[:1]:
        fn = object.__new__(cls)
        fn.attrs = attrs
        try:
            with np.errstate(all="ignore"):
                outs.append(fn.forward(*[example(n, batch) for n in inputs], **attrs))
        except (ValueError, TypeError, IndexError) as exc:
            raise _shape_error(fn, inputs, exc, scope) from exc
    first = outs[0]
    if len(outs) == 1:
        return first.shape, first.dtype
    second = outs[1]
    if first.ndim != second.ndim:
        raise ShapeError(f"{_where(cls.op, scope)}: its output rank depends on the batch size "
                         f"(input shapes {_shapes(inputs)})")
    return tuple(a if a == b else None for a, b in zip(first.shape, second.shape)), first.dtype


def _where(op, scope):
    return f"{op} in '{scope}'" if scope else op


def _shapes(nodes):
    return ", ".join(str(n.shape) for n in nodes)


def _shape_error(fn, inputs, exc, scope):
    shapes = [n.shape for n in inputs]
    try:
        reason = fn.explain(shapes)
    except Exception:
        reason = None
    reason = reason or f"{exc} (input shapes {_shapes(inputs)})"
    return ShapeError(f"{_where(fn.op, scope)}: {reason}")


def normalize_attrs(attrs):
    """Attributes as a graph keeps them: a `shape` naming the batch dim (None) gets -1."""
    shape = attrs.get("shape")
    if isinstance(shape, (tuple, list)) and any(d is None for d in shape):
        attrs = dict(attrs, shape=tuple(-1 if d is None else d for d in shape))
    return attrs
