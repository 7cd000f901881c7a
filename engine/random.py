"""Random numbers with PyTorch's names: Generator, randint, randperm, multinomial, normal,
rand_like / randn_like. Samples come from numpy's generator, so they differ from PyTorch's
for the same seed (copy values across when numbers must match)."""
import numpy as np

from .tensor import Tensor, default_generator, manual_seed, rand, randn


class Generator:
    """A generator of its own: `Generator().manual_seed(42)`, passed as `generator=`."""

    def __init__(self, device="cpu"):
        self.device = device
        self._seed = int(np.random.SeedSequence().entropy % (2 ** 63))
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed):
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        return self.manual_seed(int(np.random.SeedSequence().entropy % (2 ** 63))).initial_seed()

    def get_state(self):
        return self.rng.bit_generator.state

    def set_state(self, state):
        self.rng.bit_generator.state = state
        return self


def _rng(generator):
    return default_generator() if generator is None else getattr(generator, "rng", generator)


def _size(size):
    return tuple(size) if isinstance(size, (tuple, list)) else (size,)


def randint(low, high=None, size=None, *, generator=None, dtype=np.int64, device="cpu",
            requires_grad=False):
    """Integers in [low, high) (randint(high, size) as PyTorch allows)."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing the size argument")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    array = _rng(generator).integers(low, high, _size(size)).astype(dtype)
    return Tensor(array, device=device, requires_grad=requires_grad)


def randperm(n, *, generator=None, dtype=np.int64, device="cpu"):
    return Tensor(_rng(generator).permutation(n).astype(dtype), device=device)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Indices drawn from the rows of `input` (non-negative weights, not necessarily
    normalised); without replacement each index comes at most once per row."""
    weights = input.numpy().astype(np.float64)
    rows = weights.reshape(-1, weights.shape[-1])
    if (rows < 0).any() or not np.isfinite(rows).all() or (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0, "
                           "or a row sums to zero")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    rng = _rng(generator)
    out = np.stack([rng.choice(rows.shape[1], num_samples, replace=replacement,
                               p=row / row.sum()) for row in rows])
    return Tensor(out.reshape(weights.shape[:-1] + (num_samples,)).astype(np.int64),
                  device=input.device)


def normal(mean, std, size=None, *, generator=None):
    """Samples of N(mean, std) (floats with `size`, or tensors broadcast together)."""
    m = mean.numpy() if isinstance(mean, Tensor) else mean
    s = std.numpy() if isinstance(std, Tensor) else std
    shape = _size(size) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    return Tensor((_rng(generator).standard_normal(shape) * s + m).astype(np.float32))


def rand_like(x, dtype=None):
    return rand(x.shape, dtype=dtype or x.dtype, device=x.device)


def randn_like(x, dtype=None):
    return randn(x.shape, dtype=dtype or x.dtype, device=x.device)


def seed():
    """Seed the engine's generator from fresh entropy; returns the seed."""
    value = int(np.random.SeedSequence().entropy % (2 ** 63))
    manual_seed(value)
    return value
