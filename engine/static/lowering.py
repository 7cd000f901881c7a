"""Lean versions of hot ops for compiled graphs: the same maths and the same numbers as
the engine's op (checked by the tests against the dynamic engine), with less per-call
Python. The executor runs the lowered class where there is one."""
import numpy as np

from ..ops.losses import CrossEntropy
from ..ops.matmul import Linear


class LeanLinear(Linear):
    """Linear whose weight and bias gradients can be written straight into arrays given in
    `grad_out` (the optimizer's packed gradient views), saving a copy each."""

    grad_out = (None, None, None)

    def backward(self, gy):
        x, w, has_bias = self.saved
        out = self.grad_out
        if x.ndim != 2 or type(gy) is not np.ndarray or (out[1] is None and out[2] is None):
            return super().backward(gy)
        gx = gy @ w if self.inputs[0].requires_grad else None
        gw = gy.T @ x if out[1] is None else np.matmul(gy.T, x, out=out[1])
        if has_bias:
            return gx, gw, np.add.reduce(gy, axis=0, out=out[2])
        return gx, gw


_UNSIGNED = {np.dtype(f"int{b}"): np.dtype(f"uint{b}") for b in (8, 16, 32, 64)}


class LeanCrossEntropy(CrossEntropy):
    """Integer targets over 2-D logits, mean reduction. Reductions are called on the ufuncs
    directly (ndarray methods add a Python layer each); over a few classes the row max
    runs column by column; the target range takes one unsigned max; the row index is
    kept from run to run."""

    _rows = np.arange(0)
    _COLUMNS = 4  # up to this many classes, take the row max column by column

    def _lean(self, logits, target):
        return (self.attrs.get("reduction", "mean") == "mean" and type(logits) is np.ndarray
                and logits.ndim == 2 and target.dtype.kind in "iu")

    def forward(self, logits, target, reduction="mean"):
        if not self._lean(logits, target):
            return super().forward(logits, target, reduction)
        n, classes = logits.shape
        if target.shape != (n,):
            raise ValueError("shape")
        # negative targets wrap to huge unsigned values, so one max checks both ends
        if n and np.maximum.reduce(target.view(_UNSIGNED.get(target.dtype, target.dtype))) >= classes:
            bad = target[(target < 0) | (target >= classes)][0]
            raise IndexError(f"target {int(bad)} is out of range for {classes} classes")
        logp = logits - self._row_max(logits)
        logp -= np.log(np.add.reduce(np.exp(logp), axis=1, keepdims=True))
        if self._rows.shape[0] != n:
            self._rows = np.arange(n)
        loss = -logp[self._rows, target]
        self.saved = (logp, target, loss.shape)
        return loss.dtype.type(np.add.reduce(loss) / n)  # what ndarray.mean computes

    def _row_max(self, a):
        """The max over dim 1, kept (column by column when there are few columns)."""
        if a.shape[1] > self._COLUMNS:
            return np.maximum.reduce(a, axis=1, keepdims=True)
        out = a[:, 0:1]
        for k in range(1, a.shape[1]):
            out = np.maximum(out, a[:, k:k + 1])
        return out

    def backward(self, gy):
        logp, target, shape = self.saved
        if not self._lean(logp, target):
            return super().backward(gy)
        grad = np.exp(logp)
        grad[self._rows, target] -= 1
        grad *= gy / shape[0]
        return grad, None


LOWERED = {CrossEntropy: LeanCrossEntropy, Linear: LeanLinear}
