"""Layer configurations. Hand-written: out-of-range and mismatched parameters of each layer
type give a message naming the layer (index and type) and the shapes, on that row; nothing
raises; building says the same through BuildError; absurd sizes are refused by estimate
before anything is allocated. Derived from the declarations (app/project/layers/), so a new
layer type is checked with no row here: a bad value of each declared parameter is refused
naming the layer, and a non-default value of each one reaches the built engine module, the
exported PyTorch module and the ONNX graph (same output as the engine)."""
import functools
import math
import re

import numpy as np
import pytest

import engine as sg
from app.exports.export import ExportError, onnx_model, pytorch_model_source
from app.project.build import BuildError, build, make_layer
from app.project.files import ProjectError, dumps, loads
from app.project.layers import LAYERS
from app.project.shapes import infer_shapes
from app.project.validation import validate
from app.project.specs import DatasetSpec, LayerSpec as L, NetworkSpec, Project, TrainConfig

XOR = DatasetSpec("xor", {"n": 64})  # samples (2,)
SHAPES = DatasetSpec("shapes", {"n": 64, "size": 16})  # samples (1, 16, 16)
TOKENS = DatasetSpec("recall_first", {"n": 64, "length": 5, "vocab": 8})  # token ids (5,)
SEQUENCE = DatasetSpec("parity", {"n": 64, "length": 6})  # float sequences (6, 1)
BIG_IMAGES = DatasetSpec("shapes", {"n": 64, "size": 256})  # samples (1, 256, 256)


def case(dataset, layers, bad_row, words, batch_size=32):
    return pytest.param(dataset, layers, bad_row, words, batch_size,
                        id=f"{layers[bad_row].type}-{words[:28]}")


MATRIX = [
    case(XOR, [L("Linear", {"out_features": 0})], 0, "out_features must be a positive integer"),
    case(XOR, [L("Linear", {"out_features": -3})], 0, "out_features must be a positive integer"),
    case(XOR, [L("Linear", {"out_features": 10 ** 9})], 0, "out_features must be between 1 and"),
    case(XOR, [L("Linear", {"out_features": 2.5})], 0, "out_features must be an integer"),
    case(XOR, [L("Linear", {"out_features": "8"})], 0, "out_features must be an integer"),
    case(XOR, [L("Linear", {"out_features": True})], 0, "out_features must be an integer"),
    case(XOR, [L("Linear", {"bias": 1})], 0, "bias must be true or false"),
    case(BIG_IMAGES, [L("Flatten"), L("Linear", {"out_features": 4096})], 1,
         "268,439,552 parameters for input (65536,)"),
    case(XOR, [L("Linear", {"out_features": 4096}), L("Linear", {"out_features": 4096})], 1,
         "a training step needs about", 65536),
    case(SHAPES, [L("Conv2d", {"out_channels": 0})], 0, "out_channels must be a positive"),
    case(SHAPES, [L("Conv2d", {"kernel_size": 17})], 0, "kernel_size 17 does not fit input"),
    case(SHAPES, [L("Conv2d", {"kernel_size": 0})], 0, "kernel_size must be a positive"),
    case(SHAPES, [L("Conv2d", {"stride": 0})], 0, "stride must be a positive integer"),
    case(SHAPES, [L("Conv2d", {"padding": -1})], 0, "padding must be between 0 and 32"),
    case(SHAPES, [L("Conv2d", {"out_channels": 3.0})], 0, "out_channels must be an integer"),
    case(XOR, [L("Conv2d")], 0, "expects input (channels, height, width), got (2,)"),
    case(BIG_IMAGES, [L("Conv2d", {"out_channels": 1024, "kernel_size": 1})], 0,
         "a training step needs about"),
    case(SHAPES, [L("MaxPool2d", {"kernel_size": 17})], 0, "kernel_size 17 does not fit input"),
    case(SHAPES, [L("MaxPool2d", {"stride": 0})], 0, "stride must be a positive integer"),
    case(SHAPES, [L("MaxPool2d", {"kernel_size": -2})], 0, "kernel_size must be a positive"),
    case(XOR, [L("MaxPool2d")], 0, "expects input (channels, height, width), got (2,)"),
    case(XOR, [L("Flatten", {"start_dim": 1})], 0, "unknown parameter 'start_dim'"),
    case(SEQUENCE, [L("LSTM", {"hidden_size": 0})], 0, "hidden_size must be a positive"),
    case(SEQUENCE, [L("LSTM", {"hidden_size": 10 ** 9})], 0, "hidden_size must be between"),
    case(SEQUENCE, [L("LSTM", {"return": "middle"})], 0, "return must be one of"),
    case(XOR, [L("LSTM")], 0, "expects input a sequence (steps, features), got (2,)"),
    case(XOR, [L("Embedding")], 0, "expects integer token ids"),
    case(TOKENS, [L("Linear", {"out_features": 4}), L("Embedding")], 1,
         "expects integer token ids"),
    case(TOKENS, [L("Embedding", {"num_embeddings": 4})], 0,
         "num_embeddings 4 is smaller than the data's vocabulary"),
    case(TOKENS, [L("Embedding", {"embedding_dim": 0})], 0, "embedding_dim must be a positive"),
    case(TOKENS, [L("Embedding", {"num_embeddings": 100000, "embedding_dim": 4096})], 0,
         "409,600,000 parameters"),
    case(XOR, [L("Dropout", {"p": -0.1})], 0, "p must be between 0 and 0.99"),
    case(XOR, [L("Dropout", {"p": 1.5})], 0, "p must be between 0 and 0.99"),
    case(XOR, [L("Dropout", {"p": math.nan})], 0, "p must be a number, got nan"),
    case(XOR, [L("Dropout", {"p": "0.5"})], 0, "p must be a number"),
    case(SHAPES, [L("BatchNorm1d")], 0, "expects input (features,) or (channels, length)"),
    case(XOR, [L("BatchNorm2d")], 0, "expects input (channels, height, width), got (2,)"),
    case(XOR, [L("BatchNorm1d", {"num_features": 3})], 0, "unknown parameter 'num_features'"),
    case(SHAPES, [L("BatchNorm2d", {"num_features": 3})], 0, "unknown parameter 'num_features'"),
    case(XOR, [L("LayerNorm", {"normalized_shape": 5})], 0, "unknown parameter"),
    case(XOR, [L("ReLU", {"inplace": True})], 0, "unknown parameter 'inplace'"),
    case(XOR, [L("Sigmoid", {"dim": 1})], 0, "unknown parameter 'dim'"),
    case(XOR, [L("Tanh", {"": None})], 0, "unknown parameter ''"),
    case(XOR, [L("GELU", {"approximate": "tanh"})], 0, "unknown parameter 'approximate'"),
    case(XOR, [L("Softmax", {"dim": 5})], 0, "dim 5 is out of range for (N, 2)"),
    case(XOR, [L("Softmax", {"dim": 0})], 0, "dim 0 is the batch axis"),
    case(XOR, [L("Softmax", {"dim": 99})], 0, "dim must be between -8 and 8"),
    case(XOR, [L("Softmax", {"dim": "1"})], 0, "dim must be an integer"),
    case(XOR, [L("Softmax", {"dim": 1.0})], 0, "dim must be an integer"),
]
SHAPE = re.compile(r"\(N(, \d+)*\)|\(\d+(, \d+)*,?\)")


