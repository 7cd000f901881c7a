"""F.one_hot: class indices to one-hot rows (int64, as PyTorch)."""
import numpy as np

from ..tensor import Tensor


def one_hot(tensor, num_classes=-1):
    """(...,) integer indices -> (..., num_classes) int64 with a single 1 per row;
    num_classes=-1 takes the largest index + 1."""
    indices = tensor.numpy()
    if indices.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor.")
    if num_classes == -1:
        num_classes = int(indices.max()) + 1 if indices.size else 0
    if indices.size and (indices.min() < 0 or indices.max() >= num_classes):
        raise RuntimeError(f"one_hot: class values must be in [0, {num_classes}), got "
                           f"{int(indices.min())}..{int(indices.max())}")
    out = np.zeros(indices.shape + (num_classes,), np.int64)
    np.put_along_axis(out, indices[..., None].astype(np.int64), 1, axis=-1)
    return Tensor(out, device=tensor.device)
