"""File > Export: a project as a standalone PyTorch script (model.py + data.npz, and
weights.npz for the current weights), or as an ONNX graph when the onnx package is installed.

The script needs only torch and numpy. Its layers carry the sizes shape inference chose, its
state_dict keys equal the engine's, and it loads its data and weights with allow_pickle=False.
"""
import textwrap
from pathlib import Path

import numpy as np

from app.project.build import BuildError, build
from app.project.validation import validate
from app.project.shapes import format_shape, layer_label

SCRIPT_NAME, DATA_NAME, WEIGHTS_NAME = "model.py", "data.npz", "weights.npz"

_SEQUENCE_LSTM = '''

class SequenceLSTM(nn.LSTM):
    """nn.LSTM as one layer of a stack: returns every step's hidden state (N, T, H) or the
    last one (N, H), instead of (output, (h, c))."""

    def __init__(self, input_size, hidden_size, return_sequence=False):
        super().__init__(input_size, hidden_size, batch_first=True)
        self.return_sequence = return_sequence

    def forward(self, x):
        output, _ = super().forward(x)
        return output if self.return_sequence else output[:, -1]
'''

_TEMPLATE = '''"""{title}
{description}
Exported from Stepgraph; needs only torch and numpy.

    python {script} --steps 500
"""
import argparse
from pathlib import Path

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).resolve().parent
{lstm_class}

def make_model():
    """The network, for inputs {input_shape}; each comment gives a layer's output shape."""
    return nn.Sequential(
{layers}
    )


def make_optimizer(model):
    return {optimizer}


loss_fn = nn.{loss}()


def load_data(path):
    """The training set: inputs X and targets y."""
    with np.load(path, allow_pickle=False) as data:
        return torch.from_numpy(data["X"]), torch.from_numpy(data["y"])


def load_weights(model, path):
    """Copy arrays saved by name (PyTorch's state_dict keys) into the model."""
    with np.load(path, allow_pickle=False) as arrays:
        model.load_state_dict({{name: torch.from_numpy(arrays[name]) for name in arrays.files}})


def train(model, X, y, steps, batch_size={batch_size}, seed={seed}):
    """`steps` optimizer updates on shuffled mini-batches; returns the loss of each."""
    device = next(model.parameters()).device
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y),
                                         batch_size=batch_size, shuffle=True,
                                         generator=torch.Generator().manual_seed(seed))
    optimizer = make_optimizer(model)
    model.train()
    losses = []
    while len(losses) < steps:
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(inputs.to(device)), targets.to(device))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            if len(losses) % max(1, steps // 20) == 0 or len(losses) == steps:
                print(f"step {{len(losses):5d}}  loss {{losses[-1]:.6f}}")
            if len(losses) == steps:
                break
    return losses


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="optimizer updates to run")
    parser.add_argument("--data", type=Path, default=HERE / "{data}", help="training set (.npz)")
    parser.add_argument("--weights", type=Path, default={weights_default},
                        help="initial weights (.npz) saved by Stepgraph")
    args = parser.parse_args()
    torch.manual_seed({seed})
    model = make_model().to("cuda" if torch.cuda.is_available() else "cpu")
    if args.weights is not None:
        load_weights(model, args.weights)
    X, y = load_data(args.data)
    train(model, X, y, args.steps)


if __name__ == "__main__":
    main()
'''


class ExportError(ValueError):
    """The project cannot be exported in the chosen format (names the layer and why)."""


def export_pytorch(project, weights=None):
    """The source of a runnable PyTorch script for `project`. `weights` is the file name,
    beside the script, of an .npz state_dict it loads by default (None: start from PyTorch's
    own initialisation; `--weights` picks another file either way)."""
    rows = _rows(project)
    layers = project.network.layers
    calls = [_torch_layer(layer.type, row.constructor, layer.resolved_params()) + ","
             for layer, row in zip(layers, rows)]
    width = max(map(len, calls))
    lines = [f"        {call:<{width}}  # {format_shape(row.output_shape)}"
             for call, row in zip(calls, rows)]
    train = project.train
    return _TEMPLATE.format(
        title=_docstring_text(f"{project.name}: a Stepgraph network as a PyTorch script."),
        description=_docstring_text(project.description) + "\n" if project.description else "",
        script=SCRIPT_NAME, data=DATA_NAME, seed=train.seed, batch_size=train.batch_size,
        lstm_class=_SEQUENCE_LSTM if any(layer.type == "LSTM" for layer in layers) else "",
        layers="\n".join(lines), input_shape=format_shape(rows[0].input_shape),
        loss=train.loss, optimizer=_torch_optimizer(train),
        weights_default="None" if weights is None else f"HERE / {str(weights)!r}")