def project(dataset, layers, batch_size=32):
    return Project(network=NetworkSpec(layers), dataset=dataset,
                   train=TrainConfig(batch_size=batch_size))


@pytest.mark.parametrize("dataset, layers, bad_row, words, batch_size", MATRIX)
def test_a_bad_layer_configuration_is_a_message_on_its_row(dataset, layers, bad_row, words,
                                                           batch_size):
    report = validate(project(dataset, layers, batch_size))
    label = f"layer {bad_row} ({layers[bad_row].type})"
    messages = [i.message for i in report.for_row(bad_row) if i.severity == "error"]
    assert messages, report.issues
    assert any(words in m for m in messages), messages
    for message in messages:
        assert message.startswith(label + ":"), message
        assert SHAPE.search(message), f"no shape in {message!r}"
    assert not report.ok
    with pytest.raises(BuildError) as caught:
        build(project(dataset, layers, batch_size))
    assert any(words in issue.message for issue in caught.value.issues)


def test_a_file_with_a_bad_value_is_refused_naming_the_layer():
    good = project(XOR, [L("Linear", {"out_features": 4}), L("ReLU"), L("Linear")])
    text = dumps(good).replace('"out_features": 4', '"out_features": 0')
    with pytest.raises(ProjectError, match=r"layer 0 \(Linear\): out_features must be a positive"):
        loads(text)


def test_rows_after_a_bad_row_are_not_inferred_and_show_no_second_error():
    report = validate(project(XOR, [L("Conv2d"), L("ReLU"), L("Linear", {"out_features": 2})]))
    assert [row.status for row in report.rows] == ["error", "not inferred", "not inferred"]
    assert report.for_row(1) == [] and report.for_row(2) == []


# Derived from the declarations: every layer type, each declared parameter (types without
# parameters once, with their defaults). A layer is tried on these per-sample inputs, in order:
# (shape, token ids?); token samples hold ids 0..VOCAB-1.
SAMPLES = (((4,), False), ((3, 4), False), ((2, 6, 6), False), ((5,), True))
VOCAB = 2
DECLARED = [pytest.param(name, p.name, id=f"{name}-{p.name}")
            for name, declaration in LAYERS.items() for p in declaration.params] + \
           [pytest.param(name, None, id=name)
            for name, declaration in LAYERS.items() if not declaration.params]


def _other_values(definition):
    """Allowed values of a parameter other than its default, the most ordinary first."""
    d = definition
    if d.kind == "bool":
        return [not d.default]
    if d.kind == "choice":
        return [c for c in d.choices if c != d.default]
    base = d.minimum if d.default is None else d.default
    half = base / 2 if d.kind == "float" else None
    return [v for v in dict.fromkeys((base + 1, base - 1, base * 2, half, d.minimum, d.maximum))
            if v is not None and v != d.default and d.check(v) is None]


