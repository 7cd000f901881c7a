"""The dataset a DatasetSpec names: its parameters, the generated data (cached, as every
dataset is small and generated) and what shape inference needs to know about it."""
import csv
import functools
import os
from dataclasses import dataclass
from typing import Optional

import numpy as np

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
    """{parameter: default} of the registered dataset `name` (REQUIRED where there is none);
    {} for a name that is not registered."""
    return dict(DATASETS[name].params) if name in DATASETS else {}


def generated_datasets():
    """{name: description} of the datasets generated in memory (those read from a file need
    a path and are chosen another way)."""
    return {name: info.description for name, info in DATASETS.items() if info.kind != "file"}


def load_dataset(spec):
    """The full dataset for `spec` (shared: callers must not modify its arrays); one read
    from files is read again when a file changed (its size or modification time)."""
    return _generate(spec.name, tuple(sorted(spec.params.items())), _file_stamps(spec.params))


def _file_stamps(params):
    """(parameter, size, mtime) of each file a dataset's parameters name ("path",
    "images_path", ...): part of the cache key."""
    stamps = []
    for key, value in sorted(params.items()):
        if key.endswith("path") and isinstance(value, str):
            try:
                info = os.stat(value)
                stamps.append((key, info.st_size, info.st_mtime_ns))
            except (OSError, ValueError):
                stamps.append((key, None, None))
    return tuple(stamps)


@functools.lru_cache(maxsize=16)
def _generate(name, params, file_stamps):
    return get_dataset(name, **dict(params))


def describe(dataset):
    integer = dataset.X.dtype.kind in "iu"
    return DataInfo(
        name=dataset.name, input_shape=tuple(dataset.input_shape), integer_input=integer,
        vocab_size=int(dataset.X.max()) + 1 if integer and len(dataset) else None,
        task=dataset.task, num_classes=dataset.num_classes,
        target_shape=tuple(dataset.y.shape[1:]), size=len(dataset))


@dataclass(frozen=True)
class DataPreview:
    """What a data file holds, for the Open data dialog."""
    info: DataInfo
    class_counts: tuple  # (class name, samples) per class; () unless classification
    samples: object  # features of the first few samples (numpy)
    targets: object  # and their targets


def preview(spec, count=6):
    """The DataPreview of the dataset `spec` names (a file's: read with the loaders'
    bounds); DataError (a ValueError) or OSError when it cannot be read."""
    data = load_dataset(spec)
    counts = ()
    if data.task == "classification":
        numbers = np.bincount(data.y, minlength=data.num_classes).tolist()
        names = data.class_names or [str(i) for i in range(data.num_classes)]
        counts = tuple(zip((str(n) for n in names), numbers))
    return DataPreview(describe(data), counts, data.X[:count], data.y[:count])


def csv_columns(path, delimiter=","):
    """The names in the first row of a CSV file (or "column 1", ... when it holds numbers
    only), read from its first 64 KiB; [] when it cannot be read."""
    try:
        with open(path, encoding="utf-8", newline="") as file:
            first = file.read(1 << 16).splitlines()[:1]
    except (OSError, UnicodeDecodeError):
        return []
    cells = next(csv.reader(first, delimiter=delimiter), []) if first else []
    numeric = all(_is_number(cell) for cell in cells)
    return [f"column {i + 1}" if numeric else cell.strip() for i, cell in enumerate(cells)]


def _is_number(cell):
    try:
        float(cell)
    except ValueError:
        return False
    return True
