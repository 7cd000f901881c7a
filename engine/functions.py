"""torch.* functions that are methods of Tensor or thin compositions of engine ops:
maths, reductions, shape helpers and factories (zeros_like, full, eye, linspace, ...)."""
import numpy as np

from .ops import elementwise as _ew, reduce as _rd
from .tensor import Tensor, _factory, _shape


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


# ---- maths and reductions (torch.f(x, ...) is x.f(...)) -----------------------------------
def exp(x): return _t(x).exp()
def log(x): return _t(x).log()
def log10(x): return _t(x).log10()
def sqrt(x): return _t(x).sqrt()
def abs(x): return _t(x).abs()  # noqa: A001
def tanh(x): return _t(x).tanh()
def sigmoid(x): return _t(x).sigmoid()
def relu(x): return _t(x).relu()
def pow(x, exponent): return _t(x) ** exponent  # noqa: A001
def clamp(x, min=None, max=None): return _t(x).clamp(min, max)  # noqa: A002
def sum(x, dim=None, keepdim=False): return _t(x).sum(dim, keepdim)  # noqa: A001
def mean(x, dim=None, keepdim=False): return _t(x).mean(dim, keepdim)
def max(x, dim=None, keepdim=False):  # noqa: A001
    """torch.max(x), torch.max(x, dim) -> (values, indices), or torch.max(a, b) elementwise."""
    if isinstance(dim, Tensor):
        return maximum(x, dim)
    return _t(x).max(dim, keepdim)


def min(x, dim=None, keepdim=False):  # noqa: A001
    if isinstance(dim, Tensor):
        return minimum(x, dim)
    return _t(x).min(dim, keepdim)


def maximum(a, b): return _ew.where(a >= b, a, b)
def minimum(a, b): return _ew.where(a <= b, a, b)
def argmax(x, dim=None, keepdim=False): return _t(x).argmax(dim, keepdim)
def argmin(x, dim=None, keepdim=False): return _t(x).argmin(dim, keepdim)
def std(x, dim=None, unbiased=True, keepdim=False): return _t(x).std(dim, unbiased, keepdim)
def var(x, dim=None, unbiased=True, keepdim=False): return _t(x).var(dim, unbiased, keepdim)
def topk(x, k, dim=-1, largest=True, sorted=True): return _t(x).topk(k, dim, largest, sorted)  # noqa: A002
def sort(x, dim=-1, descending=False): return _t(x).sort(dim, descending)
def softmax(x, dim): return _rd.Softmax.apply(x, dim=dim)
def log_softmax(x, dim): return _rd.LogSoftmax.apply(x, dim=dim)
def mm(a, b): return a.mm(b)
def numel(x): return x.numel()
def clone(x): return x.clone()
def eq(a, b): return a == b
def gather(x, dim, index): return x.gather(dim, index)
def masked_fill(x, mask, value): return x.masked_fill(mask, value)
def tril(x, diagonal=0): return x.tril(diagonal)
def triu(x, diagonal=0): return x.triu(diagonal)
def is_tensor(x): return isinstance(x, Tensor)
def allclose(a, b, rtol=1e-5, atol=1e-8): return a.allclose(b, rtol, atol)
def equal(a, b): return a.equal(b)


# ---- shapes ----------------------------------------------------------------------------------
def flatten(x, start_dim=0, end_dim=-1): return x.flatten(start_dim, end_dim)
def reshape(x, shape): return x.reshape(shape)
def transpose(x, dim0, dim1): return x.transpose(dim0, dim1)
def permute(x, dims): return x.permute(dims)
def squeeze(x, dim=None): return x.squeeze(dim)
def unsqueeze(x, dim): return x.unsqueeze(dim)
def t(x): return x.t()


# ---- factories -------------------------------------------------------------------------------
def from_numpy(array):
    """A tensor sharing the numpy array's memory (its dtype kept, float64 included)."""
    return Tensor._make(np.asarray(array), False, None)


def full(size, fill_value, dtype=None, device="cpu", requires_grad=False):
    if dtype is None:
        dtype = np.float32 if isinstance(fill_value, float) else (
            np.bool_ if isinstance(fill_value, bool) else np.int64)
    return _factory(np.full(_shape((size,)), fill_value, dtype), dtype, device, requires_grad)


def empty(*size, dtype=np.float32, device="cpu", requires_grad=False):
    return _factory(np.zeros(_shape(size), dtype), dtype, device, requires_grad)


def eye(n, m=None, dtype=np.float32, device="cpu", requires_grad=False):
    return _factory(np.eye(n, m, dtype=dtype), dtype, device, requires_grad)


def linspace(start, end, steps, dtype=np.float32, device="cpu", requires_grad=False):
    return _factory(np.linspace(start, end, steps).astype(dtype), dtype, device, requires_grad)


def _like(make, x, dtype, device, requires_grad):
    dtype = dtype or x.dtype
    return _factory(make(x.shape, dtype), dtype, device or x.device, requires_grad)


def zeros_like(x, dtype=None, device=None, requires_grad=False):
    return _like(np.zeros, x, dtype, device, requires_grad)


def ones_like(x, dtype=None, device=None, requires_grad=False):
    return _like(np.ones, x, dtype, device, requires_grad)


def empty_like(x, dtype=None, device=None, requires_grad=False):
    return _like(np.zeros, x, dtype, device, requires_grad)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False):
    return _like(lambda s, d: np.full(s, fill_value, d), x, dtype, device, requires_grad)


def inference_mode(mode=True):
    """As no_grad (the engine has no separate inference tensors)."""
    from .autograd import _GradMode
    return _GradMode(not mode)


class set_grad_enabled:  # noqa: N801 (PyTorch's name)
    """Turn grad mode on or off now; as a context manager, restore it on exit."""

    def __init__(self, mode):
        from .autograd import _state
        self.previous = _state.grad_enabled
        _state.grad_enabled = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        from .autograd import _state
        _state.grad_enabled = self.previous


where = _ew.where
