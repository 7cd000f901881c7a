"""Stepgraph's engine: a define-by-run autograd engine on numpy (CPU) and CuPy (GPU) with a
PyTorch-like API. Usable on its own; knows nothing of Qt or of the app."""
from .allocator import keep_freed_memory as _keep_freed_memory
from .autograd import (Function, Observer, ShapeError, current_scope, enable_grad,
                       is_grad_enabled, no_grad, observe, scope)
from .backend import DeviceError, cuda_available, get_array_module
from .tensor import (Tensor, arange, manual_seed, ones, rand, randn, tensor, zeros)
from .ops.elementwise import where
from .ops.matmul import matmul
from .ops.shape import cat, stack
# ---- PyTorch's surface: `import engine as torch` ------------------------------------------
from .autograd import grad as _grad  # noqa: F401 (engine.autograd.grad is torch.autograd.grad)
from .devices import device
from .dtypes import (bool, double, float, float16, float32, float64, get_default_dtype,  # noqa: A004
                     half, int, int8, int16, int32, int64, is_floating_point, long, short,
                     uint8)
from .functions import (abs, allclose, argmax, argmin, clamp, clone, empty, empty_like,  # noqa: A004
                        eq, equal, exp, eye, inference_mode, flatten, from_numpy, full, full_like, gather,
                        is_tensor, linspace, log, log10, log_softmax, masked_fill, max, maximum,
                        mean, min, minimum, mm, numel, ones_like, permute, pow, relu, reshape,
                        set_grad_enabled, sigmoid, softmax, sort, sqrt, squeeze, std, sum, t,
                        tanh, topk, transpose, tril, triu, unsqueeze, var, zeros_like)
from .random import (Generator, multinomial, normal, rand_like, randint, randn_like,
                     randperm, seed)
from .serialization import load, save
from . import autograd, cuda, nn, optim, utils  # noqa: E402

_keep_freed_memory()

__all__ = [
    "Function", "Observer", "ShapeError", "DeviceError", "Tensor", "arange", "cat",
    "cuda_available", "current_scope", "enable_grad", "get_array_module", "is_grad_enabled",
    "manual_seed", "matmul", "no_grad", "observe", "ones", "rand", "randn", "scope", "stack",
    "tensor", "where", "zeros",
]
