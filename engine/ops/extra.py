"""Ops of the PyTorch surface that the other families lack: dtype casts, clone, identity,
item assignment, gather and the lower/upper triangle."""
from ..autograd import Function
from ..backend import get_array_module
from .words import unary


class Cast(Function):
    """`x.to(dtype)` between floating dtypes; the gradient is cast back."""

    op = "to_dtype"

    def forward(self, a, dtype):
        self.saved = (a.dtype,)
        return a.astype(dtype)

    def backward(self, gy):
        return (gy.astype(self.saved[0]),)

    @staticmethod
    def narrate(c):
        dtype = c.attr("dtype", "another dtype")
        return ("Type cast", f"y = a as {dtype}: {c.i(0)} → {c.y}\nSame values, other precision.",
                f"dL/da = g cast back to a's dtype → {c.i(0)}")


class Clone(Function):
    """A copy with its own storage (`x.clone()`)."""

    narrate = unary("Copy (clone)", "copy of a", "g", "Same values in new memory.")

    def forward(self, a):
        return a.copy()

    def backward(self, gy):
        return (gy,)


class Identity(Function):
    """The same array, as a new node: where module backward hooks read gradients."""

    narrate = unary("Identity", "a", "g", "Nothing is computed: a node where hooks look at "
                    "the value and its gradient.")

    def forward(self, a):
        return a

    def backward(self, gy):
        return (gy,)


class SetItem(Function):
    """`x[index] = v` as a new value: the gradient flows to x outside index, to v inside."""

    op = "setitem"

    def forward(self, a, v, index):
        out = a.copy()
        out[index] = v
        return out

    def explain(self, shapes):
        return f"value of shape {shapes[1]} does not fit x{list(shapes[0])}[{self.attrs['index']!r}]"

    def backward(self, gy):
        index = self.attrs["index"]
        ga = gy.copy()
        ga[index] = 0
        return ga, gy[index]

    @staticmethod
    def narrate(c):
        return ("Item assignment", f"y = a with y[index] = v: a {c.i(0)}, v {c.i(1)} → {c.y}\n"
                                   "A copy of a whose entries at index are replaced by v.",
                f"dL/da = g, 0 at index → {c.i(0)}\ndL/dv = g[index] → {c.i(1)}")


class Gather(Function):
    """`x.gather(dim, index)`: out[i][j] = x[i][index[i][j]] along dim."""

    def forward(self, a, index, dim):
        if index.dtype.kind not in "iu":
            raise TypeError(f"gather: index must be integers, not {index.dtype}")
        self.saved = (a.shape, index)
        return get_array_module(a).take_along_axis(a, index, axis=dim)

    def explain(self, shapes):
        return f"index {shapes[1]} does not fit input {shapes[0]} along dim {self.attrs['dim']}"

    def backward(self, gy):
        shape, index = self.saved
        xp = get_array_module(gy)
        g = xp.zeros(shape, gy.dtype)
        dim = self.attrs["dim"] % len(shape)
        grids = list(xp.indices(index.shape, sparse=True))
        grids[dim] = index
        xp.add.at(g, tuple(grids), gy)
        return g, None

    @staticmethod
    def narrate(c):
        dim = c.attr("dim", "d")
        return ("Gather", f"y = gather(a, dim {dim}, index): a {c.i(0)}, index {c.i(1)} → {c.y}\n"
                          f"Each entry picks a[…, index[…], …] along dim {dim}.",
                f"dL/da = g added into zeros at the gathered positions → {c.i(0)}\n"
                "dL/dindex: none (integers)")


class Triangle(Function):
    """tril / triu: keep the elements on and below (above) the diagonal-th diagonal."""

    op = "tril"

    def forward(self, a, diagonal=0, upper=False):
        xp = get_array_module(a)
        n, m = a.shape[-2:]
        keep = xp.triu(xp.ones((n, m), bool), diagonal) if upper else xp.tril(
            xp.ones((n, m), bool), diagonal)
        self.saved = (keep,)
        return xp.where(keep, a, a.dtype.type(0))

    def backward(self, gy):
        return (gy * self.saved[0],)

    @staticmethod
    def narrate(c):
        side = "above" if c.attrs.get("upper") else "below"
        k = c.attr("diagonal", 0)
        return ("Triangle", f"y = a on and {side} diagonal {k}, 0 elsewhere: {c.i(0)} → {c.y}",
                f"dL/da = g on and {side} diagonal {k}, 0 elsewhere → {c.i(0)}")
