"""torch.nn.functional's names over the engine's ops."""
from ..ops.conv import conv2d, max_pool2d
from ..ops.elementwise import dropout, gelu, relu, sigmoid, tanh
from ..ops.losses import (binary_cross_entropy, binary_cross_entropy_with_logits,
                          cross_entropy, mse_loss)
from ..ops.matmul import linear
from ..ops.reduce import log_softmax, softmax
from ..ops.shape import embedding

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "conv2d",
           "cross_entropy", "dropout", "embedding", "gelu", "linear", "log_softmax",
           "max_pool2d", "mse_loss", "relu", "sigmoid", "softmax", "tanh"]
