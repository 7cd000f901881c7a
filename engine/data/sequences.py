"""Toy sequence tasks for recurrent networks (batch-first inputs of shape (n, length, ...))."""
import numpy as np

from .dataset import Dataset, check_int, check_params


def parity(n=500, length=8, seed=0):
    """Random bit sequences (n, length, 1) float32; class 1 when the number of ones is odd."""
    check_params("parity", n)
    check_int("parity", "length", length, 1)
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, (n, length))
    return Dataset(bits[:, :, None].astype(np.float32), bits.sum(1) % 2, "classification",
                   num_classes=2, name="parity", class_names=("even", "odd"))


def sequence_sum(n=500, length=8, noise=0.0, seed=0):
    """Values uniform in [-1, 1] as (n, length, 1); target their sum (+ noise) as (n, 1)."""
    check_params("sum", n, noise)
    check_int("sum", "length", length, 1)
    rng = np.random.default_rng(seed)
    values = rng.uniform(-1.0, 1.0, (n, length, 1))
    target = values.sum(1) + rng.normal(0.0, 1.0, (n, 1)) * noise
    return Dataset(values.astype(np.float32), target.astype(np.float32), "regression",
                   name="sum")


def recall_first(n=500, length=8, vocab=8, seed=0):
    """Token sequences (n, length) int64 in [0, vocab), for an Embedding; the class is the first
    token, which the network must carry to the end of the sequence."""
    check_params("recall_first", n)
    check_int("recall_first", "length", length, 2)
    check_int("recall_first", "vocab", vocab, 2)
    rng = np.random.default_rng(seed)
    first = rng.permutation(np.arange(n) % vocab)
    tokens = rng.integers(0, vocab, (n, length))
    tokens[:, 0] = first
    return Dataset(tokens, first, "classification", num_classes=vocab, name="recall_first")
