"""DataLoader: mini-batches of a Dataset as engine Tensors."""
import numpy as np

from ..tensor import Tensor, default_generator
from .dataset import DataError, check_int


class DataLoader:
    """Iterates `(x, y)` batches as Tensors (float32 or int64 inputs; int64 class labels,
    float32 regression/binary targets).

    With `shuffle`, every pass draws a new permutation from a generator seeded by `seed`, so
    the sequence of epochs is reproducible; with `seed=None` the engine's generator (seeded by
    `sg.manual_seed`) is used. `len()` is the number of batches per epoch.
    """

    def __init__(self, dataset, batch_size=32, shuffle=False, seed=None, drop_last=False,
                 device="cpu"):
        check_int("DataLoader", "batch_size", batch_size, 1)
        if drop_last and len(dataset) < batch_size:
            raise DataError(f"DataLoader: drop_last with batch_size {batch_size} leaves no "
                            f"batch of the {len(dataset)} samples of {dataset.name!r}")
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last, self.device = shuffle, drop_last, device
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def __len__(self):
        full, rest = divmod(len(self.dataset), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            order = (self._rng or default_generator()).permutation(n)
        else:
            order = np.arange(n)
        for b in range(len(self)):
            index = order[b * self.batch_size:(b + 1) * self.batch_size]
            x, y = self.dataset[index]
            yield Tensor(x, device=self.device), Tensor(y, device=self.device)