def export_pytorch_files(project, directory, built=None, weights=None):
    """Write model.py and data.npz (the training split) into `directory`; with `built` (the
    BuiltProject being trained) also weights.npz, its current weights (or `weights`, a state
    dict read between updates: Session.weights()), which the script loads. Without `built`
    the project is built here for its data. Returns the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with_weights = built is not None
    built = built if with_weights else build(project)
    paths = [directory / SCRIPT_NAME, directory / DATA_NAME]
    paths[0].write_text(export_pytorch(project, WEIGHTS_NAME if with_weights else None),
                        encoding="utf-8")
    np.savez(paths[1], X=built.train_set.X, y=built.train_set.y)
    if with_weights:
        paths.append(directory / WEIGHTS_NAME)
        np.savez(paths[2], **(weights if weights is not None else built.model.state_dict()))
    return paths


def export_onnx(project, path, built=None, weights=None):
    """Write the network as an ONNX model (opset 17) with `weights` (a state dict), else
    `built`'s current weights, else the initial ones, and check it with onnx.checker. Layers: Linear, Conv2d, MaxPool2d,
    Flatten, ReLU, Sigmoid, Tanh, Softmax and Dropout (an Identity at inference)."""
    rows = _rows(project)
    layers = project.network.layers
    ops = []  # (ONNX op, attributes) per row
    for index, (layer, row) in enumerate(zip(layers, rows)):
        if layer.type not in _ONNX_LAYERS:
            raise ExportError(f"{layer_label(index, layer.type)}: no ONNX export for this "
                              f"layer type (supported: {', '.join(_ONNX_LAYERS)})")
        try:
            ops.append(_ONNX_LAYERS[layer.type](row.constructor, row.input_shape))
        except ExportError as exc:
            raise ExportError(f"{layer_label(index, layer.type)}: {exc}") from None
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise ExportError("ONNX export needs the 'onnx' package (pip install onnx)") from None
    state = weights if weights is not None else \
        (built if built is not None else build(project)).model.state_dict()
    nodes, initializers, current = [], [], "input"
    for index, (row, (op, attributes)) in enumerate(zip(rows, ops)):
        out = "output" if index == len(rows) - 1 else f"x{index}"
        inputs = [current]
        for key in (f"{index}.{name}" for name in row.param_shapes):
            initializers.append(numpy_helper.from_array(state[key], key))
            inputs.append(key)
        nodes.append(helper.make_node(op, inputs, [out], name=f"{index}", **attributes))
        current = out
    graph = helper.make_graph(
        nodes, project.name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", *rows[0].input_shape])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", *rows[-1].output_shape])],
        initializers)
    model = helper.make_model(graph, producer_name="stepgraph",
                              opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return Path(path)


def _rows(project):
    """Shape inference for every row; BuildError listing the problems when there are any."""
    if project.network.script:
        raise ExportError("the network is the Script tab's Python code: export covers layer "
                          "lists only (the script itself is already code)")
    report = validate(project)
    if not report.ok:
        raise BuildError(report.errors)
    return report.rows


def _docstring_text(text):
    """`text` wrapped to 96 columns, with nothing that would end or escape the docstring."""
    text = text.replace("\\", "/").replace('"', "'")
    return textwrap.fill(text, 96, break_long_words=False, break_on_hyphens=False)


def _torch_layer(type_name, constructor, params):
    """The PyTorch constructor call for one row, defaults left out."""
    c = constructor
    if type_name == "Linear":
        bias = "" if c["bias"] else ", bias=False"
        return f"nn.Linear({c['in_features']}, {c['out_features']}{bias})"
    if type_name == "Conv2d":
        extra = "".join(f", {k}={c[k]}" for k, default in (("stride", 1), ("padding", 0))
                        if c[k] != default)
        return (f"nn.Conv2d({c['in_channels']}, {c['out_channels']}, "
                f"kernel_size={c['kernel_size']}{extra})")
    if type_name == "MaxPool2d":
        stride = "" if c["stride"] == c["kernel_size"] else f", stride={c['stride']}"
        return f"nn.MaxPool2d(kernel_size={c['kernel_size']}{stride})"
    if type_name == "LSTM":
        sequence = ", return_sequence=True" if params["return"] == "sequence" else ""
        return f"SequenceLSTM({c['input_size']}, {c['hidden_size']}{sequence})"
    if type_name in ("Embedding", "BatchNorm1d", "BatchNorm2d", "LayerNorm"):
        return f"nn.{type_name}({', '.join(str(v) for v in c.values())})"
    return f"nn.{type_name}({', '.join(f'{k}={v!r}' for k, v in c.items())})"


def _torch_optimizer(train):
    if train.optimizer == "SGD":
        return (f"torch.optim.SGD(model.parameters(), lr={train.lr!r}, "
                f"momentum={train.momentum!r}, weight_decay={train.weight_decay!r})")
    betas = tuple(train.betas)
    return (f"torch.optim.{train.optimizer}(model.parameters(), lr={train.lr!r}, "
            f"betas={betas!r}, weight_decay={train.weight_decay!r})")


def _onnx_linear(c, input_shape):
    if len(input_shape) != 1:
        raise ExportError(f"ONNX Gemm takes (N, features), got input {format_shape(input_shape)}; "
                          "put a Flatten before it")
    return "Gemm", {"transB": 1}


def _onnx_conv(c, input_shape):
    k, s, p = c["kernel_size"], c["stride"], c["padding"]
    return "Conv", {"kernel_shape": [k, k], "strides": [s, s], "pads": [p] * 4}


def _onnx_max_pool(c, input_shape):
    k, s = c["kernel_size"], c["stride"]
    return "MaxPool", {"kernel_shape": [k, k], "strides": [s, s]}


def _onnx_softmax(c, input_shape):
    return "Softmax", {"axis": c["dim"]}


def _onnx_flatten(c, input_shape):
    return "Flatten", {"axis": 1}


def _onnx_plain(op):
    """An ONNX op without attributes."""
    return lambda c, input_shape: (op, {})


_ONNX_LAYERS = {
    "Linear": _onnx_linear, "Conv2d": _onnx_conv, "MaxPool2d": _onnx_max_pool,
    "Flatten": _onnx_flatten,
    "ReLU": _onnx_plain("Relu"), "Sigmoid": _onnx_plain("Sigmoid"), "Tanh": _onnx_plain("Tanh"),
    "Softmax": _onnx_softmax, "Dropout": _onnx_plain("Identity"),
}
