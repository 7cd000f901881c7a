"""torch.utils.data with PyTorch's defaults: map-style Datasets indexed one item at a time,
DataLoader(batch_size=1, shuffle=False) batching them with default_collate (tensors and
arrays stacked, numbers made tensors, tuples, lists and dicts collated field by field).
(engine.data holds the app's generated data sets and their loader.)"""
import numbers

import numpy as np

from ..ops.shape import stack
from ..tensor import Tensor, default_generator


class Dataset:
    """Subclass and define __getitem__(index) and __len__()."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")


class TensorDataset(Dataset):
    """Item i is (t[i] for each tensor); all tensors share their first dimension."""

    def __init__(self, *tensors):
        if any(len(t) != len(tensors[0]) for t in tensors):
            raise ValueError("Size mismatch between tensors: "
                             f"{[tuple(t.shape) for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return len(self.tensors[0])


class Subset(Dataset):
    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=None):
    """Subsets of the given lengths (or fractions summing to 1), in a random order."""
    n = len(dataset)
    if all(0 <= f <= 1 for f in lengths) and abs(sum(lengths) - 1) < 1e-9 and sum(lengths) != n:
        counts = [int(np.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    rng = default_generator() if generator is None else getattr(generator, "rng", generator)
    order = rng.permutation(n).tolist()
    cuts = np.cumsum([0] + list(lengths))
    return [Subset(dataset, order[a:b]) for a, b in zip(cuts[:-1], cuts[1:])]


def default_collate(batch):
    """PyTorch's rule: stack tensors and arrays, make numbers tensors (ints int64, floats
    float64, as PyTorch), keep strings as lists, collate tuples, lists and dicts by field."""
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(batch)
    if isinstance(first, np.ndarray):
        return Tensor(np.stack(batch))
    if isinstance(first, (bool, np.bool_)):
        return Tensor(np.asarray(batch, np.bool_))
    if isinstance(first, numbers.Integral):
        return Tensor(np.asarray(batch, np.int64))
    if isinstance(first, numbers.Real):
        return Tensor(np.asarray(batch, np.float64))
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, dict):
        return {k: default_collate([b[k] for b in batch]) for k in first}
    if isinstance(first, (tuple, list)):
        if any(len(b) != len(first) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(list(f)) for f in zip(*batch)]
        return tuple(fields) if isinstance(first, tuple) else fields
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                    f"dicts or lists; found {type(first).__name__}")


class DataLoader:
    """Batches of a map-style dataset, PyTorch's defaults (batch_size=1, shuffle=False).
    batch_size=None yields the items unbatched. Shuffling draws a new order each epoch
    from `generator` (a Generator) or the engine's generator (`manual_seed`)."""

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
                 generator=None, **_ignored):
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.collate_fn, self.drop_last, self.generator = collate_fn, drop_last, generator
        self.num_workers = num_workers  # loading runs in this thread whatever it says

    def _order(self):
        if self.sampler is not None:
            return list(self.sampler)
        n = len(self.dataset)
        if not self.shuffle:
            return range(n)
        rng = default_generator() if self.generator is None else getattr(
            self.generator, "rng", self.generator)
        return rng.permutation(n).tolist()

    def _batches(self):
        if self.batch_sampler is not None:
            yield from self.batch_sampler
            return
        order, size = self._order(), self.batch_size
        for start in range(0, len(order), size):
            batch = list(order[start:start + size])
            if len(batch) == size or not self.drop_last:
                yield batch

    def __iter__(self):
        if self.batch_size is None and self.batch_sampler is None:
            for i in self._order():
                yield self.dataset[i]
            return
        fast = self.collate_fn is None and type(self.dataset) is TensorDataset
        collate = self.collate_fn or default_collate
        for batch in self._batches():
            if fast:  # one gather per tensor instead of one op per item
                index = np.asarray(batch)
                yield tuple(Tensor._make(t.array[index], False, None)
                            for t in self.dataset.tensors)
            else:
                yield collate([self.dataset[i] for i in batch])

    def __len__(self):
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
