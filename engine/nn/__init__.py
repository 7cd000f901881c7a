"""Neural-network layers and losses with PyTorch's constructor signatures and names."""
from . import functional, init
from .activation import GELU, ReLU, Sigmoid, Softmax, Tanh
from .conv import Conv2d, MaxPool2d
from .dropout import Dropout
from .linear import Flatten, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from .module import Module, ModuleList, Parameter, Sequential
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .recurrent import LSTM
from .sparse import Embedding

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "Conv2d", "CrossEntropyLoss",
    "Dropout", "Embedding", "Flatten", "GELU", "LSTM", "LayerNorm", "Linear", "MSELoss",
    "MaxPool2d", "Module", "ModuleList", "Parameter", "ReLU", "Sequential", "Sigmoid",
    "Softmax", "Tanh", "functional", "init",
]
