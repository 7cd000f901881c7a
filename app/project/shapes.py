"""Shape inference through a stack of layer rows, without running anything.

Each row gets its per-sample output shape (the batch dimension is implicit and shown as "N"),
the constructor arguments the builder passes to the engine layer (input sizes inferred from
the previous row, Keras-style, and every declared parameter) and the shapes of its weights;
or the error the row causes. Rows after the first error are not inferred. The rules are the
layer declarations' (app/project/layers/catalog.py).
"""
import math
from dataclasses import dataclass, field
from typing import Optional

from app.project.layers import LAYERS, FitError, InputInfo, format_shape

__all__ = ["MAX_PARAMETERS_PER_LAYER", "FitError", "RowShape", "format_shape", "infer_shapes",
           "layer_label"]

MAX_PARAMETERS_PER_LAYER = 20_000_000


@dataclass
class RowShape:
    index: int
    type: str
    input_shape: Optional[tuple] = None  # per sample; None when not inferred
    output_shape: Optional[tuple] = None
    error: Optional[str] = None
    constructor: dict = field(default_factory=dict)  # engine layer keyword arguments
    param_shapes: dict = field(default_factory=dict)  # parameter name -> shape

    @property
    def status(self):
        if self.error:
            return "error"
        return "ok" if self.output_shape is not None else "not inferred"

    @property
    def parameter_count(self):
        return sum(math.prod(s) for s in self.param_shapes.values())


def layer_label(index, type_name):
    return f"layer {index} ({type_name})"


def infer_shapes(layers, input_shape, integer_input=False, vocab_size=None):
    """RowShape per layer for samples of `input_shape`. `integer_input` says the samples are
    token ids (only an Embedding first row reads them as such; other layers see floats);
    `vocab_size` is the number of distinct token ids the data can hold."""
    rows = []
    shape, integer, failed = tuple(input_shape), integer_input, False
    for index, layer in enumerate(layers):
        row = RowShape(index, layer.type)
        rows.append(row)
        if failed:
            continue
        row.input_shape = shape
        try:
            row.output_shape, row.constructor, row.param_shapes = _fit_row(
                layer, shape, integer, vocab_size)
        except FitError as exc:
            row.error = f"{layer_label(index, layer.type)}: {exc}"
            failed = True
            continue
        shape, integer = row.output_shape, False
    return rows


def _fit_row(layer, shape, integer, vocab_size):
    if not isinstance(layer.type, str) or layer.type not in LAYERS:
        raise FitError(f"unknown layer type (expected one of {', '.join(LAYERS)})")
    if not isinstance(layer.params, dict):
        raise FitError("params must be an object")
    errors = layer.param_errors()
    if errors:
        raise FitError("; ".join(message for _, message in errors))
    declaration = LAYERS[layer.type]
    params = layer.resolved_params()
    out, inferred, param_shapes = declaration.shape(params, shape, InputInfo(integer, vocab_size))
    count = sum(math.prod(s) for s in param_shapes.values())
    if count > MAX_PARAMETERS_PER_LAYER:
        raise FitError(f"{count:,} parameters for input {shape}; the limit is "
                       f"{MAX_PARAMETERS_PER_LAYER:,}")
    return out, declaration.arguments(params, inferred), param_shapes
