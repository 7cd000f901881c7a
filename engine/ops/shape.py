"""Shape ops: reshape, permute, indexing, cat, stack, embedding lookup, device moves."""
import numpy as np

from ..autograd import Function
from ..backend import get_array_module, to_device, device_of
from ..tensor import Tensor
from .words import subscript


class Reshape(Function):
    def forward(self, a, shape):
        self.saved = (a.shape,)
        return a.reshape(shape)

    def explain(self, shapes):
        return (f"cannot reshape {shapes[0]} (size {_size(shapes[0])}) into "
                f"{tuple(self.attrs['shape'])}")

    def backward(self, gy):
        return (gy.reshape(self.saved[0]),)

    @staticmethod
    def narrate(c):
        return ("Reshape", f"y = reshape(a): {c.i(0)} → {c.y}\nSame values in the same order, "
                           "new shape; nothing is computed.",
                f"dL/da = reshape(g) back → {c.i(0)}")


def _size(shape):
    n = 1
    for s in shape:
        n *= s
    return n


class Permute(Function):
    def forward(self, a, dims):
        return a.transpose(dims)

    def backward(self, gy):
        dims = self.attrs["dims"]
        inverse = [0] * len(dims)
        for i, d in enumerate(dims):
            inverse[d % len(dims)] = i
        return (gy.transpose(inverse),)

    @staticmethod
    def narrate(c):
        dims = c.attr("dims", "dims")
        return ("Permute", f"y = permute(a, {dims}): {c.i(0)} → {c.y}\nThe axes are reordered.",
                f"dL/da = g permuted back with the inverse order → {c.i(0)}")


class GetItem(Function):
    op = "getitem"

    def forward(self, a, index):
        self.saved = (a.shape, a.dtype)
        return a[index]

    def backward(self, gy):
        shape, dtype = self.saved
        xp = get_array_module(gy)
        g = xp.zeros(shape, dtype)
        index = self.attrs["index"]
        if _basic(index):  # slices and integers pick each entry once: a plain copy
            g[index] = gy
        else:
            xp.add.at(g, index, gy)  # repeated integer indices accumulate
        return (g,)

    def scatter(self):
        index = self.attrs["index"]
        return (index,) + self.saved if _basic(index) else None

    @staticmethod
    def narrate(c):
        return ("Indexing", f"y = a[index]: {c.i(0)} → {c.y}\nPicks entries (slices or integer "
                            "arrays) out of a.",
                f"dL/da = g scattered into zeros at the picked positions → {c.i(0)}\n"
                "Entries picked more than once add up their gradients.")


def _basic(index):
    """Whether `index` is basic indexing (slices, integers, None, ...): no entry twice."""
    for i in index if type(index) is tuple else (index,):
        if not (i is None or i is Ellipsis or type(i) is slice
                or (isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)))):
            return False
    return True


class Cat(Function):
    def forward(self, *arrays, dim=0):
        xp = get_array_module(arrays[0])
        self.saved = ([a.shape[dim] for a in arrays],)
        return xp.concatenate(arrays, axis=dim)

    def explain(self, shapes):
        return f"tensors must match in every dim but {self.attrs['dim']}, got {shapes}"

    def backward(self, gy):
        xp = get_array_module(gy)
        sizes = self.saved[0]
        cuts = [sum(sizes[: i + 1]) for i in range(len(sizes) - 1)]
        return tuple(xp.split(gy, cuts, axis=self.attrs["dim"]))

    @staticmethod
    def narrate(c):
        return ("Concatenate",
                f"y = cat([a₁ … a{subscript(c.n)}], dim {c.attr('dim', 'd')}): {c.inputs()} → {c.y}\n"
                "The inputs are joined end to end along an existing dim.",
                f"dL/daᵢ = the slice of g that came from aᵢ → {c.inputs()}")


