"""Elementwise ops: arithmetic, unary maths, activations, clamp, where, dropout."""
import math

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor, default_generator
from .compare import Gt
from .special import erf
from .words import binary, unary


def _calls(*calls):
    """The `fuse` of an op whose ufunc calls do not depend on its attrs."""
    return staticmethod(lambda attrs: list(calls))


class Add(Function):
    narrate = binary("+", "Addition", "g", "g")

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy

    fuse = _calls(("add", "{0}", "{1}"))

    @staticmethod
    def symbolic_grad(d, node, gy, wanted):
        return [(x, d.sum_to(gy, x)) for _, x in wanted]


class Sub(Function):
    narrate = binary("−", "Subtraction", "g", "−g")

    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, -gy

    fuse = _calls(("subtract", "{0}", "{1}"))

    @staticmethod
    def symbolic_grad(d, node, gy, wanted):
        neg = d.op(Neg, [gy], gy) if any(k == 1 for k, _ in wanted) else None
        return [(x, d.sum_to(gy if k == 0 else neg, x)) for k, x in wanted]


class Mul(Function):
    narrate = binary("⊙", "Elementwise product", "g ⊙ b", "g ⊙ a")

    def forward(self, a, b):
        self.saved = (a, b)
        return a * b

    def backward(self, gy):
        a, b = self.saved
        return gy * b, gy * a

    fuse = _calls(("multiply", "{0}", "{1}"))

    @staticmethod
    def symbolic_grad(d, node, gy, wanted):
        a, b = node.inputs
        return [(x, d.sum_to(d.op(Mul, [gy, b if k == 0 else a], gy), x)) for k, x in wanted]


class Div(Function):
    narrate = binary("⊘", "Elementwise division", "g ⊘ b", "−g ⊙ a ⊘ b²")

    def forward(self, a, b):
        self.saved = (a, b)
        return a / b

    def backward(self, gy):
        a, b = self.saved
        ga = gy / b
        return ga, -ga * a / b

    fuse = _calls(("true_divide", "{0}", "{1}"))


class Neg(Function):
    narrate = unary("Negation", "−a", "−g", "Flips the sign.")

    def forward(self, a):
        return -a

    def backward(self, gy):
        return (-gy,)

    fuse = _calls(("negative", "{0}"))

    @staticmethod
    def symbolic_grad(d, node, gy, wanted):
        return [(wanted[0][1], d.op(Neg, [gy], gy))]


class PowScalar(Function):
    op = "pow"

    def forward(self, a, exponent):
        self.saved = (a,)
        return a ** exponent

    def backward(self, gy):
        (a,) = self.saved
        p = self.attrs["exponent"]
        return (gy * p * a ** (p - 1),)

    @staticmethod
    def narrate(c):
        """Both pow ops' (they share the name): by a number, or by a tensor."""
        if c.n == 1:
            p = c.attr("exponent", "p")
            return ("Power", f"y = a^{p} elementwise: {c.i(0)} → {c.y}",
                    f"dL/da = g ⊙ {p}·a^({p}−1) → {c.i(0)}")
        return ("Power", f"y = a^b elementwise: {c.i(0)} ^ {c.i(1)} → {c.y}" + c.broadcast_note(),
                f"{c.grad_to('a', 'g ⊙ b·a^(b−1)', 0)}\n{c.grad_to('b', 'g ⊙ y·ln a', 1)}")

    @staticmethod
    def fuse(attrs):
        return [("power", "{0}", repr(attrs["exponent"]))]


class Pow(Function):
    def forward(self, a, b):
        y = a ** b
        self.saved = (a, b, y)
        return y

    def backward(self, gy):
        a, b, y = self.saved
        xp = get_array_module(a)
        safe_log = xp.log(xp.where(a > 0, a, 1))
        return gy * b * a ** (b - 1), gy * y * safe_log

    narrate = staticmethod(PowScalar.narrate)


class Exp(Function):
    narrate = unary("Exponential", "e^a", "g ⊙ y", "e^a is its own derivative, so backward reuses y.")

    def forward(self, a):
        y = get_array_module(a).exp(a)
        self.saved = (y,)
        return y

    def backward(self, gy):
        return (gy * self.saved[0],)

    fuse = _calls(("exp", "{0}"))

    @staticmethod
    def symbolic_grad(d, node, gy, wanted):  # gy * y
        return [(wanted[0][1], d.op(Mul, [gy, node], gy))]


