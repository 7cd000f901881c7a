"""Negative log-likelihood over log-probabilities (F.nll_loss, nn.NLLLoss), composed from
indexing and products, with PyTorch's weight, ignore_index and reductions."""
import numpy as np

from ..tensor import Tensor
from .module import Module


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """input (N, C) or (N, C, d1, ...) log-probabilities; target (N,) or (N, d1, ...)
    class indices. "mean" divides by the summed weights of the targets not ignored."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"nll_loss: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    target = target if isinstance(target, Tensor) else Tensor(target)
    t = target.numpy()
    if input.ndim < 1 or t.shape != input.shape[:1] + input.shape[2:]:
        raise ValueError(f"nll_loss: input {input.shape} (N, C, ...) does not fit target "
                         f"{target.shape} (N, ...)")
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    if input.ndim > 2:  # classes last, then one row per element
        input = input.permute(0, *range(2, input.ndim), 1).reshape(-1, classes)
    t = t.reshape(-1) if input.ndim == 2 else t.reshape(1)
    rows = input if input.ndim == 2 else input.reshape(1, -1)
    valid = t != ignore_index
    bad = t[valid & ((t < 0) | (t >= classes))]
    if bad.size:
        raise IndexError(f"nll_loss: target {int(bad[0])} is out of range for {classes} classes")
    safe = np.where(valid, t, 0)
    w = np.ones(classes, rows.dtype) if weight is None else np.asarray(weight.numpy(), rows.dtype)
    w = w[safe] * valid
    picked = rows[np.arange(len(safe)), safe]
    loss = -picked * Tensor(w.astype(rows.dtype), device=rows.device)
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / float(w.sum())
    return loss.reshape(target.shape)


class NLLLoss(Module):
    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__()
        self.weight, self.ignore_index, self.reduction = weight, ignore_index, reduction

    def forward(self, input, target):
        return nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """log_softmax over dim 1 + nll_loss, with PyTorch's weight, ignore_index and
    label_smoothing; without them (the usual case) the fused, stable op runs."""
    from ..ops.losses import cross_entropy as fused
    target = target if isinstance(target, Tensor) else Tensor(target, device=input.device)
    plain = weight is None and not label_smoothing and (
        target.array.dtype.kind == "f" or type(target.array) is not np.ndarray
        or not (target.array == ignore_index).any())
    if plain:
        return fused(input, target, reduction)
    if target.array.dtype.kind == "f":
        raise NotImplementedError("cross_entropy: weight and label_smoothing with class "
                                  "probabilities as targets are not supported")
    logp = input.log_softmax(1)
    loss = nll_loss(logp, target, weight, ignore_index, reduction)
    if not label_smoothing:
        return loss
    return (1 - label_smoothing) * loss + label_smoothing * _smooth(
        logp, target.numpy(), weight, ignore_index, reduction)


def _smooth(logp, t, weight, ignore_index, reduction):
    """PyTorch's label-smoothing term: -sum_c w_c log p_c / C per element."""
    classes = logp.shape[1]
    valid = t != ignore_index
    w = np.ones(classes) if weight is None else weight.numpy().astype(np.float64)
    shape = (1, classes) + (1,) * (logp.ndim - 2)
    per = -(logp * Tensor(w.reshape(shape).astype(logp.array.dtype))).sum(1) / classes
    per = per * Tensor(valid.astype(logp.array.dtype))
    if reduction == "none":
        return per
    if reduction == "sum":
        return per.sum()
    return per.sum() / float(w[np.where(valid, t, 0)][valid].sum())
