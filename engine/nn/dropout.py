"""Dropout: zeroes each element with probability p while training, scaling the rest by
1 / (1 - p); the identity in eval mode."""
from ..ops import elementwise as ew
from .module import Module


class Dropout(Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return ew.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
