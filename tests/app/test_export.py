"""File > Export: the PyTorch script of each preset, run with torch on the engine's weights,
gives the engine's loss before and after one optimizer step; ONNX export when onnx exists."""
import importlib.util
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

import engine as sg
from app.project.build import BuildError, build
from app.project.layers import LAYERS, OnnxNode
from app.exports.export import ExportError, export_onnx, export_pytorch, export_pytorch_files
from app.project.presets import list_presets, load_preset
from app.project.specs import LayerSpec, NetworkSpec, Project

PRESETS = ("spirals", "xor", "sine", "cnn_shapes", "lstm_recall")


def import_script(path):
    spec = importlib.util.spec_from_file_location(f"exported_{path.parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def engine_losses(built, X, y):
    """The engine's loss on (X, y), then again after one optimizer step on that batch."""
    losses = []
    for _ in range(2):
        built.optimizer.zero_grad()
        loss = built.loss_fn(built.model(sg.tensor(X)), sg.tensor(y))
        loss.backward()
        built.optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("name", PRESETS)
def test_exported_script_matches_the_engine(name, tmp_path):
    pytest.importorskip("torch")
    project = load_preset(name)
    built = build(project)
    paths = export_pytorch_files(project, tmp_path, built)
    assert [p.name for p in paths] == ["model.py", "data.npz", "weights.npz"]
    script = import_script(paths[0])

    model = script.make_model()
    script.load_weights(model, paths[2])
    X, y = script.load_data(paths[1])
    np.testing.assert_array_equal(X.numpy(), built.train_set.X)
    batch = slice(0, project.train.batch_size)
    optimizer = script.make_optimizer(model)
    torch_losses = []
    for _ in range(2):
        optimizer.zero_grad()
        loss = script.loss_fn(model(X[batch]), y[batch])
        loss.backward()
        optimizer.step()
        torch_losses.append(loss.item())
    ours = engine_losses(built, built.train_set.X[batch], built.train_set.y[batch])
    np.testing.assert_allclose(torch_losses, ours, rtol=2e-5, atol=1e-6)

    losses = script.train(script.make_model(), X, y, steps=3)
    assert len(losses) == 3 and np.all(np.isfinite(losses))


def test_script_runs_standalone_and_prints_the_loss(tmp_path):
    pytest.importorskip("torch")
    project = load_preset("xor")
    export_pytorch_files(project, tmp_path)
    assert not (tmp_path / "weights.npz").exists()
    result = subprocess.run([sys.executable, "model.py", "--steps", "2"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [["step", "1"], ["step", "2"]]
    assert all(np.isfinite(float(line.split()[-1])) for line in lines)


def test_script_source_spells_out_sizes_and_hyperparameters():
    source = export_pytorch(load_preset("cnn_shapes"))
    assert "nn.Conv2d(1, 8, kernel_size=3, padding=1),   # (N, 8, 16, 16)" in source
    assert "nn.Linear(256, 4),                           # (N, 4)" in source
    assert "torch.optim.Adam(model.parameters(), lr=0.005, betas=(0.9, 0.999)" in source
    assert "import engine" not in source and "class SequenceLSTM" not in source
    assert "--weights\", type=Path, default=None" in source
    lstm = export_pytorch(load_preset("lstm_recall"), "weights.npz")
    assert "SequenceLSTM(8, 16)," in lstm and "default=HERE / 'weights.npz'" in lstm
    compile(lstm, "model.py", "exec")


def test_any_description_stays_inside_the_docstring():
    project = load_preset("xor")
    project.description = 'ends """ here \\ and "quotes" ' * 8
    source = export_pytorch(project)
    compile(source, "model.py", "exec")
    assert max(len(line) for line in source.splitlines()) <= 100


def test_sequence_lstm_and_layers_without_presets(tmp_path):
    torch = pytest.importorskip("torch")
    layers = [LayerSpec("Embedding", {"num_embeddings": 8, "embedding_dim": 4}),
              LayerSpec("LSTM", {"hidden_size": 6, "return": "sequence"}), LayerSpec("LayerNorm"),
              LayerSpec("Dropout", {"p": 0.0}), LayerSpec("GELU"),
              LayerSpec("LSTM", {"hidden_size": 5}), LayerSpec("BatchNorm1d"),
              LayerSpec("Linear", {"out_features": 8, "bias": False})]
    project = load_preset("lstm_recall")
    project.network = NetworkSpec(layers)
    built = build(project)
    paths = export_pytorch_files(project, tmp_path, built)
    script = import_script(paths[0])
    model = script.make_model()
    script.load_weights(model, paths[2])
    X = built.train_set.X[:16]
    with torch.no_grad():
        theirs = model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(theirs, built.model(sg.tensor(X)).numpy(), rtol=1e-4, atol=1e-5)


def test_invalid_project_is_refused_naming_the_layer():
    project = Project(network=NetworkSpec([LayerSpec("Conv2d")]))
    with pytest.raises(BuildError, match="layer 0 \\(Conv2d\\)"):
        export_pytorch(project)


def test_onnx_refuses_layers_it_cannot_express():
    with pytest.raises(ExportError, match="layer 0 \\(Embedding\\).*no ONNX export"):
        export_onnx(load_preset("lstm_recall"), "unused.onnx")


def test_onnx_refuses_linear_on_images_naming_the_layer_and_shape():
    project = load_preset("cnn_shapes")
    project.network.layers.insert(2, LayerSpec("Linear", {"out_features": 4}))
    with pytest.raises(ExportError, match=r"layer 2 \(Linear\): ONNX Gemm takes \(N, features\), "
                                          r"got input \(N, 8, 16, 16\)"):
        export_onnx(project, "unused.onnx")


def test_onnx_without_the_package_says_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(ExportError, match="needs the 'onnx' package"):
        export_onnx(load_preset("xor"), tmp_path / "xor.onnx")


ONNX_PRESETS = [info.name for info in list_presets()
                if info.name not in ("lstm_recall", "dynamic_depth")]  # dynamic_depth: a script


def test_onnx_presets_are_every_preset_without_an_embedding():
    assert {"spirals", "xor", "sine", "cnn_shapes"} <= set(ONNX_PRESETS)
    for name in ONNX_PRESETS:
        assert all(layer.type != "Embedding" for layer in load_preset(name).network.layers)


@pytest.mark.parametrize("name", ONNX_PRESETS)
def test_onnx_graph_passes_the_checker(name, tmp_path):
    onnx = pytest.importorskip("onnx")
    path = export_onnx(load_preset(name), tmp_path / f"{name}.onnx")
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    ops = [node.op_type for node in model.graph.node]
    assert ops[-1] == "Gemm" and len(ops) == len(load_preset(name).network.layers)


@pytest.mark.parametrize("name", ONNX_PRESETS)
def test_onnx_runtime_output_matches_the_engine_forward(name, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    project = load_preset(name)
    built = build(project)
    built.model.eval()
    X = np.asarray(built.train_set.X[:16], dtype=np.float32)
    with sg.no_grad():
        ours = built.model(sg.tensor(X)).numpy()
    path = export_onnx(project, tmp_path / f"{name}.onnx", built)
    runtime = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (theirs,) = runtime.run(None, {"input": X})
    assert theirs.shape == ours.shape
    np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-5)


def test_onnx_runtime_uses_the_trained_weights(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    project = load_preset("xor")
    built = build(project)
    X = np.asarray(built.train_set.X, dtype=np.float32)
    engine_losses(built, X, built.train_set.y)  # two optimizer steps change the weights
    before = ort.InferenceSession(str(export_onnx(project, tmp_path / "initial.onnx")),
                                  providers=["CPUExecutionProvider"]).run(None, {"input": X})[0]
    after = ort.InferenceSession(str(export_onnx(project, tmp_path / "trained.onnx", built)),
                                 providers=["CPUExecutionProvider"]).run(None, {"input": X})[0]
    with sg.no_grad():
        ours = built.model(sg.tensor(X)).numpy()
    np.testing.assert_allclose(after, ours, rtol=1e-4, atol=1e-5)
    assert not np.allclose(before, after)


def test_onnx_layer_as_a_subgraph_with_constants(tmp_path, monkeypatch):
    """A declaration may export one layer as several nodes fed scalar constants (as Softplus
    with beta must: ONNX's has none): here Tanh(x) as 2 * Sigmoid(2 * x) - 1."""
    ort = pytest.importorskip("onnxruntime")
    onnx = pytest.importorskip("onnx")
    subgraph = (OnnxNode("Mul", constants=(2.0,)), OnnxNode("Sigmoid"),
                OnnxNode("Mul", constants=(2.0,)), OnnxNode("Sub", constants=(1.0,)))
    monkeypatch.setitem(LAYERS, "Tanh", replace(LAYERS["Tanh"], onnx=lambda c, shape: subgraph))
    project = load_preset("xor")
    built = build(project)
    path = export_onnx(project, tmp_path / "xor.onnx", built)
    X = np.asarray(built.train_set.X[:16], dtype=np.float32)
    (theirs,) = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"input": X})
    with sg.no_grad():
        ours = built.model(sg.tensor(X)).numpy()
    np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-5)
    ops = [node.op_type for node in onnx.load(str(path)).graph.node]
    assert ops.count("Sigmoid") == ops.count("Sub") == sum(
        layer.type == "Tanh" for layer in project.network.layers) > 0
