"""1-D regression sets."""
import numpy as np

from .dataset import Dataset, check_params


def sine(n=200, noise=0.1, seed=0):
    """x uniform in [-pi, pi], y = sin(x) + Gaussian noise of std `noise`; shapes (n, 1)."""
    check_params("sine", n, noise)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-np.pi, np.pi, (n, 1))
    y = np.sin(x) + rng.normal(0.0, 1.0, (n, 1)) * noise
    return Dataset(x.astype(np.float32), y.astype(np.float32), "regression", name="sine")
