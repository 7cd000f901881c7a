"""Loss modules (PyTorch's names), each with reduction "mean", "sum" or "none"."""
from ..ops import losses
from .module import Module


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean', 'sum' or "
                             f"'none', got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """Logits (N, classes) and integer class targets (N,) (or class probabilities), with
    PyTorch's weight, ignore_index and label_smoothing."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, logits, target):
        from .nll import cross_entropy
        return cross_entropy(logits, target, self.weight, self.ignore_index, self.reduction,
                             self.label_smoothing)


class MSELoss(_Loss):
    def forward(self, input, target):
        return losses.mse_loss(input, target, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities in [0, 1]."""

    def forward(self, input, target):
        return losses.binary_cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits (a stable sigmoid + BCE)."""

    def forward(self, input, target):
        return losses.binary_cross_entropy_with_logits(input, target, self.reduction)
