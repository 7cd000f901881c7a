"""benchmarks/numpy_lstm.py, the floor that benchmarks/lstm_steps.py sets beside the engine's
LSTM step, computes the same gradients as the engine (so its time is that of the same work)."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "benchmarks"))
import numpy_lstm  # noqa: E402
from train import lstm_head  # noqa: E402

import engine  # noqa: E402
from engine import nn  # noqa: E402


def _engine_grads(model, x, y):
    loss = nn.CrossEntropyLoss()(model(engine.tensor(x)), engine.tensor(y))
    loss.backward()
    lstm, head = model.lstm, model.head
    return {"w": np.concatenate([lstm.weight_ih_l0.grad.numpy(),
                                 lstm.weight_hh_l0.grad.numpy()], 1),
            "b": lstm.bias_ih_l0.grad.numpy(), "wo": head.weight.grad.numpy(),
            "bo": head.bias.grad.numpy()}


def test_hand_written_step_has_the_engines_gradients():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 4, 32)).astype(np.float32)
    y = rng.integers(0, 10, 5)
    engine.manual_seed(1)
    model = lstm_head(nn)
    step = numpy_lstm.HandStep(model.lstm, model.head, x, y)
    step()
    want = _engine_grads(model, x, y)
    assert set(step.g) == set(want)
    for name, g in want.items():
        np.testing.assert_allclose(step.g[name], g, rtol=1e-4, atol=1e-6, err_msg=name)
    assert np.abs(step.g["w"]).sum() > 0


def test_products_only_step_updates_with_the_same_shapes():
    step = numpy_lstm.hand_step(products_only=True, shape=(6, 3, 32))
    before = {k: v.copy() for k, v in step.p.items()}
    step()
    assert step.g["w"].shape == before["w"].shape == (512, 160)
    assert step.g["wo"].shape == before["wo"].shape == (10, 128)
