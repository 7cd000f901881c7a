"""Neural-network layers and losses with PyTorch's constructor signatures and names."""
from . import functional, init, utils
from .activation import DECLARED as _DECLARED, GELU, ReLU, Sigmoid, Softmax, Tanh
from .conv import AvgPool2d, Conv2d, MaxPool2d
from .dropout import Dropout
from .linear import Flatten, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from .containers import ModuleDict, ParameterDict, ParameterList
from .layers_extra import Dropout2d, Identity, LogSoftmax
from .module import Module, ModuleList, Parameter, Sequential
from .nll import NLLLoss
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .sparse import Embedding

__all__ = [
    "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "Conv2d",
    "CrossEntropyLoss", "Dropout", "Embedding", "Flatten", "GELU", "GRU", "GRUCell", "LSTM",
    "LSTMCell", "LayerNorm", "Linear", "MSELoss", "MaxPool2d", "Module", "ModuleList",
    "Parameter", "RNN", "RNNCell", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
    "functional", "init",
    "Dropout2d", "Identity", "LogSoftmax", "ModuleDict", "NLLLoss", "ParameterDict",
    "ParameterList", "utils",
]

globals().update(_DECLARED)  # every layer an op declares (Function.module), LeakyReLU-like
__all__ += sorted(set(_DECLARED) - set(__all__))
