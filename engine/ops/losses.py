"""Fused, numerically stable losses, each with reduction "mean", "sum" or "none"."""
import math

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.sum() / loss.size  # what mean() computes, without its Python wrapper
    if reduction == "sum":
        return loss.sum()
    return loss


def _reduce_grad(gy, shape, reduction, dtype):
    """The gradient of the reduction, broadcast to the per-element loss's shape."""
    xp = get_array_module(gy)
    if reduction == "none":
        return gy
    n = 1
    for s in shape:
        n *= s
    scale = gy / n if reduction == "mean" else gy
    return xp.broadcast_to(scale, shape).astype(dtype, copy=False)


def _same_shapes(shapes, out):
    """Input and target have one shape: an unknown one is the other's."""
    known = shapes[0] if shapes[0] is not None else shapes[1]
    return [known if s is None else s for s in shapes]


class CrossEntropy(Function):
    """log_softmax over dim 1 + negative log-likelihood of integer class targets
    (or of class probabilities when the target is floating point)."""

    op = "cross_entropy"

    def forward(self, logits, target, reduction="mean"):
        xp = get_array_module(logits)
        logp = logits - logits.max(axis=1, keepdims=True)
        logp -= xp.log(xp.exp(logp).sum(axis=1, keepdims=True))
        if target.dtype.kind == "f":
            if target.shape != logits.shape:
                raise ValueError("shape")
            loss = -(target * logp).sum(axis=1)
        else:
            if target.shape != logits.shape[:1] + logits.shape[2:]:
                raise ValueError("shape")
            if target.size and (target.min() < 0 or target.max() >= logits.shape[1]):
                bad = int(target.min()) if target.min() < 0 else int(target.max())
                raise IndexError(f"target {bad} is out of range for {logits.shape[1]} classes "
                                 f"(logits {tuple(logits.shape)}, targets {tuple(target.shape)})")
            if logp.ndim == 2:  # plain indexing: take_along_axis costs ~10x more per call
                loss = -logp[xp.arange(target.shape[0]), target]
            else:
                loss = -xp.take_along_axis(logp, xp.expand_dims(target, 1), axis=1)[:, 0]
        self.saved = (logp, target, loss.shape)
        return _reduce(loss, reduction)

    def explain(self, shapes):
        return (f"logits {shapes[0]} (N, classes) do not fit targets {shapes[1]} "
                "(expected (N,) class indices or (N, classes) probabilities)")

    def backward(self, gy):
        logp, target, shape = self.saved
        xp = get_array_module(logp)
        reduction = self.attrs["reduction"]
        grad = xp.exp(logp)
        if target.dtype.kind == "f":
            grad = grad * target.sum(axis=1, keepdims=True) - target
        elif grad.ndim == 2:
            grad[xp.arange(target.shape[0]), target] -= 1
        else:
            onehot_rows = xp.expand_dims(target, 1)
            xp.put_along_axis(grad, onehot_rows,
                              xp.take_along_axis(grad, onehot_rows, axis=1) - 1, axis=1)
        inputs = getattr(self, "inputs", None)
        gt = None  # probability targets have a gradient too: -log p
        if target.dtype.kind == "f" and (inputs is None or inputs[1].requires_grad):
            gt = -logp
        if reduction == "none":
            scale = xp.expand_dims(gy, 1)
            return grad * scale, None if gt is None else gt * scale
        scale = gy / math.prod(shape) if reduction == "mean" else gy  # a scalar: no broadcast
        grad *= scale
        return grad, None if gt is None else gt * scale

    @staticmethod
    def narrate(c):
        red, r = c.reduction()
        return ("Cross-entropy loss",
                f"L = {red} −log softmax(z)[t]: logits z {c.i(0)}, targets t {c.i(1)} → {c.y}\n"
                f"The loss is small when the true class gets a high probability "
                f"(reduction: {r}).",
                f"dL/dz = (softmax(z) − onehot(t)){c.scale()} → {c.i(0)}\n"
                "dL/dt: none for class indices\n"
                "The wrong classes are pushed down by their probability, the right one pulled up.")

    @staticmethod
    def complete_shapes(shapes, out):
        shapes = list(shapes)
        if shapes[1] is None and shapes[0] is not None:  # class indices: (N, d1, ...)
            shapes[1] = (shapes[0][0],) + tuple(shapes[0][2:])
        return shapes


