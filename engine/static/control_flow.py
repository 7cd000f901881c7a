"""static.cond: both branches are in the graph and a select picks per example (a predicate
of shape (N,)) or for the whole batch (a scalar predicate); gradients flow to both branches
through the select. Works eagerly too."""
from ..ops.elementwise import where
from ..tensor import Tensor


def cond(pred, true_fn, false_fn):
    """true_fn() where `pred` holds, false_fn() elsewhere (tensors or tuples of tensors)."""
    if not isinstance(pred, Tensor):
        raise TypeError(f"static.cond: pred must be a boolean tensor, not {type(pred).__name__}; "
                        "for a Python bool use a plain if")
    if pred.dtype.kind != "b":
        pred = pred != 0
    a, b = true_fn(), false_fn()
    if isinstance(a, (tuple, list)):
        if not isinstance(b, (tuple, list)) or len(a) != len(b):
            raise ValueError("static.cond: both branches must return the same number of tensors")
        return type(a)(_select(pred, x, y) for x, y in zip(a, b))
    return _select(pred, a, b)


def _select(pred, a, b):
    ndim = max(a.ndim if isinstance(a, Tensor) else 0, b.ndim if isinstance(b, Tensor) else 0)
    if 0 < pred.ndim < ndim:
        pred = pred.reshape(*pred.shape, *([1] * (ndim - pred.ndim)))
    return where(pred, a, b)
