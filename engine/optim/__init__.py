"""torch.optim: optimizers with PyTorch's update rules, param_groups and state_dict, and
`engine.optim.lr_scheduler`."""
from . import lr_scheduler
from .adaptive import Adadelta, Adagrad, RMSprop
from .optimizer import Optimizer
from .sgd_adam import SGD, Adam, AdamW

__all__ = ["Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD",
           "lr_scheduler"]
