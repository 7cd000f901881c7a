"""The dataset a DatasetSpec names: its parameters, the generated data (cached, as every
dataset is small and generated) and what shape inference needs to know about it."""
import functools
from dataclasses import dataclass
from typing import Optional

from engine.data import DATASETS, get_dataset


@dataclass(frozen=True)
class DataInfo:
    name: str
    input_shape: tuple  # one sample's features
    integer_input: bool  # token ids (int64) rather than floats
    vocab_size: Optional[int]  # 1 + the largest token id, for integer inputs
    task: str  # "classification", "regression" or "binary"
    num_classes: Optional[int]
    target_shape: tuple  # one sample's target: () for class labels
    size: int


def dataset_defaults(name):
    """{parameter: default} of the registered dataset `name` (REQUIRED where there is none)."""
    return dict(DATASETS[name].params)


def load_dataset(spec):
    """The full dataset for `spec` (shared: callers must not modify its arrays)."""
    return _generate(spec.name, tuple(sorted(spec.params.items())))


@functools.lru_cache(maxsize=16)
def _generate(name, params):
    return get_dataset(name, **dict(params))


def describe(dataset):
    integer = dataset.X.dtype.kind in "iu"
    return DataInfo(
        name=dataset.name, input_shape=tuple(dataset.input_shape), integer_input=integer,
        vocab_size=int(dataset.X.max()) + 1 if integer and len(dataset) else None,
        task=dataset.task, num_classes=dataset.num_classes,
        target_shape=tuple(dataset.y.shape[1:]), size=len(dataset))
