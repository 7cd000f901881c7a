"""Every layer type the builder offers, each declared once (see LayerType in declaration.py),
in palette order. CONTRIBUTING.md, "Adding a layer type", says how to add one."""
import math

from app.project.layers.declaration import (ExportError, FitError, LayerType, OnnxNode, ParamDef,
                                            activation, format_shape, need_ndim, onnx_op)
from app.project.layers.sequence_lstm import TORCH_SOURCE, SequenceLSTM


def _size(name, default, doc, maximum=4096):
    return ParamDef(name, "int", default, 1, maximum, doc=doc)


def _linear(p, shape, source):
    need_ndim(shape, range(1, 9), "(features,)")
    n_in, n_out = shape[-1], p["out_features"]
    weights = {"weight": (n_out, n_in)}
    if p["bias"]:
        weights["bias"] = (n_out,)
    return shape[:-1] + (n_out,), {"in_features": n_in}, weights


def _onnx_linear(c, input_shape):
    if len(input_shape) != 1:
        raise ExportError(f"ONNX Gemm takes (N, features), got input {format_shape(input_shape)}; "
                          "put a Flatten before it")
    return (OnnxNode("Gemm", {"transB": 1}),)


def _conv2d(p, shape, source):
    need_ndim(shape, (3,), "(channels, height, width)")
    c, h, w = shape
    k, s, pad, oc = p["kernel_size"], p["stride"], p["padding"], p["out_channels"]
    if k > h + 2 * pad or k > w + 2 * pad:
        raise FitError(f"kernel_size {k} does not fit input {shape}"
                       + (f" with padding {pad}" if pad else ""))
    out = (oc, (h + 2 * pad - k) // s + 1, (w + 2 * pad - k) // s + 1)
    return out, {"in_channels": c}, {"weight": (oc, c, k, k), "bias": (oc,)}


def _onnx_conv(c, input_shape):
    k, s, p = c["kernel_size"], c["stride"], c["padding"]
    return (OnnxNode("Conv", {"kernel_shape": [k, k], "strides": [s, s], "pads": [p] * 4}),)


def _max_pool2d(p, shape, source):
    need_ndim(shape, (3,), "(channels, height, width)")
    c, h, w = shape
    k = p["kernel_size"]
    s = p["stride"] or k
    if k > h or k > w:
        raise FitError(f"kernel_size {k} does not fit input {shape}")
    return (c, (h - k) // s + 1, (w - k) // s + 1), {}, {}


def _onnx_max_pool(c, input_shape):
    k = c["kernel_size"]
    s = c["stride"] or k
    return (OnnxNode("MaxPool", {"kernel_shape": [k, k], "strides": [s, s]}),)


def _flatten(p, shape, source):
    return (math.prod(shape),), {}, {}


def _lstm(p, shape, source):
    need_ndim(shape, (2,), "a sequence (steps, features)")
    steps, n_in = shape
    h = p["hidden_size"]
    out = (h,) if p["return"] == "last" else (steps, h)
    weights = {"weight_ih_l0": (4 * h, n_in), "weight_hh_l0": (4 * h, h),
               "bias_ih_l0": (4 * h,), "bias_hh_l0": (4 * h,)}
    return out, {"input_size": n_in}, weights


def _embedding(p, shape, source):
    n, dim = p["num_embeddings"], p["embedding_dim"]
    if not source.integer:
        raise FitError(f"expects integer token ids as the first layer on token data, "
                       f"got floating-point input {shape}")
    if source.vocab_size is not None and source.vocab_size > n:
        raise FitError(f"num_embeddings {n} is smaller than the data's vocabulary "
                       f"(token ids 0..{source.vocab_size - 1}) in input {format_shape(shape)}")
    return shape + (dim,), {}, {"weight": (n, dim)}


def _batch_norm1d(p, shape, source):
    need_ndim(shape, (1, 2), "(features,) or (channels, length)")
    return shape, {"num_features": shape[0]}, {"weight": shape[:1], "bias": shape[:1]}


def _batch_norm2d(p, shape, source):
    need_ndim(shape, (3,), "(channels, height, width)")
    return shape, {"num_features": shape[0]}, {"weight": shape[:1], "bias": shape[:1]}


def _layer_norm(p, shape, source):
    need_ndim(shape, range(1, 9), "(..., features)")
    return shape, {"normalized_shape": shape[-1]}, {"weight": shape[-1:], "bias": shape[-1:]}


def _softmax(p, shape, source):
    dim, axes = p["dim"], len(shape) + 1
    if not -axes <= dim < axes:
        raise FitError(f"dim {dim} is out of range for {format_shape(shape)} ({axes} axes)")
    if dim % axes == 0:
        raise FitError(f"dim 0 is the batch axis of {format_shape(shape)}: softmax over samples "
                       "mixes them; use dim -1")
    return shape, {}, {}



def _onnx_softplus(c, input_shape):
    """ONNX's Softplus has no beta: Softplus(beta * x) / beta."""
    return (OnnxNode("Mul", constants=(c["beta"],)), OnnxNode("Softplus"),
            OnnxNode("Div", constants=(c["beta"],)))

_DECLARATIONS = (
    LayerType("Linear", "Core", "Fully connected layer: y = x W^T + b",
              (_size("out_features", 16, "output width"),
               ParamDef("bias", "bool", True, doc="learn an additive bias")),
              _linear, torch_positional=("in_features", "out_features"),
              torch_defaults={"bias": True}, onnx=_onnx_linear),
    LayerType("Conv2d", "Convolution", "2-D convolution over (channels, height, width) inputs",
              (_size("out_channels", 8, "number of filters", 1024),
               _size("kernel_size", 3, "filter height and width", 32),
               _size("stride", 1, "step between filter positions", 32),
               ParamDef("padding", "int", 0, 0, 32, doc="zeros added on each side")),
              _conv2d, torch_positional=("in_channels", "out_channels"),
              torch_defaults={"stride": 1, "padding": 0}, onnx=_onnx_conv),
    LayerType("MaxPool2d", "Convolution", "Maximum over sliding windows of each channel",
              (_size("kernel_size", 2, "window height and width", 32),
               ParamDef("stride", "int", None, 1, 32, optional=True,
                        doc="step between windows (default: kernel_size)")),
              _max_pool2d, torch_defaults={"stride": None}, onnx=_onnx_max_pool),
    LayerType("Flatten", "Core", "Flattens every sample to one vector", (), _flatten,
              onnx=lambda c, input_shape: (OnnxNode("Flatten", {"axis": 1}),)),
    LayerType("LSTM", "Sequence", "Long short-term memory over a (time, features) sequence",
              (_size("hidden_size", 16, "size of the hidden state"),
               ParamDef("return", "choice", "last", choices=("last", "sequence"),
                        doc="output the last step only, or every step",
                        arg="return_sequence", values=(False, True))),
              _lstm, factory=SequenceLSTM, torch_name="SequenceLSTM",
              torch_positional=("input_size", "hidden_size"),
              torch_defaults={"return_sequence": False}, torch_source=TORCH_SOURCE),
    LayerType("Embedding", "Sequence", "Looks up a learned vector for each token id",
              (_size("num_embeddings", 16, "vocabulary size (token ids 0..n-1)", 100000),
               _size("embedding_dim", 8, "vector size per token")),
              _embedding, torch_positional=("num_embeddings", "embedding_dim")),
    LayerType("Dropout", "Core", "Zeroes random units while training (scaled by 1 / (1 - p))",
              (ParamDef("p", "float", 0.5, 0.0, 0.99, doc="probability of zeroing a unit"),),
              onnx=onnx_op("Identity")),  # inference: nothing is dropped
    LayerType("BatchNorm1d", "Normalisation", "Normalises each feature over the batch (vectors)",
              (), _batch_norm1d, torch_positional=("num_features",)),
    LayerType("BatchNorm2d", "Normalisation", "Normalises each channel over the batch (images)",
              (), _batch_norm2d, torch_positional=("num_features",)),
    LayerType("LayerNorm", "Normalisation", "Normalises each sample over its features",
              (), _layer_norm, torch_positional=("normalized_shape",)),
    activation("ReLU", "max(x, 0)", onnx=onnx_op("Relu")),
    activation("Sigmoid", "1 / (1 + exp(-x))", onnx=onnx_op("Sigmoid")),
    activation("Tanh", "Hyperbolic tangent", onnx=onnx_op("Tanh")),
    activation("GELU", "Gaussian error linear unit"),
    activation("LeakyReLU", "max(x, 0) + negative_slope * min(x, 0)",
               ParamDef("negative_slope", "float", 0.01, 0.0, 1.0,
                        doc="slope for negative inputs"),
               onnx=onnx_op("LeakyRelu", alpha="negative_slope")),
    activation("Softplus", "log(1 + exp(beta * x)) / beta: a smooth ReLU",
               ParamDef("beta", "float", 1.0, 0.1, 100.0,
                        doc="sharpness: larger is closer to ReLU"),
               onnx=_onnx_softplus),
    LayerType("Softmax", "Activation", "Exponentials normalised to sum to 1 along an axis",
              (ParamDef("dim", "int", -1, -8, 8, doc="axis that sums to 1 (0 is the batch)"),),
              _softmax, onnx=onnx_op("Softmax", axis="dim")),
)

LAYERS = {declaration.name: declaration for declaration in _DECLARATIONS}
