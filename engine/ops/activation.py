"""Activations with a parameter, as torch.nn.functional has them (each declares its layer:
`module`, so engine.nn.LeakyReLU and engine.nn.Softplus come from here)."""
from ..autograd import Function
from ..backend import get_array_module
from .words import unary


class LeakyReLU(Function):
    """max(a, 0) + negative_slope * min(a, 0), as torch.nn.functional.leaky_relu."""

    op = "leaky_relu"
    module = "LeakyReLU"
    narrate = unary("Leaky ReLU", "max(a, 0) + s·min(a, 0)", "g ⊙ (1 where a > 0, s elsewhere)",
                    "Negative inputs are scaled by s instead of cut to 0, so no unit dies: "
                    "a small gradient still flows where the input is negative.")

    def forward(self, a, negative_slope=0.01):
        mask = a > 0
        self.saved = (mask,)
        return get_array_module(a).where(mask, a, a * a.dtype.type(negative_slope))

    def backward(self, gy):
        slope = gy.dtype.type(self.attrs["negative_slope"])
        return (get_array_module(gy).where(self.saved[0], gy, gy * slope),)


class Softplus(Function):
    """log(1 + exp(beta * a)) / beta, and `a` itself where beta * a > threshold, as
    torch.nn.functional.softplus."""

    op = "softplus"
    module = "Softplus"
    narrate = unary("Softplus", "log(1 + e^(β·a)) / β", "g ⊙ σ(β·a)",
                    "A smooth ReLU: its slope is the sigmoid of β·a, so gradients never stop "
                    "completely; a larger β makes it closer to ReLU.")

    def forward(self, a, beta=1.0, threshold=20.0):
        xp = get_array_module(a)
        scaled = a * a.dtype.type(beta)
        linear = scaled > threshold
        soft = xp.logaddexp(0, xp.where(linear, 0, scaled)) / a.dtype.type(beta)
        self.saved = (scaled, linear)
        return xp.where(linear, a, soft).astype(a.dtype, copy=False)

    def backward(self, gy):
        scaled, linear = self.saved
        xp = get_array_module(gy)
        slope = 0.5 * xp.tanh(0.5 * scaled) + 0.5  # sigmoid(beta * a), stable
        return (xp.where(linear, gy, gy * slope).astype(gy.dtype, copy=False),)


def leaky_relu(x, negative_slope=0.01):
    return LeakyReLU.apply(x, negative_slope=negative_slope)


def softplus(x, beta=1.0, threshold=20.0):
    return Softplus.apply(x, beta=beta, threshold=threshold)
