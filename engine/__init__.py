"""Stepgraph's engine: a define-by-run autograd engine on numpy (CPU) and CuPy (GPU) with a
PyTorch-like API. Usable on its own; knows nothing of Qt or of the app."""
from .autograd import (Function, Observer, ShapeError, current_scope, enable_grad,
                       is_grad_enabled, no_grad, observe, scope)
from .backend import DeviceError, cuda_available, get_array_module
from .tensor import (Tensor, arange, manual_seed, ones, rand, randn, tensor, zeros)
from .ops.elementwise import where
from .ops.matmul import matmul
from .ops.shape import cat, stack

__all__ = [
    "Function", "Observer", "ShapeError", "DeviceError", "Tensor", "arange", "cat",
    "cuda_available", "current_scope", "enable_grad", "get_array_module", "is_grad_enabled",
    "manual_seed", "matmul", "no_grad", "observe", "ones", "rand", "randn", "scope", "stack",
    "tensor", "where", "zeros",
]
