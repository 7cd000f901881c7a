"""Datasets and loaders: generated toy sets (2-D, 1-D regression, images, sequences), loaders
for IDX/CSV/NPZ files, a DataLoader of Tensor batches, and a registry for the app."""
from .dataset import DataError, Dataset, TensorDataset, infer_task
from .files import load_csv, load_idx, load_mnist, load_npz
from .images import digits, load_image_folder, shapes
from .loader import DataLoader
from .registry import DATASETS, REQUIRED, DatasetInfo, get_dataset
from .regression import sine
from .sequences import parity, recall_first, sequence_sum
from .toy2d import circles, gaussians, moons, spirals, xor

__all__ = [
    "DATASETS", "DataError", "DataLoader", "Dataset", "DatasetInfo", "REQUIRED",
    "TensorDataset", "circles", "digits", "gaussians", "get_dataset", "infer_task",
    "load_csv", "load_idx", "load_image_folder", "load_mnist", "load_npz", "moons", "parity",
    "recall_first", "sequence_sum", "shapes", "sine", "spirals", "xor",
]