class MSE(Function):
    op = "mse_loss"
    complete_shapes = staticmethod(_same_shapes)

    def forward(self, a, b, reduction="mean"):
        diff = a - b
        self.saved = (diff,)
        return _reduce(diff * diff, reduction)

    def explain(self, shapes):
        return f"input {shapes[0]} and target {shapes[1]} must have the same shape"

    def backward(self, gy):
        (diff,) = self.saved
        g = 2 * diff * _reduce_grad(gy, diff.shape, self.attrs["reduction"], diff.dtype)
        return g, -g

    @staticmethod
    def narrate(c):
        red, r = c.reduction()
        return ("Mean squared error",
                f"L = {red} (a − b)²: input a {c.i(0)}, target b {c.i(1)} → {c.y}  (reduction: {r})",
                f"dL/da = 2(a − b){c.scale()} → {c.i(0)}\n"
                f"dL/db = −2(a − b){c.scale()} → {c.i(1)}\n"
                "Bigger errors pull harder: the gradient grows with the error.")


class BCE(Function):
    """Binary cross-entropy on probabilities; logs are clamped at -100 as PyTorch does."""

    op = "binary_cross_entropy"
    complete_shapes = staticmethod(_same_shapes)

    def forward(self, p, t, reduction="mean"):
        xp = get_array_module(p)
        if p.shape != t.shape:
            raise ValueError("shape")
        with np.errstate(divide="ignore"):  # log(0) = -inf is clamped to -100 below
            logp = xp.maximum(xp.log(p), -100)
            log1mp = xp.maximum(xp.log(1 - p), -100)
        self.saved = (p, t)
        return _reduce(-(t * logp + (1 - t) * log1mp), reduction)

    def explain(self, shapes):
        return f"input {shapes[0]} and target {shapes[1]} must have the same shape"

    def backward(self, gy):
        p, t = self.saved
        g = _reduce_grad(gy, p.shape, self.attrs["reduction"], p.dtype)
        eps = 1e-12
        gp = g * (p - t) / get_array_module(p).maximum((1 - p) * p, eps)
        return gp, None

    @staticmethod
    def narrate(c):
        red, r = c.reduction()
        return ("Binary cross-entropy",
                f"L = {red} −[t·log p + (1 − t)·log(1 − p)]: p {c.i(0)}, t {c.i(1)} → {c.y}  "
                f"(reduction: {r}; logs clamped at −100)",
                f"dL/dp = (p − t) / (p(1 − p)){c.scale()} → {c.i(0)}\n"
                "dL/dt: none (targets are data)")


class BCEWithLogits(Function):
    op = "binary_cross_entropy_with_logits"
    complete_shapes = staticmethod(_same_shapes)

    def forward(self, x, t, reduction="mean"):
        xp = get_array_module(x)
        if x.shape != t.shape:
            raise ValueError("shape")
        self.saved = (x, t)
        loss = xp.maximum(x, 0) - x * t + xp.log1p(xp.exp(-abs(x)))
        return _reduce(loss, reduction)

    def explain(self, shapes):
        return f"input {shapes[0]} and target {shapes[1]} must have the same shape"

    def backward(self, gy):
        x, t = self.saved
        xp = get_array_module(x)
        g = _reduce_grad(gy, x.shape, self.attrs["reduction"], x.dtype)
        sig = 0.5 * xp.tanh(0.5 * x) + 0.5
        inputs = getattr(self, "inputs", None)
        gt = -x * g if inputs is None or inputs[1].requires_grad else None
        return g * (sig - t), gt

    @staticmethod
    def narrate(c):
        red, r = c.reduction()
        return ("Binary cross-entropy on logits",
                f"L = {red} [max(x, 0) − x·t + log(1 + e^−|x|)] = BCE(σ(x), t): x {c.i(0)}, "
                f"t {c.i(1)} → {c.y}  (reduction: {r})\n"
                "Sigmoid and BCE in one stable formula.",
                f"dL/dx = (σ(x) − t){c.scale()} → {c.i(0)}\n"
                f"dL/dt = −x{c.scale()} → {c.i(1)}")


def _check(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _target(target, like):
    return target if isinstance(target, Tensor) else Tensor(target, device=like.device)


def cross_entropy(logits, target, reduction="mean"):
    _check(reduction)
    return CrossEntropy.apply(logits, _target(target, logits), reduction=reduction)


def mse_loss(input, target, reduction="mean"):
    _check(reduction)
    return MSE.apply(input, _target(target, input), reduction=reduction)


def binary_cross_entropy(input, target, reduction="mean"):
    _check(reduction)
    return BCE.apply(input, _target(target, input), reduction=reduction)


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    _check(reduction)
    return BCEWithLogits.apply(input, _target(target, input), reduction=reduction)
