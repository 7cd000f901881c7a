"""Embedding: a table of num_embeddings rows looked up by integer indices."""
import numpy as np

from ..ops import shape as sh
from ..tensor import default_generator
from .module import Module, Parameter


class Embedding(Module):
    """weight (num_embeddings, embedding_dim), initialised N(0, 1) as in PyTorch."""

    def __init__(self, num_embeddings, embedding_dim):
        super().__init__()
        if num_embeddings < 1 or embedding_dim < 1:
            raise ValueError(f"Embedding({num_embeddings}, {embedding_dim}): sizes must be positive")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        table = default_generator().standard_normal((num_embeddings, embedding_dim))
        self.weight = Parameter(table.astype(np.float32))

    def forward(self, indices):
        return sh.embedding(indices, self.weight)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"
