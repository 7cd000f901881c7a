"""Dataset registry: what the app lists in its dataset menu, with parameters and defaults."""
import inspect
from dataclasses import dataclass
from typing import Callable

from . import files, images, regression, sequences, toy2d
from .dataset import DataError

REQUIRED = inspect.Parameter.empty


@dataclass(frozen=True)
class DatasetInfo:
    """One registered dataset: `params` maps each parameter to its default (REQUIRED if none)."""
    name: str
    builder: Callable
    task: str
    kind: str          # "2d", "1d", "image", "sequence" or "file"
    description: str
    params: dict

    def build(self, **params):
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            raise DataError(f"dataset {self.name!r} has no parameter {', '.join(unknown)}; "
                            f"its parameters: {list(self.params)}")
        missing = [p for p, default in self.params.items()
                   if default is REQUIRED and p not in params]
        if missing:
            raise DataError(f"dataset {self.name!r} needs {', '.join(missing)}")
        return self.builder(**params)


def _info(name, builder, task, kind):
    params = {p.name: p.default for p in inspect.signature(builder).parameters.values()}
    summary = (inspect.getdoc(builder) or "").split("\n\n")[0].replace("\n", " ")
    return DatasetInfo(name, builder, task, kind, summary, params)


DATASETS = {info.name: info for info in (
    _info("xor", toy2d.xor, "classification", "2d"),
    _info("circles", toy2d.circles, "classification", "2d"),
    _info("spirals", toy2d.spirals, "classification", "2d"),
    _info("gaussians", toy2d.gaussians, "classification", "2d"),
    _info("moons", toy2d.moons, "classification", "2d"),
    _info("sine", regression.sine, "regression", "1d"),
    _info("shapes", images.shapes, "classification", "image"),
    _info("digits", images.digits, "classification", "image"),
    _info("parity", sequences.parity, "classification", "sequence"),
    _info("sum", sequences.sequence_sum, "regression", "sequence"),
    _info("recall_first", sequences.recall_first, "classification", "sequence"),
    _info("mnist_idx", files.load_mnist, "classification", "file"),
    _info("csv", files.load_csv, "auto", "file"),
    _info("npz", files.load_npz, "auto", "file"),
    _info("image_folder", images.load_image_folder, "classification", "file"),
)}


def get_dataset(name, **params):
    """Builds the registered dataset `name` with the given parameters (others at defaults)."""
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; known: {sorted(DATASETS)}")
    return DATASETS[name].build(**params)