class Log(Function):
    narrate = unary("Natural log", "ln a", "g ⊘ a", "Defined for a > 0.")

    def forward(self, a):
        self.saved = (a,)
        return get_array_module(a).log(a)

    def backward(self, gy):
        return (gy / self.saved[0],)

    fuse = _calls(("log", "{0}"))


class Sqrt(Function):
    narrate = unary("Square root", "√a", "g ⊘ (2√a)", "Defined for a ≥ 0.")

    def forward(self, a):
        y = get_array_module(a).sqrt(a)
        self.saved = (y,)
        return y

    def backward(self, gy):
        return (gy / (2 * self.saved[0]),)

    fuse = _calls(("sqrt", "{0}"))


class Abs(Function):
    narrate = unary("Absolute value", "|a|", "g ⊙ sign(a)", "Drops the sign.")

    def forward(self, a):
        self.saved = (a,)
        return abs(a)

    def backward(self, gy):
        return (gy * get_array_module(gy).sign(self.saved[0]),)

    fuse = _calls(("absolute", "{0}"))


class ReLU(Function):
    module = "ReLU"
    narrate = unary("ReLU", "max(a, 0)", "g ⊙ [a > 0]",
                    "Negative inputs become 0. In backward the gradient passes where the input "
                    "was positive and is blocked elsewhere: a unit that is never positive "
                    "learns nothing (a dead ReLU).")

    def forward(self, a):
        mask = a > 0
        self.saved = (mask,)
        return get_array_module(a).maximum(a, 0)  # a * mask would give -0.0 for a < 0

    def backward(self, gy):
        return (gy * self.saved[0],)

    fuse = _calls(("maximum", "{0}", "0"))

    @staticmethod
    def symbolic_grad(d, node, gy, wanted):  # gy * (x > 0)
        x = node.inputs[0]
        mask = d.op(Gt, [x, d.constant(0, x)], node, dtype=bool)
        return [(x, d.op(Mul, [gy, mask], gy))]


class Sigmoid(Function):
    module = "Sigmoid"
    narrate = unary("Sigmoid", "σ(a) = 1 / (1 + e^−a)", "g ⊙ y ⊙ (1 − y)",
                    "Squashes into (0, 1). Its slope is at most 1/4, so gradients shrink "
                    "through it, and vanish where it saturates.")

    def forward(self, a):
        xp = get_array_module(a)
        y = 0.5 * xp.tanh(0.5 * a) + 0.5  # stable for large |a|
        self.saved = (y,)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return (gy * y * (1 - y),)

    fuse = _calls(("multiply", "{0}", "0.5"), ("tanh", "{acc}"),  # the stable form above
                  ("multiply", "{acc}", "0.5"), ("add", "{acc}", "0.5"))

    @staticmethod
    def symbolic_grad(d, node, gy, wanted):  # gy * y * (1 - y)
        scaled = d.op(Mul, [gy, node], gy)
        rest = d.op(Sub, [d.constant(1, node), node], node)
        return [(wanted[0][1], d.op(Mul, [scaled, rest], gy))]


class Tanh(Function):
    module = "Tanh"
    narrate = unary("Tanh", "tanh a", "g ⊙ (1 − y²)",
                    "Squashes into (−1, 1); saturated units (|y| ≈ 1) pass almost no gradient.")

    def forward(self, a):
        y = get_array_module(a).tanh(a)
        self.saved = (y,)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return (gy * (1 - y * y),)

    fuse = _calls(("tanh", "{0}"))

    @staticmethod
    def symbolic_grad(d, node, gy, wanted):  # gy * (1 - y * y)
        square = d.op(Mul, [node, node], node)
        rest = d.op(Sub, [d.constant(1, node), square], node)
        return [(wanted[0][1], d.op(Mul, [gy, rest], gy))]


class GELU(Function):
    """x * Phi(x), the exact (erf) form that is PyTorch's default."""

    module = "GELU"
    narrate = unary("GELU", "a · Φ(a), Φ the standard normal CDF", "g ⊙ (Φ(a) + a·φ(a))",
                    "A smooth ReLU: small negative inputs still leak a little.")

    def forward(self, a):
        cdf = 0.5 * (1 + erf(a / math.sqrt(2)))
        self.saved = (a, cdf)
        return (a * cdf).astype(a.dtype, copy=False)

    def backward(self, gy):
        a, cdf = self.saved
        xp = get_array_module(a)
        pdf = xp.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
        return ((gy * (cdf + a * pdf)).astype(a.dtype, copy=False),)


