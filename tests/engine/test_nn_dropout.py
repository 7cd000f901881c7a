"""Dropout: mask statistics in training, identity in eval, gradient = the same mask."""
import numpy as np
import pytest

import engine as sg
from engine import nn


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_training_keeps_1_minus_p_and_scales_by_its_inverse(p):
    sg.manual_seed(0)
    x = sg.ones(200, 500, requires_grad=True)
    y = nn.Dropout(p)(x)
    values = y.numpy()
    kept = values != 0
    np.testing.assert_allclose(values[kept], 1 / (1 - p), rtol=1e-6)
    n = kept.size  # kept fraction ~ Binomial(n, 1-p)/n: allow 5 standard deviations
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)
    assert abs(values.mean() - 1) < 5 * np.sqrt(p / (1 - p) / n)
    y.backward(sg.ones(*y.shape))
    np.testing.assert_array_equal(x.grad.numpy(), values)  # d(x * mask * s)/dx = mask * s


def test_masks_differ_between_calls_and_follow_the_seed():
    layer = nn.Dropout(0.5)
    x = sg.ones(1000)
    sg.manual_seed(3)
    first, second = layer(x).numpy(), layer(x).numpy()
    sg.manual_seed(3)
    again = layer(x).numpy()
    assert (first != second).any()
    np.testing.assert_array_equal(first, again)


def test_eval_mode_is_the_identity():
    layer = nn.Sequential(nn.Dropout(0.9)).eval()
    x = sg.randn(50, 20)
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    layer.train()
    assert (layer(x).numpy() == 0).mean() > 0.5


def test_edge_probabilities():
    x = sg.randn(30, 30)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).numpy(), x.numpy())
    assert not nn.Dropout(1.0)(x).numpy().any()
    with pytest.raises(ValueError, match="Dropout"):
        nn.Dropout(1.5)


def test_matches_torch_statistics():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    sg.manual_seed(0)
    theirs = torch.nn.Dropout(0.3)(torch.ones(400, 400)).numpy()
    ours = nn.Dropout(0.3)(sg.ones(400, 400)).numpy()
    assert set(np.unique(ours)) == set(np.unique(theirs))  # {0, 1/0.7}
    assert abs((ours == 0).mean() - (theirs == 0).mean()) < 0.01
