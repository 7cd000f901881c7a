"""File > Export: a project as a standalone PyTorch script (model.py + data.npz, and
weights.npz for the current weights), or as an ONNX graph when the onnx package is installed.

The script needs only torch and numpy. Its layers carry the sizes shape inference chose, its
state_dict keys equal the engine's, and it loads its data and weights with allow_pickle=False.
"""
import textwrap
from pathlib import Path

import numpy as np

from app.project.build import BuildError, build
from app.project.layers import LAYERS, ExportError
from app.project.validation import validate
from app.project.shapes import format_shape, layer_label

__all__ = ["ExportError", "export_onnx", "export_pytorch", "export_pytorch_files", "onnx_model",
           "pytorch_model_source"]

SCRIPT_NAME, DATA_NAME, WEIGHTS_NAME = "model.py", "data.npz", "weights.npz"

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
{model}

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


def export_pytorch(project, weights=None):
    """The source of a runnable PyTorch script for `project`. `weights` is the file name,
    beside the script, of an .npz state_dict it loads by default (None: start from PyTorch's
    own initialisation; `--weights` picks another file either way)."""
    rows = _rows(project)
    train = project.train
    return _TEMPLATE.format(
        title=_docstring_text(f"{project.name}: a Stepgraph network as a PyTorch script."),
        description=_docstring_text(project.description) + "\n" if project.description else "",
        script=SCRIPT_NAME, data=DATA_NAME, seed=train.seed, batch_size=train.batch_size,
        model=pytorch_model_source(project.network.layers, rows),
        loss=train.loss, optimizer=_torch_optimizer(train),
        weights_default="None" if weights is None else f"HERE / {str(weights)!r}")


def pytorch_model_source(layers, rows):
    """Python source defining `make_model()` (and the classes it needs) for layer rows
    `layers` with their shape inference `rows`; it expects `nn` to be torch.nn."""
    declarations = [LAYERS[layer.type] for layer in layers]
    calls = [d.torch_call(row.constructor) + "," for d, row in zip(declarations, rows)]
    width = max(map(len, calls))
    lines = [f"        {call:<{width}}  # {format_shape(row.output_shape)}"
             for call, row in zip(calls, rows)]
    helpers = "".join(dict.fromkeys(d.torch_source for d in declarations))
    return (f"{helpers}\n\ndef make_model():\n"
            f'    """The network, for inputs {format_shape(rows[0].input_shape)}; each comment '
            f'gives a layer\'s output shape."""\n'
            f"    return nn.Sequential(\n" + "\n".join(lines) + "\n    )\n")


def export_pytorch_files(project, directory, built=None, weights=None):
    """Write model.py and data.npz (the training split) into `directory`; with `built` (the
    BuiltProject being trained) also weights.npz, its current weights (or `weights`, a state
    dict read between updates: Session.weights()), which the script loads. Without `built`
    the project is built here for its data. Returns the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with_weights = built is not None
    text = export_pytorch(project, WEIGHTS_NAME if with_weights else None)  # refuses first:
    built = built if with_weights else build(project)  # a script is never built to refuse it
    paths = [directory / SCRIPT_NAME, directory / DATA_NAME]
    paths[0].write_text(text, encoding="utf-8")
    np.savez(paths[1], X=built.train_set.X, y=built.train_set.y)
    if with_weights:
        paths.append(directory / WEIGHTS_NAME)
        np.savez(paths[2], **(weights if weights is not None else built.model.state_dict()))
    return paths


def export_onnx(project, path, built=None, weights=None):
    """Write the network as an ONNX model (opset 17) with `weights` (a state dict), else
    `built`'s current weights, else the initial ones, checked with onnx.checker. Every layer
    type whose declaration has an ONNX rule exports (Dropout: an Identity at inference)."""
    rows = _rows(project)
    layers = project.network.layers
    _onnx_nodes(layers, rows)  # refuse a layer it cannot express before building anything
    try:
        import onnx
    except ImportError:
        raise ExportError("ONNX export needs the 'onnx' package (pip install onnx)") from None
    state = weights if weights is not None else \
        (built if built is not None else build(project)).model.state_dict()
    onnx.save(onnx_model(project.name, layers, rows, state), str(path))
    return Path(path)


def onnx_model(name, layers, rows, state):
    """The checked ONNX ModelProto (opset 17, input "input", output "output") of layer rows
    `layers` with their shape inference `rows` and weights `state` (keys "<row>.<weight>");
    ExportError names a row it cannot express."""
    per_row = _onnx_nodes(layers, rows)
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    nodes, initializers, current = [], [], "input"
    for index, (row, steps) in enumerate(zip(rows, per_row)):
        weights = [f"{index}.{weight}" for weight in row.param_shapes]
        initializers += [numpy_helper.from_array(np.asarray(state[key]), key) for key in weights]
        for step, node in enumerate(steps):
            last = step == len(steps) - 1
            out = "output" if last and index == len(rows) - 1 else \
                f"x{index}" if last else f"x{index}_{step}"
            constants = [f"{index}.{step}.c{k}" for k in range(len(node.constants))]
            initializers += [numpy_helper.from_array(np.asarray(value, np.float32), key)
                             for key, value in zip(constants, node.constants)]
            inputs = [current] + (weights if step == 0 else []) + constants
            nodes.append(helper.make_node(node.op, inputs, [out], **node.attributes,
                                          name=f"{index}" if len(steps) == 1 else f"{index}.{step}"))
            current = out
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", *rows[0].input_shape])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", *rows[-1].output_shape])],
        initializers)
    model = helper.make_model(graph, producer_name="stepgraph",
                              opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model


def _onnx_nodes(layers, rows):
    """Each row's OnnxNodes, from its declaration; ExportError naming the row otherwise."""
    result = []
    for index, (layer, row) in enumerate(zip(layers, rows)):
        rule = LAYERS[layer.type].onnx
        if rule is None:
            supported = ", ".join(name for name, d in LAYERS.items() if d.onnx is not None)
            raise ExportError(f"{layer_label(index, layer.type)}: no ONNX export for this "
                              f"layer type (supported: {supported})")
        try:
            result.append(rule(row.constructor, row.input_shape))
        except ExportError as exc:
            raise ExportError(f"{layer_label(index, layer.type)}: {exc}") from None
    return result


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


def _torch_optimizer(train):
    if train.optimizer == "SGD":
        return (f"torch.optim.SGD(model.parameters(), lr={train.lr!r}, "
                f"momentum={train.momentum!r}, weight_decay={train.weight_decay!r})")
    betas = tuple(train.betas)
    return (f"torch.optim.{train.optimizer}(model.parameters(), lr={train.lr!r}, "
            f"betas={betas!r}, weight_decay={train.weight_decay!r})")
