"""Activation layers (thin modules over engine ops)."""
from ..ops import elementwise as ew, reduce as rd
from .module import Module


class ReLU(Module):
    def forward(self, x):
        return ew.ReLU.apply(x)


class Sigmoid(Module):
    def forward(self, x):
        return ew.Sigmoid.apply(x)


class Tanh(Module):
    def forward(self, x):
        return ew.Tanh.apply(x)


class GELU(Module):
    def forward(self, x):
        return ew.GELU.apply(x)


class Softmax(Module):
    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return rd.Softmax.apply(x, dim=self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
