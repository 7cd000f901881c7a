"""torch.nn.functional's names over the engine's ops."""
import sys

from ..ops import op_classes
from ..ops.conv import avg_pool2d, conv2d, max_pool2d
from ..ops.elementwise import dropout, gelu, relu, sigmoid, tanh
from ..ops.losses import binary_cross_entropy, binary_cross_entropy_with_logits, mse_loss
from ..ops.matmul import linear
from ..ops.reduce import log_softmax, softmax
from ..ops.shape import embedding
from .encoding import one_hot
from .nll import cross_entropy, nll_loss

__all__ = ["avg_pool2d", "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv2d",
           "cross_entropy", "dropout", "embedding", "gelu", "linear", "log_softmax",
           "max_pool2d", "mse_loss", "nll_loss", "one_hot", "relu", "sigmoid", "softmax", "tanh"]

# the wrapper of every op that declares a layer (Function.module), under the op's name
_DECLARED = {op.op: getattr(sys.modules[op.__module__], op.op)
             for op in op_classes() if op.module is not None}
globals().update(_DECLARED)
__all__ += sorted(set(_DECLARED) - set(__all__))
