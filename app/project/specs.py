"""Plain-data specs of a project: the network (ordered layer rows), the dataset, the training
configuration and the breakpoints. No Qt and no engine objects in here; app/project/build.py turns
them into engine modules, app/project/files.py into JSON.

Layer rows never carry input sizes (in_features, in_channels, input_size, ...): those are
inferred from the previous row's output shape (app/project/shapes.py), as Keras does.
"""
import math
from dataclasses import dataclass, field
from typing import Optional

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ParamDef:
    """One user-editable parameter of a layer type: its kind, default and allowed range."""

    name: str
    kind: str  # "int", "float", "bool" or "choice"
    default: object
    minimum: Optional[float] = None  # inclusive
    maximum: Optional[float] = None  # inclusive
    choices: tuple = ()
    optional: bool = False  # None is allowed (e.g. MaxPool2d's stride defaults to kernel_size)
    doc: str = ""

    def check(self, value):
        """None when `value` is allowed, else what is wrong with it."""
        if value is None and self.optional:
            return None
        if self.kind == "choice":
            return None if value in self.choices else \
                f"{self.name} must be one of {', '.join(map(repr, self.choices))}, got {value!r}"
        if self.kind == "bool":
            return None if isinstance(value, bool) else f"{self.name} must be true or false, got {value!r}"
        return check_number(self.name, value, self.kind == "int", self.minimum, self.maximum)


def check_number(name, value, integer, minimum=None, maximum=None):
    """None when `value` is a (finite) number of the right kind within [minimum, maximum]."""
    kind = "an integer" if integer else "a number"
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not is_number or (integer and not isinstance(value, int)) or \
            (isinstance(value, float) and not math.isfinite(value)):
        return f"{name} must be {kind}, got {value!r}"
    too_low = minimum is not None and value < minimum
    if integer and minimum == 1 and too_low:
        return f"{name} must be a positive integer, got {value!r}"
    if too_low or (maximum is not None and value > maximum):
        if minimum is not None and maximum is not None:
            bounds = f"between {minimum:g} and {maximum:g}"
        else:
            bounds = f">= {minimum:g}" if minimum is not None else f"<= {maximum:g}"
        return f"{name} must be {bounds}, got {value!r}"
    return None


def _size(name, default, doc, maximum=4096):
    return ParamDef(name, "int", default, 1, maximum, doc=doc)


LAYER_TYPES = {
    "Linear": (_size("out_features", 16, "output width"),
               ParamDef("bias", "bool", True, doc="learn an additive bias")),
    "Conv2d": (_size("out_channels", 8, "number of filters", 1024),
               _size("kernel_size", 3, "filter height and width", 32),
               _size("stride", 1, "step between filter positions", 32),
               ParamDef("padding", "int", 0, 0, 32, doc="zeros added on each side")),
    "MaxPool2d": (_size("kernel_size", 2, "window height and width", 32),
                  ParamDef("stride", "int", None, 1, 32, optional=True,
                           doc="step between windows (default: kernel_size)")),
    "Flatten": (),
    "LSTM": (_size("hidden_size", 16, "size of the hidden state"),
             ParamDef("return", "choice", "last", choices=("last", "sequence"),
                      doc="output the last step only, or every step")),
    "Embedding": (_size("num_embeddings", 16, "vocabulary size (token ids 0..n-1)", 100000),
                  _size("embedding_dim", 8, "vector size per token")),
    "Dropout": (ParamDef("p", "float", 0.5, 0.0, 0.99, doc="probability of zeroing a unit"),),
    "BatchNorm1d": (),
    "BatchNorm2d": (),
    "LayerNorm": (),
    "ReLU": (),
    "Sigmoid": (),
    "Tanh": (),
    "GELU": (),
    "Softmax": (ParamDef("dim", "int", -1, -8, 8, doc="axis that sums to 1 (0 is the batch)"),),
}

LOSSES = ("CrossEntropyLoss", "MSELoss", "BCELoss", "BCEWithLogitsLoss")
OPTIMIZERS = ("SGD", "Adam", "AdamW")
DEVICES = ("cpu", "cuda")
MODES = ("dynamic", "static")
PHASES = ("forward", "backward", "both")


@dataclass
class LayerSpec:
    """One row of the network: a layer type and the parameters the user set (others take
    their defaults)."""

    type: str
    params: dict = field(default_factory=dict)

    def param_errors(self):
        """[(parameter, message)] for unknown parameters and bad values (the type must be
        known)."""
        defs = {p.name: p for p in LAYER_TYPES[self.type]}
        errors = []
        for name, value in self.params.items():
            if name not in defs:
                expected = ", ".join(defs) or "none"
                errors.append((name, f"unknown parameter {name!r} (expected: {expected})"))
            elif defs[name].check(value):
                errors.append((name, defs[name].check(value)))
        return errors

    def resolved_params(self):
        """Every parameter of this layer type: the row's values over the defaults."""
        defaults = {p.name: p.default for p in LAYER_TYPES.get(self.type, ())}
        return {**defaults, **self.params}


@dataclass
class NetworkSpec:
    layers: list = field(default_factory=list)  # of LayerSpec, in forward order
    # Python source defining the model (app/project/script_model.py); when non-empty the network is
    # the script's model and `layers` is ignored. It runs on Run/Step only, never on load.
    script: str = ""


@dataclass
class DatasetSpec:
    name: str = "spirals"
    params: dict = field(default_factory=dict)  # the dataset builder's keyword arguments
    test_fraction: float = 0.2


@dataclass
class TrainConfig:
    loss: str = "CrossEntropyLoss"
    optimizer: str = "SGD"
    lr: float = 0.03
    momentum: float = 0.0  # SGD only
    betas: tuple = (0.9, 0.999)  # Adam and AdamW only
    weight_decay: float = 0.0
    batch_size: int = 32
    seed: int = 0  # initial weights, train/test split and shuffling
    device: str = "cpu"
    mode: str = "dynamic"


@dataclass
class BreakpointSpec:
    """Where to pause and on what condition.

    `target` is "" (anywhere), a layer scope ("3", as the model's named_modules() names it,
    or "loss") or a node key "<scope>/<op>#<k>" (the k-th `op` run in that scope in one
    forward). The conditions are alternatives: any one that holds pauses (grad_norm_above and
    dead_relu_above look at the target only). With no condition set, the breakpoint pauses
    every time the target runs in `phase`.
    """

    target: str = ""
    phase: str = "both"
    enabled: bool = True
    non_finite: bool = False
    grad_norm_above: Optional[float] = None
    dead_relu_above: Optional[float] = None  # fraction of ReLU units that are zero, in [0, 1]
    loss_up: Optional[int] = None  # loss higher than each of the last k iterations
    iteration: Optional[int] = None


@dataclass
class Project:
    name: str = "untitled"
    description: str = ""
    network: NetworkSpec = field(default_factory=NetworkSpec)
    dataset: DatasetSpec = field(default_factory=DatasetSpec)
    train: TrainConfig = field(default_factory=TrainConfig)
    breakpoints: list = field(default_factory=list)  # of BreakpointSpec
    schema: int = SCHEMA_VERSION