class Stack(Function):
    def forward(self, *arrays, dim=0):
        return get_array_module(arrays[0]).stack(arrays, axis=dim)

    def explain(self, shapes):
        return f"tensors must all have one shape, got {shapes}"

    def backward(self, gy):
        xp = get_array_module(gy)
        dim = self.attrs["dim"]
        return tuple(xp.squeeze(p, axis=dim) for p in xp.split(gy, gy.shape[dim], axis=dim))

    @staticmethod
    def narrate(c):
        dim = c.attr("dim", "d")
        return ("Stack", f"y = stack([a₁ … a{subscript(c.n)}], dim {dim}): {c.inputs()} → {c.y}\n"
                         "The inputs are piled up along a new dim.",
                f"dL/daᵢ = g[…, i, …] along dim {dim} → {c.inputs()}")


class Embedding(Function):
    """Row lookup `weight[indices]`; the gradient scatters back into the rows used."""

    def forward(self, indices, weight):
        if indices.dtype.kind not in "iu":
            raise TypeError(f"indices must be integers, not {indices.dtype}")
        if indices.size and (indices.min() < 0 or indices.max() >= weight.shape[0]):
            raise IndexError(f"index {int(indices.max())} out of range for {weight.shape[0]} "
                             f"embeddings (indices {tuple(indices.shape)}, table {tuple(weight.shape)})")
        self.saved = (indices, weight.shape)
        return weight[indices]

    def explain(self, shapes):
        return f"indices {shapes[0]} do not fit a table of shape {shapes[1]}"

    def backward(self, gy):
        indices, shape = self.saved
        xp = get_array_module(gy)
        g = xp.zeros(shape, gy.dtype)
        xp.add.at(g, indices, gy)
        return None, g

    @staticmethod
    def narrate(c):
        return ("Embedding lookup",
                f"y = W[indices]: indices {c.i(0)}, table W {c.i(1)} → {c.y}\n"
                "Each integer index picks one row (a learned vector) of the table.",
                "dL/dindices: none (integers)\n"
                f"dL/dW = g rows added into the rows that were looked up, 0 elsewhere → {c.i(1)}")

    @staticmethod
    def complete_shapes(shapes, out):
        shapes = list(shapes)
        if shapes[0] is None and out is not None:  # the indices: the output less its last dim
            shapes[0] = tuple(out[:-1])
        return shapes


class ToDevice(Function):
    op = "to"

    def forward(self, a, device):
        self.saved = (device_of(a),)
        return to_device(a, device)

    def backward(self, gy):
        return (to_device(gy, self.saved[0]),)

    @staticmethod
    def narrate(c):
        device = c.attr("device", "the other device")
        return ("Device move",
                f"y = a moved to {device}: {c.i(0)} → {c.y}\nSame values, other memory.",
                f"dL/da = g moved back to a's device → {c.i(0)}")


def reshape(x, *shape): return x.reshape(*shape)


def flatten(x, start_dim=0, end_dim=-1):
    nd = x.ndim
    if nd == 0:
        return x.reshape(1)
    s, e = start_dim % nd, end_dim % nd
    shape = x.shape
    return x.reshape(*shape[:s], _size(shape[s:e + 1]), *shape[e + 1:])


def unsqueeze(x, d):
    d = d % (x.ndim + 1)
    shape = x.shape
    return x.reshape(*shape[:d], 1, *shape[d:])


def squeeze(x, d=None):
    shape = x.shape
    if d is None:
        return x.reshape(*[n for n in shape if n != 1])
    d = d % max(x.ndim, 1)
    if x.ndim == 0 or shape[d] != 1:
        return x
    return x.reshape(*shape[:d], *shape[d + 1:])


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    return Cat.apply(*tensors, dim=dim)


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    return Stack.apply(*tensors, dim=dim)


def embedding(indices, weight):
    if not isinstance(indices, Tensor):
        indices = Tensor(indices)
    return Embedding.apply(indices, weight)