def _read(module, keyword, expected):
    """A module's attribute for constructor argument `keyword`, as the argument was given: a
    pair of equal sizes as one size, a weight (or None) as whether it exists."""
    value = getattr(module, keyword)
    if isinstance(value, tuple) and len(set(value)) == 1:
        value = value[0]
    if isinstance(expected, bool) and not isinstance(value, bool):
        value = value is not None
    return value


def _rows(layer):
    """(sample index, its inferred row) for each sample the layer fits."""
    for index, (shape, tokens) in enumerate(SAMPLES):
        row = infer_shapes([layer], shape, tokens, VOCAB if tokens else None)[0]
        if row.status == "ok":
            yield index, row


@functools.lru_cache(maxsize=None)
def _case(type_name, param):
    """(layer, row, sample index, keyword, expected): `param` set to a value other than its
    default, on the first sample where the built module's attribute then differs from the
    default's; with `param` None, the defaults on the first sample they fit."""
    if param is None:
        for sample, row in _rows(L(type_name)):
            return L(type_name), row, sample, None, None
        pytest.fail(f"{type_name} fits none of the sample inputs {SAMPLES}")
    definition = next(p for p in LAYERS[type_name].params if p.name == param)
    defaults = dict(_rows(L(type_name)))
    tried = []
    for value in _other_values(definition):
        keyword, expected = definition.argument(value)
        for sample, row in _rows(L(type_name, {param: value})):
            built = _read(make_layer(type_name, row.constructor), keyword, expected)
            tried.append((value, SAMPLES[sample][0], built))
            if sample not in defaults or built != _read(
                    make_layer(type_name, defaults[sample].constructor), keyword, expected):
                return L(type_name, {param: value}), row, sample, keyword, expected
    pytest.fail(f"{type_name}({param}=...): no value but the default changes the built module's "
                f"attribute {definition.argument(definition.default)[0]!r} (value, input, "
                f"attribute: {tried}); is the parameter passed to the constructor?")


def _inputs(sample):
    shape, tokens = SAMPLES[sample]
    rng = np.random.default_rng(0)
    if tokens:
        return rng.integers(0, VOCAB, (4, *shape))
    return rng.standard_normal((4, *shape)).astype(np.float32)


def _engine_output(module, x):
    module.eval()
    with sg.no_grad():
        return module(sg.tensor(x)).numpy()


@pytest.mark.parametrize("type_name, param", DECLARED)
def test_a_bad_declared_value_is_refused_naming_the_layer(type_name, param):
    definition = next((p for p in LAYERS[type_name].params if p.name == param), None)
    if definition is None:
        name, value = "no_such_parameter", 1
    elif definition.kind in ("int", "float") and definition.maximum is not None:
        name, value = param, definition.maximum + 1
    else:
        name, value = param, "not a value"
    row = infer_shapes([L(type_name, {name: value})], SAMPLES[0][0])[0]
    assert row.status == "error"
    assert row.error.startswith(f"layer 0 ({type_name}): ") and name in row.error, row.error


@pytest.mark.parametrize("type_name, param", DECLARED)
def test_a_declared_parameter_reaches_the_built_module(type_name, param):
    layer, row, sample, keyword, expected = _case(type_name, param)
    module = make_layer(type_name, row.constructor)
    if keyword is not None:
        assert _read(module, keyword, expected) == expected
    assert _engine_output(module, _inputs(sample)).shape[1:] == row.output_shape


@pytest.mark.parametrize("type_name, param", DECLARED)
def test_a_declared_parameter_reaches_the_pytorch_export(type_name, param):
    torch = pytest.importorskip("torch")
    layer, row, sample, keyword, expected = _case(type_name, param)
    module = make_layer(type_name, row.constructor)
    namespace = {"nn": torch.nn}
    exec(pytorch_model_source([layer], [row]), namespace)
    theirs = namespace["make_model"]().eval()
    theirs.load_state_dict({f"0.{key}": torch.from_numpy(np.asarray(value))
                            for key, value in module.state_dict().items()})
    if keyword is not None:
        assert _read(theirs[0], keyword, expected) == expected
    x = _inputs(sample)
    with torch.no_grad():
        output = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(output, _engine_output(module, x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("type_name, param", DECLARED)
def test_a_declared_parameter_reaches_the_onnx_graph(type_name, param):
    layer, row, sample, keyword, expected = _case(type_name, param)
    module = make_layer(type_name, row.constructor)
    state = {f"0.{key}": value for key, value in module.state_dict().items()}
    if LAYERS[type_name].onnx is None:
        with pytest.raises(ExportError, match=rf"layer 0 \({type_name}\): no ONNX export"):
            onnx_model(type_name, [layer], [row], state)
        return
    pytest.importorskip("onnx")
    runtime = pytest.importorskip("onnxruntime")
    model = onnx_model(type_name, [layer], [row], state)
    session = runtime.InferenceSession(model.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
    x = _inputs(sample)
    (output,) = session.run(None, {"input": x})
    np.testing.assert_allclose(output, _engine_output(module, x), rtol=1e-4, atol=1e-5)
