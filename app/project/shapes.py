"""Shape inference through a stack of layer rows, without running anything.

Each row gets its per-sample output shape (the batch dimension is implicit and shown as "N"),
the constructor arguments the builder passes to the engine layer (input sizes inferred from
the previous row, Keras-style) and the shapes of its parameters; or the error the row causes.
Rows after the first error are not inferred.
"""
import math
from dataclasses import dataclass, field
from typing import Optional

from app.project.specs import LAYER_TYPES

MAX_PARAMETERS_PER_LAYER = 20_000_000


class FitError(ValueError):
    """A row does not fit the shape that reaches it."""


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


def format_shape(shape):
    """(8, 4, 4) -> "(N, 8, 4, 4)": a per-sample shape with the batch dimension shown."""
    return "(" + ", ".join(["N", *map(str, shape)]) + ")"


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
    if not isinstance(layer.type, str) or layer.type not in LAYER_TYPES:
        raise FitError(f"unknown layer type (expected one of {', '.join(LAYER_TYPES)})")
    if not isinstance(layer.params, dict):
        raise FitError("params must be an object")
    errors = layer.param_errors()
    if errors:
        raise FitError("; ".join(message for _, message in errors))
    params = layer.resolved_params()
    if layer.type == "Embedding":
        out, constructor, param_shapes = _embedding(params, shape, integer, vocab_size)
    else:
        out, constructor, param_shapes = _RULES[layer.type](params, shape)
    count = sum(math.prod(s) for s in param_shapes.values())
    if count > MAX_PARAMETERS_PER_LAYER:
        raise FitError(f"{count:,} parameters for input {shape}; the limit is "
                       f"{MAX_PARAMETERS_PER_LAYER:,}")
    return out, constructor, param_shapes


def _need_ndim(shape, ndims, what):
    if len(shape) not in ndims:
        raise FitError(f"expects input {what}, got {shape}")


def _linear(p, shape):
    _need_ndim(shape, range(1, 9), "(features,)")
    n_in, n_out = shape[-1], p["out_features"]
    params = {"weight": (n_out, n_in)}
    if p["bias"]:
        params["bias"] = (n_out,)
    return shape[:-1] + (n_out,), dict(in_features=n_in, out_features=n_out, bias=p["bias"]), params


def _conv2d(p, shape):
    _need_ndim(shape, (3,), "(channels, height, width)")
    c, h, w = shape
    k, s, pad, oc = p["kernel_size"], p["stride"], p["padding"], p["out_channels"]
    if k > h + 2 * pad or k > w + 2 * pad:
        raise FitError(f"kernel_size {k} does not fit input {shape}"
                       + (f" with padding {pad}" if pad else ""))
    out = (oc, (h + 2 * pad - k) // s + 1, (w + 2 * pad - k) // s + 1)
    constructor = dict(in_channels=c, out_channels=oc, kernel_size=k, stride=s, padding=pad)
    return out, constructor, {"weight": (oc, c, k, k), "bias": (oc,)}


def _max_pool2d(p, shape):
    _need_ndim(shape, (3,), "(channels, height, width)")
    c, h, w = shape
    k = p["kernel_size"]
    s = p["stride"] or k
    if k > h or k > w:
        raise FitError(f"kernel_size {k} does not fit input {shape}")
    return (c, (h - k) // s + 1, (w - k) // s + 1), dict(kernel_size=k, stride=s), {}


def _flatten(p, shape):
    return (math.prod(shape),), {}, {}


def _lstm(p, shape):
    _need_ndim(shape, (2,), "a sequence (steps, features)")
    steps, n_in = shape
    h = p["hidden_size"]
    out = (h,) if p["return"] == "last" else (steps, h)
    params = {"weight_ih_l0": (4 * h, n_in), "weight_hh_l0": (4 * h, h),
              "bias_ih_l0": (4 * h,), "bias_hh_l0": (4 * h,)}
    return out, dict(input_size=n_in, hidden_size=h), params


def _embedding(p, shape, integer, vocab_size):
    n, dim = p["num_embeddings"], p["embedding_dim"]
    if not integer:
        raise FitError(f"expects integer token ids as the first layer on token data, "
                       f"got floating-point input {shape}")
    if vocab_size is not None and vocab_size > n:
        raise FitError(f"num_embeddings {n} is smaller than the data's vocabulary "
                       f"(token ids 0..{vocab_size - 1}) in input {format_shape(shape)}")
    return shape + (dim,), dict(num_embeddings=n, embedding_dim=dim), {"weight": (n, dim)}


def _batch_norm1d(p, shape):
    _need_ndim(shape, (1, 2), "(features,) or (channels, length)")
    return shape, dict(num_features=shape[0]), {"weight": shape[:1], "bias": shape[:1]}


def _batch_norm2d(p, shape):
    _need_ndim(shape, (3,), "(channels, height, width)")
    return shape, dict(num_features=shape[0]), {"weight": shape[:1], "bias": shape[:1]}


def _layer_norm(p, shape):
    _need_ndim(shape, range(1, 9), "(..., features)")
    return shape, dict(normalized_shape=shape[-1]), {"weight": shape[-1:], "bias": shape[-1:]}


def _softmax(p, shape):
    dim, axes = p["dim"], len(shape) + 1
    if not -axes <= dim < axes:
        raise FitError(f"dim {dim} is out of range for {format_shape(shape)} ({axes} axes)")
    if dim % axes == 0:
        raise FitError(f"dim 0 is the batch axis of {format_shape(shape)}: softmax over samples "
                       "mixes them; use dim -1")
    return shape, dict(dim=dim), {}


def _dropout(p, shape):
    return shape, dict(p=p["p"]), {}


def _same(p, shape):
    return shape, {}, {}


_RULES = {
    "Linear": _linear, "Conv2d": _conv2d, "MaxPool2d": _max_pool2d, "Flatten": _flatten,
    "LSTM": _lstm, "Dropout": _dropout, "BatchNorm1d": _batch_norm1d,
    "BatchNorm2d": _batch_norm2d, "LayerNorm": _layer_norm, "Softmax": _softmax,
    "ReLU": _same, "Sigmoid": _same, "Tanh": _same, "GELU": _same,
}
