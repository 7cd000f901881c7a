"""Neural-network layers and losses with PyTorch's constructor signatures and names."""
from . import functional, init
from .activation import GELU, ReLU, Sigmoid, Softmax, Tanh
from .linear import Flatten, Linear
from .module import Module, ModuleList, Parameter, Sequential
