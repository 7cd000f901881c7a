"""Elementwise ops: arithmetic, unary maths, activations, clamp, where, dropout."""
import math

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor, default_generator


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, -gy


class Mul(Function):
    def forward(self, a, b):
        self.saved = (a, b)
        return a * b

    def backward(self, gy):
        a, b = self.saved
        return gy * b, gy * a


class Div(Function):
    def forward(self, a, b):
        self.saved = (a, b)
        return a / b

    def backward(self, gy):
        a, b = self.saved
        ga = gy / b
        return ga, -ga * a / b


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, gy):
        return (-gy,)


class PowScalar(Function):
    op = "pow"

    def forward(self, a, exponent):
        self.saved = (a,)
        return a ** exponent

    def backward(self, gy):
        (a,) = self.saved
        p = self.attrs["exponent"]
        return (gy * p * a ** (p - 1),)


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


class Exp(Function):
    def forward(self, a):
        y = get_array_module(a).exp(a)
        self.saved = (y,)
        return y

    def backward(self, gy):
        return (gy * self.saved[0],)


class Log(Function):
    def forward(self, a):
        self.saved = (a,)
        return get_array_module(a).log(a)

    def backward(self, gy):
        return (gy / self.saved[0],)


class Sqrt(Function):
    def forward(self, a):
        y = get_array_module(a).sqrt(a)
        self.saved = (y,)
        return y

    def backward(self, gy):
        return (gy / (2 * self.saved[0]),)


class Abs(Function):
    def forward(self, a):
        self.saved = (a,)
        return abs(a)

    def backward(self, gy):
        return (gy * get_array_module(gy).sign(self.saved[0]),)


class ReLU(Function):
    def forward(self, a):
        mask = a > 0
        self.saved = (mask,)
        return get_array_module(a).maximum(a, 0)  # a * mask would give -0.0 for a < 0

    def backward(self, gy):
        return (gy * self.saved[0],)


class Sigmoid(Function):
    def forward(self, a):
        xp = get_array_module(a)
        y = 0.5 * xp.tanh(0.5 * a) + 0.5  # stable for large |a|
        self.saved = (y,)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return (gy * y * (1 - y),)


class Tanh(Function):
    def forward(self, a):
        y = get_array_module(a).tanh(a)
        self.saved = (y,)
        return y

    def backward(self, gy):
        (y,) = self.saved
        return (gy * (1 - y * y),)


def erf(x):
    """Error function for numpy or CuPy arrays: Maclaurin series for |x| < 2, Laplace's
    continued fraction for erfc beyond (absolute error below 1e-14 in float64)."""
    xp = get_array_module(x)
    a = xp.abs(x).astype(xp.float64)
    small = xp.minimum(a, 2.0)
    term = small.copy()
    total = small.copy()
    sq = small * small
    for n in range(1, 40):
        term = term * (-sq) / n
        total += term / (2 * n + 1)
    series = total * (2 / math.sqrt(math.pi))
    big = xp.maximum(a, 2.0)
    frac = xp.zeros_like(big)
    for k in range(60, 0, -1):
        frac = (k / 2) / (big + frac)
    tail = 1 - xp.exp(-big * big) / math.sqrt(math.pi) / (big + frac)
    return (xp.sign(x) * xp.where(a < 2, series, tail)).astype(x.dtype, copy=False)


class GELU(Function):
    """x * Phi(x), the exact (erf) form that is PyTorch's default."""

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


class Where(Function):
    def forward(self, cond, a, b):
        self.saved = (cond,)
        return get_array_module(a).where(cond, a, b)

    def backward(self, gy):
        (cond,) = self.saved
        zero = gy.dtype.type(0)
        xp = get_array_module(gy)
        return None, xp.where(cond, gy, zero), xp.where(cond, zero, gy)


class Dropout(Function):
    def forward(self, a, p=0.5):
        xp = get_array_module(a)
        keep = default_generator().random(a.shape) >= p
        scale = xp.asarray(keep, dtype=a.dtype) / (1 - p)
        self.saved = (scale,)
        return a * scale

    def backward(self, gy):
        return (gy * self.saved[0],)


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
