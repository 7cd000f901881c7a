"""Errors a user can hit name the layer (its path in the model), the op and the shapes."""
import pytest

import engine as sg
from engine import nn


def test_conv_channel_mismatch():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Conv2d(3, 2, 3))
    with pytest.raises(sg.ShapeError, match=r"conv2d in '1'.*\(2, 4, 6, 6\).*4 channels"):
        model(sg.randn(2, 1, 8, 8))


def test_linear_feature_mismatch_after_flatten():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(10, 3))
    with pytest.raises(sg.ShapeError, match=r"linear in '2'.*\(2, 72\).*72 features.*expects 10"):
        model(sg.randn(2, 1, 8, 8))


def test_pool_larger_than_input():
    with pytest.raises(sg.ShapeError, match=r"max_pool2d in '0'.*\(1, 1, 2, 2\)"):
        nn.Sequential(nn.MaxPool2d(3))(sg.randn(1, 1, 2, 2))


def test_lstm_input_and_state_shapes():
    lstm = nn.Sequential(nn.LSTM(3, 4, batch_first=True))
    with pytest.raises(sg.ShapeError, match=r"LSTM in '0'.*input_size=3.*\(2, 5, 2\)"):
        lstm(sg.randn(2, 5, 2))
    with pytest.raises(sg.ShapeError, match=r"LSTM.*\(1, 2, 4\).*\(1, 3, 4\)"):
        nn.LSTM(3, 4, batch_first=True)(sg.randn(2, 5, 3), (sg.zeros(1, 3, 4), sg.zeros(1, 3, 4)))


def test_layer_norm_shape():
    with pytest.raises(sg.ShapeError, match=r"LayerNorm.*\(\.\.\., 4\).*\(2, 5\)"):
        nn.LayerNorm(4)(sg.randn(2, 5))


def test_embedding_index_out_of_range():
    with pytest.raises(sg.ShapeError, match=r"embedding in '0': index 4 out of range for 4 embeddings.*\(2,\).*\(4, 2\)"):
        nn.Sequential(nn.Embedding(4, 2))(sg.tensor([1, 4]))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="Conv2d"):
        nn.Conv2d(0, 2, 3)
    with pytest.raises(ValueError, match="LSTM"):
        nn.LSTM(3, 0)
    with pytest.raises(ValueError, match="Embedding"):
        nn.Embedding(0, 2)
    with pytest.raises(ValueError, match="BatchNorm2d"):
        nn.BatchNorm2d(0)
