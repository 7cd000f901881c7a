"""Every layer type with out-of-range and mismatched parameters: validation gives a message
naming the layer (index and type) and the shapes, on that row; nothing raises; building says
the same through BuildError; absurd sizes are refused by estimate before anything is
allocated."""
import math
import re

import pytest

from app.project.build import BuildError, build
from app.project.files import ProjectError, dumps, loads
from app.project.validation import validate
from app.project.specs import LAYER_TYPES, DatasetSpec, LayerSpec as L, NetworkSpec, Project, TrainConfig

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


def test_the_matrix_covers_every_layer_type():
    covered = {param.values[1][param.values[2]].type for param in MATRIX}
    assert covered == set(LAYER_TYPES)


def test_a_file_with_a_bad_value_is_refused_naming_the_layer():
    good = project(XOR, [L("Linear", {"out_features": 4}), L("ReLU"), L("Linear")])
    text = dumps(good).replace('"out_features": 4', '"out_features": 0')
    with pytest.raises(ProjectError, match=r"layer 0 \(Linear\): out_features must be a positive"):
        loads(text)


def test_rows_after_a_bad_row_are_not_inferred_and_show_no_second_error():
    report = validate(project(XOR, [L("Conv2d"), L("ReLU"), L("Linear", {"out_features": 2})]))
    assert [row.status for row in report.rows] == ["error", "not inferred", "not inferred"]
    assert report.for_row(1) == [] and report.for_row(2) == []