class Clamp(Function):
    def forward(self, a, min=None, max=None):
        xp = get_array_module(a)
        mask = xp.ones(a.shape, bool)
        if min is not None:
            mask &= a >= min
        if max is not None:
            mask &= a <= max
        self.saved = (mask,)
        return xp.clip(a, min, max).astype(a.dtype, copy=False)

    def backward(self, gy):
        return (gy * self.saved[0],)

    @staticmethod
    def narrate(c):
        lo, hi = c.attrs.get("min"), c.attrs.get("max")
        lo_txt, hi_txt = ("−∞" if lo is None else lo), ("+∞" if hi is None else hi)
        if not c.attrs:
            lo_txt, hi_txt = "lo", "hi"
        return ("Clamp", f"y = min(max(a, {lo_txt}), {hi_txt}): {c.i(0)} → {c.y}\n"
                         "Values outside the range are cut to its ends.",
                f"dL/da = g ⊙ [{lo_txt} ≤ a ≤ {hi_txt}] → {c.i(0)}\n"
                "Clamped entries get no gradient: moving them would not change y.")

    @staticmethod
    def fuse(attrs):
        low, high = attrs["min"], attrs["max"]
        calls = [("maximum", "{0}", repr(low))] if low is not None else []
        if high is not None:
            calls.append(("minimum", "{acc}" if calls else "{0}", repr(high)))
        return calls or [("positive", "{0}")]


class Where(Function):
    def forward(self, cond, a, b):
        self.saved = (cond,)
        return get_array_module(a).where(cond, a, b)

    def backward(self, gy):
        (cond,) = self.saved
        zero = gy.dtype.type(0)
        xp = get_array_module(gy)
        return None, xp.where(cond, gy, zero), xp.where(cond, zero, gy)

    @staticmethod
    def narrate(c):
        return ("Select (where)",
                f"y = cond ? a : b: cond {c.i(0)}, a {c.i(1)}, b {c.i(2)} → {c.y}\n"
                "Each entry comes from a where cond holds, from b elsewhere." + c.broadcast_note(),
                f"dL/dcond: none (a condition is not differentiable)\n"
                f"{c.grad_to('a', 'g where cond, 0 elsewhere', 1)}\n"
                f"{c.grad_to('b', '0 where cond, g elsewhere', 2)}")


class Dropout(Function):
    def forward(self, a, p=0.5):
        xp = get_array_module(a)
        keep = default_generator().random(a.shape) >= p
        scale = xp.asarray(keep, dtype=a.dtype) / (1 - p)
        self.saved = (scale,)
        return a * scale

    def backward(self, gy):
        return (gy * self.saved[0],)

    @staticmethod
    def narrate(c):
        p = c.attr("p", "p")
        keep = f"1 − {p}" if isinstance(p, str) else f"{1 - p:g}"
        return ("Dropout", f"y = a ⊙ m / ({keep}), m ~ Bernoulli({keep}): {c.i(0)} → {c.y}\n"
                           f"Each entry is zeroed with probability {p}; survivors are scaled up "
                           "so the expected value is unchanged (training mode only).",
                f"dL/da = g ⊙ m / ({keep}) → {c.i(0)}\n"
                "Dropped entries get no gradient this iteration.")


def _t(x, like=None):
    if isinstance(x, Tensor):
        return x
    return like._other(x) if like is not None else Tensor(x)


def add(a, b): return _t(a, b) + b
def sub(a, b): return _t(a, b) - b
def mul(a, b): return _t(a, b) * b
def div(a, b): return _t(a, b) / b
def exp(x): return Exp.apply(x)
def log(x): return Log.apply(x)
def sqrt(x): return Sqrt.apply(x)
def relu(x): return ReLU.apply(x)
def sigmoid(x): return Sigmoid.apply(x)
def tanh(x): return Tanh.apply(x)
def gelu(x): return GELU.apply(x)
def clamp(x, min=None, max=None): return Clamp.apply(x, min=min, max=max)


def where(cond, a, b):
    """Elementwise choice; `cond` carries no gradient."""
    ref = a if isinstance(a, Tensor) else b
    cond = cond if isinstance(cond, Tensor) else Tensor(cond)
    return Where.apply(cond, _t(a, ref), _t(b, ref))


def dropout(x, p=0.5, training=True):
    if not 0 <= p < 1:
        if p == 1 and training:
            return x * 0.0
        if not training:
            return x
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    return Dropout.apply(x, p=p)
