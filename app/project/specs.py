"""Plain-data specs of a project: the network (ordered layer rows), the dataset, the training
configuration and the breakpoints. No Qt and no engine objects in here; app/project/build.py turns
them into engine modules, app/project/files.py into JSON. Layer types and their parameters are
declared in app/project/layers/.

Layer rows never carry input sizes (in_features, in_channels, input_size, ...): those are
inferred from the previous row's output shape (app/project/shapes.py), as Keras does.
"""
from dataclasses import dataclass, field
from typing import Optional

from app.project.layers import LAYERS, ParamDef, check_number  # noqa: F401 (public names)

SCHEMA_VERSION = 1

# layer type -> its ParamDefs, read from the declarations (app/project/layers/catalog.py)
LAYER_TYPES = {name: declaration.params for name, declaration in LAYERS.items()}

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
        defs = {p.name: p for p in LAYERS[self.type].params}
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
        declaration = LAYERS.get(self.type)
        return {**(declaration.defaults() if declaration else {}), **self.params}


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
    every time the target runs in `phase`. It stops only once its condition held more than
    `ignore_count` times (an IDE's ignore count; older files without it load with 0).
    """

    target: str = ""
    phase: str = "both"
    enabled: bool = True
    non_finite: bool = False
    grad_norm_above: Optional[float] = None
    dead_relu_above: Optional[float] = None  # fraction of ReLU units that are zero, in [0, 1]
    loss_up: Optional[int] = None  # loss higher than each of the last k iterations
    iteration: Optional[int] = None
    ignore_count: int = 0


def default_breakpoints():
    """A new project's breakpoints: break on non-finite values, as an IDE breaks on uncaught
    exceptions."""
    return [BreakpointSpec(non_finite=True)]


@dataclass
class Project:
    name: str = "untitled"
    description: str = ""
    network: NetworkSpec = field(default_factory=NetworkSpec)
    dataset: DatasetSpec = field(default_factory=DatasetSpec)
    train: TrainConfig = field(default_factory=TrainConfig)
    breakpoints: list = field(default_factory=default_breakpoints)  # of BreakpointSpec
    schema: int = SCHEMA_VERSION
