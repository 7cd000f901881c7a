"""Elementwise comparisons as ops (no gradient): what `a < b` records while a static graph
is built or traced (eagerly, Tensor compares the arrays directly, outside any graph)."""
from ..autograd import Function


class Compare:
    """`a <symbol> b` elementwise, a boolean tensor: what the comparison ops below share
    (a mixin, not an op itself)."""

    differentiable = False
    method = symbol = None

    def forward(self, a, b):
        return getattr(a, self.method)(b)

    def backward(self, gy):
        return None, None

    @classmethod
    def narrate(cls, c):
        return (f"Comparison ({cls.symbol})",
                f"y = [a {cls.symbol} b]: {c.i(0)} {cls.symbol} {c.i(1)} → {c.y}\n"
                "1 (True) where the comparison holds, 0 elsewhere." + c.broadcast_note(),
                f"dL/da, dL/db: none (a comparison is not differentiable) → {c.i(0)}, {c.i(1)}")


class Lt(Compare, Function):
    method, symbol = "__lt__", "<"


class Le(Compare, Function):
    method, symbol = "__le__", "≤"


class Gt(Compare, Function):
    method, symbol = "__gt__", ">"


class Ge(Compare, Function):
    method, symbol = "__ge__", "≥"


class Eq(Compare, Function):
    method, symbol = "__eq__", "="


class Ne(Compare, Function):
    method, symbol = "__ne__", "≠"


COMPARISONS = {cls.method: cls for cls in (Lt, Le, Gt, Ge, Eq, Ne)}


def compare(a, b, method):
    """`a <method> b` (method "__lt__", ...) as an op node."""
    return COMPARISONS[method].apply(a, a._other(b))
