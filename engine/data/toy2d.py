"""Two-class 2-D sets in the spirit of TensorFlow Playground, scaled to about [-1, 1].

Each builder draws exactly n // 2 points of class 0 and the rest of class 1, in shuffled order.
`noise` is the standard deviation of Gaussian noise added to the clean points (for `gaussians`
it is the spread of each blob). The same seed gives the same set.
"""
import numpy as np

from .dataset import Dataset, check_params


def _finish(name, rng, points, labels, noise):
    """Adds the noise, shuffles the samples and wraps them as a Dataset."""
    points = points + rng.normal(0.0, 1.0, points.shape) * noise
    order = rng.permutation(len(labels))
    return Dataset(points[order].astype(np.float32), labels[order], "classification",
                   num_classes=2, name=name)


def _labels(n):
    return np.repeat(np.array([0, 1], np.int64), [n // 2, n - n // 2])


def xor(n=200, noise=0.1, seed=0):
    """Class 1 where x * y > 0 (first and third quadrants); points kept 0.05 off the axes."""
    check_params("xor", n, noise, min_n=2)
    rng = np.random.default_rng(seed)
    labels = _labels(n)
    magnitude = rng.uniform(0.05, 1.0, (n, 2))
    sx = rng.choice([-1.0, 1.0], n)
    sy = np.where(labels == 1, sx, -sx)  # same sign -> positive product -> class 1
    return _finish("xor", rng, magnitude * np.stack([sx, sy], 1), labels, noise)


def circles(n=200, noise=0.05, seed=0):
    """Class 0 inside radius 0.5, class 1 on a ring between radii 0.7 and 1."""
    check_params("circles", n, noise, min_n=2)
    rng = np.random.default_rng(seed)
    labels = _labels(n)
    radius = np.where(labels == 0, rng.uniform(0.0, 0.5, n), rng.uniform(0.7, 1.0, n))
    angle = rng.uniform(0.0, 2 * np.pi, n)
    points = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], 1)
    return _finish("circles", rng, points, labels, noise)


def spirals(n=200, noise=0.05, seed=0):
    """Two interleaved arms, r = t / (3.5 pi) for t in [0, 3.5 pi]; class 1 is turned by pi."""
    check_params("spirals", n, noise, min_n=2)
    rng = np.random.default_rng(seed)
    labels = _labels(n)
    half = np.concatenate([np.arange(n // 2) / max(n // 2, 1),
                           np.arange(n - n // 2) / (n - n // 2)])
    turn = 3.5 * np.pi * half + np.pi * labels
    points = half[:, None] * np.stack([np.sin(turn), np.cos(turn)], 1)
    return _finish("spirals", rng, points, labels, noise)


def gaussians(n=200, noise=0.3, seed=0):
    """Two Gaussian blobs centred on (-0.5, -0.5) and (0.5, 0.5); noise is their std."""
    check_params("gaussians", n, noise, min_n=2)
    rng = np.random.default_rng(seed)
    labels = _labels(n)
    centres = np.where(labels[:, None] == 0, -0.5, 0.5) * np.ones((n, 2))
    return _finish("gaussians", rng, centres, labels, noise)


def moons(n=200, noise=0.1, seed=0):
    """Two interleaving half circles of radius 1 (scikit-learn's make_moons), centred."""
    check_params("moons", n, noise, min_n=2)
    rng = np.random.default_rng(seed)
    labels = _labels(n)
    t = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)], 1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], 1)
    points = np.where(labels[:, None] == 0, upper, lower) - np.array([0.5, 0.25])
    return _finish("moons", rng, points, labels, noise)
