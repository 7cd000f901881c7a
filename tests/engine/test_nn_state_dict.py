"""state_dict()/load_state_dict(): PyTorch's key names, weights copied both ways, and
errors that name the key and the shapes."""
import numpy as np
import pytest

import engine as sg
from engine import nn


def every_layer(lib):
    return lib.Sequential(lib.Conv2d(1, 4, 3), lib.BatchNorm2d(4), lib.ReLU(), lib.MaxPool2d(2),
                          lib.Flatten(), lib.Linear(36, 6), lib.BatchNorm1d(6),
                          lib.LayerNorm(6), lib.Dropout(0.1), lib.Linear(6, 3))


def test_torch_to_ours_to_torch_keeps_every_value():
    torch = pytest.importorskip("torch")
    theirs = every_layer(torch.nn)
    theirs(torch.randn(5, 1, 8, 8))  # non-default running statistics
    ours = every_layer(nn)
    ours.load_state_dict(theirs.state_dict())
    back = every_layer(torch.nn)
    back.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    for (k, a), (k2, b) in zip(theirs.state_dict().items(), back.state_dict().items()):
        assert k == k2
        assert a.dtype == b.dtype, k
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    x = np.random.default_rng(0).standard_normal((4, 1, 8, 8)).astype(np.float32)
    ours.eval()
    back.eval()
    np.testing.assert_allclose(ours(sg.tensor(x)).numpy(), back(torch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)


def test_lstm_and_embedding_keys():
    model = nn.Sequential(nn.Embedding(5, 3), nn.LSTM(3, 2, num_layers=2))
    assert list(model.state_dict()) == [
        "0.weight", "1.weight_ih_l0", "1.weight_hh_l0", "1.bias_ih_l0", "1.bias_hh_l0",
        "1.weight_ih_l1", "1.weight_hh_l1", "1.bias_ih_l1", "1.bias_hh_l1"]


def test_state_dict_is_a_copy_and_loading_writes_into_the_model():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    state = model.state_dict()
    state["0.weight"][:] = 7
    assert not (model[0].weight.numpy() == 7).any()
    model.load_state_dict(state)
    assert (model[0].weight.numpy() == 7).all()
    state["1.running_mean"][:] = 3
    model.load_state_dict(state)
    assert (model[1].running_mean == 3).all()
    model(sg.randn(4, 2))
    assert model.state_dict()["1.num_batches_tracked"] == 1


def test_missing_unexpected_and_misshapen_keys_are_named():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    state = model.state_dict()
    del state["1.running_var"]
    with pytest.raises(KeyError, match="1.running_var"):
        model.load_state_dict(state)
    model.load_state_dict(state, strict=False)
    state = model.state_dict()
    state["0.weight"] = np.zeros((3, 3), np.float32)
    with pytest.raises(ValueError, match=r"'0.weight' has shape \(3, 3\).*\(3, 2\)"):
        model.load_state_dict(state)


def test_double_casts_parameters_and_float_buffers_only():
    model = nn.BatchNorm1d(2).double()
    state = model.state_dict()
    assert state["weight"].dtype == state["running_var"].dtype == np.float64
    assert state["num_batches_tracked"].dtype == np.int64
    assert model.float().state_dict()["running_mean"].dtype == np.float32
