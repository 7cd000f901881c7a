"""Static mode as one CUDA graph on a device (engine/static/cuda_graph.py): the step is
captured once and replayed, and trains exactly as the dynamic engine does; a new learning
rate or batch size captures again. Skipped (by conftest.py) without CuPy and a CUDA device."""
import numpy as np
import pytest

from engine import static

from .models import data, dynamic_trajectory, make_optimizer
from .test_equivalence import _built, _twins

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_captured_steps_train_as_the_dynamic_engine(kind):
    reference, model, x, y, shape = _twins(kind)
    expected = dynamic_trajectory(reference, make_optimizer("sgd", reference.parameters()),
                                  x, y, 10)
    model.to("cuda")
    g, xs, ys, loss = _built(model, shape)
    train = static.minimize(loss, make_optimizer("sgd", model.parameters()))
    sess = static.Session(g)
    losses = [sess.run([loss, train], {xs: x, ys: y})[0] for _ in range(10)]
    assert not sess.cuda_graphs.reasons and sess.cuda_graphs.captures == 1
    np.testing.assert_allclose(losses, expected, rtol=1e-4, atol=1e-6)
    for p_ref, p in zip(reference.parameters(), model.parameters()):
        np.testing.assert_allclose(p.numpy(), p_ref.numpy(), rtol=1e-4, atol=1e-5)


def test_new_learning_rate_and_batch_recapture_and_adam_stays_eager():
    _, model, x, y, shape = _twins("mlp")
    model.to("cuda")
    g, xs, ys, loss = _built(model, shape)
    opt = make_optimizer("sgd", model.parameters())
    train = static.minimize(loss, opt)
    sess = static.Session(g)
    for _ in range(5):
        sess.run([loss, train], {xs: x, ys: y})
    opt.param_groups[0]["lr"] = 0.0  # a replay with lr 0 must leave the parameters alone
    for _ in range(4):
        sess.run([loss, train], {xs: x[:16], ys: y[:16]})
    before = [p.numpy().copy() for p in model.parameters()]
    first = sess.run([loss, train], {xs: x[:16], ys: y[:16]})[0]
    again = sess.run([loss, train], {xs: x[:16], ys: y[:16]})[0]
    assert sess.cuda_graphs.captures == 2 and first == again
    assert all(np.array_equal(b, p.numpy()) for b, p in zip(before, model.parameters()))
    _, model, x, y, shape = _twins("mlp")
    model.to("cuda")
    g, xs, ys, loss = _built(model, shape)
    train = static.minimize(loss, make_optimizer("adam", model.parameters()))
    sess = static.Session(g)
    for _ in range(4):
        sess.run([loss, train], {xs: x, ys: y})
    assert "Adam" in next(iter(sess.cuda_graphs.reasons.values()))
