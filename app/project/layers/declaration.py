"""The record that declares one layer type of the builder (`LayerType`), its parameters
(`ParamDef`) and the pieces its shape rule and ONNX export are written with.

Everything else about layer types is read from these records: validation and the editor read
the parameters, shape inference the shape rule, the builder the constructor call, the exports
the PyTorch call and the ONNX nodes, the palette the category and description, the decision
view the activation flag. app/project/layers/catalog.py holds the declarations.
"""
import math
from dataclasses import dataclass, field
from typing import Callable, Optional

from engine import nn


class FitError(ValueError):
    """A row does not fit the shape that reaches it."""


class ExportError(ValueError):
    """The project cannot be exported in the chosen format (names the layer and why)."""


@dataclass(frozen=True)
class ParamDef:
    """One user-editable parameter of a layer type: its kind, default and allowed range, and
    how it reaches the engine module (the constructor keyword `arg`, by default its name)."""

    name: str
    kind: str  # "int", "float", "bool" or "choice"
    default: object
    minimum: Optional[float] = None  # inclusive
    maximum: Optional[float] = None  # inclusive
    choices: tuple = ()
    optional: bool = False  # None is allowed (e.g. MaxPool2d's stride defaults to kernel_size)
    doc: str = ""
    arg: Optional[str] = None  # constructor keyword, when not `name`
    values: tuple = ()  # "choice" only: the argument passed for each choice (default: itself)

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

    def argument(self, value):
        """(constructor keyword, value passed) for the row's `value` of this parameter."""
        if self.values:
            value = self.values[self.choices.index(value)]
        return self.arg or self.name, value


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


@dataclass(frozen=True)
class InputInfo:
    """What reaches a row besides its shape: token ids (`integer`) and how many there are."""

    integer: bool = False
    vocab_size: Optional[int] = None


def same_shape(p, shape, source):
    """The shape rule of a layer that keeps its input's shape and has no weights."""
    return shape, {}, {}


def format_shape(shape):
    """(8, 4, 4) -> "(N, 8, 4, 4)": a per-sample shape with the batch dimension shown."""
    return "(" + ", ".join(["N", *map(str, shape)]) + ")"


def need_ndim(shape, ndims, what):
    """FitError unless the per-sample `shape` has one of `ndims` axes."""
    if len(shape) not in ndims:
        raise FitError(f"expects input {what}, got {shape}")


@dataclass(frozen=True)
class OnnxNode:
    """One node of a layer's ONNX export. Its inputs: the previous node's output, then (the
    layer's first node only) the layer's weights in shape-rule order, then `constants` as
    float32 scalars."""

    op: str
    attributes: dict = field(default_factory=dict)
    constants: tuple = ()


def onnx_op(op, **attributes):
    """The ONNX rule of a layer that is one node whose attributes are constructor arguments:
    onnx_op("LeakyRelu", alpha="negative_slope")."""
    return lambda c, input_shape: (OnnxNode(op, {k: c[arg] for k, arg in attributes.items()}),)


@dataclass(frozen=True)
class LayerType:
    """One layer type of the builder, declared once.

    `shape(params, input_shape, source)` -> (output shape, inferred constructor arguments
    such as in_features, {weight name: shape}) or FitError; `params` holds every declared
    parameter (the row's values over the defaults) and `source` is an InputInfo. The engine
    module is `factory(**arguments)` (default: engine.nn.<name>) where `arguments` are the
    inferred ones plus EVERY declared parameter (`ParamDef.argument`). The PyTorch export
    writes `torch_name(...)` with `torch_positional` arguments first and the others by
    keyword, leaving out those equal to `torch_defaults` (PyTorch's defaults); `torch_source`
    is Python the script needs for it (a class). `onnx(arguments, input_shape)` -> OnnxNodes
    (or ExportError); None: no ONNX export. `activation`: the decision view draws its units.
    """

    name: str
    category: str
    description: str
    params: tuple = ()
    shape: Callable = same_shape
    factory: Optional[Callable] = None
    torch_name: str = ""
    torch_positional: tuple = ()
    torch_defaults: dict = field(default_factory=dict)
    torch_source: str = ""
    onnx: Optional[Callable] = None
    activation: bool = False

    @property
    def module(self):
        """The engine class (or factory) that builds this layer."""
        return self.factory or getattr(nn, self.name)

    def defaults(self):
        return {p.name: p.default for p in self.params}

    def arguments(self, params, inferred):
        """The constructor's keyword arguments: `inferred` plus every declared parameter."""
        declared = dict(p.argument(params[p.name]) for p in self.params)
        clash = set(declared) & set(inferred)
        if clash:
            raise TypeError(f"{self.name}: the shape rule infers declared {sorted(clash)}")
        return {**inferred, **declared}

    def torch_call(self, arguments):
        """The PyTorch constructor call for these constructor arguments."""
        values = [repr(arguments[k]) for k in self.torch_positional]
        values += [f"{k}={v!r}" for k, v in arguments.items() if k not in self.torch_positional
                   and (k not in self.torch_defaults or self.torch_defaults[k] != v)]
        return f"{self.torch_name or 'nn.' + self.name}({', '.join(values)})"


def activation(name, description, *params, onnx=None, **declaration):
    """An elementwise activation: any input shape, no weights, drawn by the decision view."""
    return LayerType(name, "Activation", description, params, onnx=onnx, activation=True,
                     **declaration)
