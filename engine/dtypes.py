"""PyTorch's dtype names. The engine's dtypes are numpy's, so `x.dtype == torch.float32`
holds and `dtype=torch.long` is `numpy.int64`."""
import numpy as np

float32 = float = np.float32  # noqa: A001 (PyTorch's name)
float64 = double = np.float64
float16 = half = np.float16
int64 = long = np.int64
int32 = int = np.int32  # noqa: A001
int16 = short = np.int16
int8 = np.int8
uint8 = np.uint8
bool = np.bool_  # noqa: A001

_default = [np.float32]


def get_default_dtype():
    return _default[0]


def is_floating_point(tensor):
    return tensor.array.dtype.kind == "f"


__all__ = ["bool", "double", "float", "float16", "float32", "float64", "get_default_dtype",
           "half", "int", "int16", "int32", "int64", "int8", "is_floating_point", "long",
           "short", "uint8"]
