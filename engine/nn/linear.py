"""Linear and Flatten."""
from ..ops import matmul as mm, shape as sh
from . import init
from .module import Module, Parameter


class Linear(Module):
    """y = x @ weight.T + bias; weight is (out_features, in_features) as in PyTorch."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        if in_features < 1 or out_features < 1:
            raise ValueError(f"Linear({in_features}, {out_features}): sizes must be positive")
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(init.kaiming_uniform_default((out_features, in_features)))
        self.bias = Parameter(init.bias_uniform(out_features, (out_features, in_features))) if bias else None

    def forward(self, x):
        return mm.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Flatten(Module):
    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return sh.flatten(x, self.start_dim, self.end_dim)
