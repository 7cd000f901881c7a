"""Static (builder and trace) and dynamic modes give the same loss, gradients and training
trajectory for the same weights and data: MLP, CNN and LSTM."""
import numpy as np
import pytest

import engine as sg
import engine.nn.functional as F
from engine import static

from .models import data, dynamic_trajectory, make_optimizer

KINDS = ["mlp", "cnn", "lstm"]


def _twins(kind):
    make, x, y, shape = data(kind)
    sg.manual_seed(1)
    reference = make()
    sg.manual_seed(2)
    twin = make()
    twin.load_state_dict(reference.state_dict())
    return reference, twin, x, y, shape


def _built(model, shape):
    with static.Graph() as g:
        x = static.placeholder("x", shape)
        y = static.placeholder("y", (shape[0],), dtype="int64")
        loss = F.cross_entropy(model(x), y)
    return g, x, y, loss


def _traced(model, x, y):
    g = static.trace(lambda a, b: F.cross_entropy(model(a), b), sg.tensor(x), sg.tensor(y))
    return g, g.inputs[0], g.inputs[1], g.outputs[0]


@pytest.mark.parametrize("how", ["builder", "trace"])
@pytest.mark.parametrize("kind", KINDS)
def test_loss_and_gradients_match_dynamic(kind, how):
    reference, model, x, y, shape = _twins(kind)
    loss_d = F.cross_entropy(reference(sg.tensor(x)), sg.tensor(y))
    loss_d.backward()
    g, xs, ys, loss = _built(model, shape) if how == "builder" else _traced(model, x, y)
    params = list(model.parameters())
    grads = static.gradients(loss, params)
    values = static.Session(g).run([loss] + grads, {xs: x, ys: y})
    np.testing.assert_allclose(values[0], loss_d.item(), rtol=1e-5)
    for p_ref, got in zip(reference.parameters(), values[1:]):
        np.testing.assert_allclose(got, p_ref.grad.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("opt_name", ["sgd", "adam", "adamw"])
@pytest.mark.parametrize("how", ["builder", "trace"])
@pytest.mark.parametrize("kind", KINDS)
def test_twenty_step_trajectory_matches_dynamic(kind, how, opt_name):
    reference, model, x, y, shape = _twins(kind)
    expected = dynamic_trajectory(reference, make_optimizer(opt_name, reference.parameters()),
                                  x, y, 20)
    g, xs, ys, loss = _built(model, shape) if how == "builder" else _traced(model, x, y)
    train = static.minimize(loss, make_optimizer(opt_name, model.parameters()))
    sess = static.Session(g)
    losses = [sess.run([loss, train], {xs: x, ys: y})[0] for _ in range(20)]
    np.testing.assert_allclose(losses, expected, rtol=1e-4, atol=1e-6)
    assert expected[-1] < expected[0]  # the run really trained
    for p_ref, p in zip(reference.parameters(), model.parameters()):
        np.testing.assert_allclose(p.numpy(), p_ref.numpy(), rtol=1e-4, atol=1e-5)


def test_train_op_updates_the_modules_parameters_and_optimizer_state():
    reference, model, x, y, shape = _twins("mlp")
    g, xs, ys, loss = _built(model, shape)
    opt = make_optimizer("adam", model.parameters())
    train = static.minimize(loss, opt)
    before = [p.numpy().copy() for p in model.parameters()]
    assert static.Session(g).run(train, {xs: x, ys: y}) is None
    assert all(not np.array_equal(b, p.numpy()) for b, p in zip(before, model.parameters()))
    assert all(opt.state[id(p)]["step"] == 1 for p in model.parameters())
    assert opt.step_count == 1


@pytest.mark.gpu
def test_static_training_on_the_gpu_matches_the_cpu():
    reference, model, x, y, shape = _twins("mlp")
    expected = dynamic_trajectory(reference, make_optimizer("adam", reference.parameters()),
                                  x, y, 5)
    model.to("cuda")
    g, xs, ys, loss = _built(model, shape)
    train = static.minimize(loss, make_optimizer("adam", model.parameters()))
    sess = static.Session(g)
    assert any(n.kind == "fused" for n in sess.graph.nodes)  # runs through cupy.fuse
    losses = [sess.run([loss, train], {xs: x, ys: y})[0] for _ in range(5)]
    np.testing.assert_allclose(losses, expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_static_and_dynamic_steps_share_parameters_and_optimizer_state(opt_name):
    reference, model, x, y, shape = _twins("mlp")
    expected = dynamic_trajectory(reference, make_optimizer(opt_name, reference.parameters()),
                                  x, y, 9)
    opt = make_optimizer(opt_name, model.parameters())
    g, xs, ys, loss = _built(model, shape)
    train = static.minimize(loss, opt)
    sess = static.Session(g)
    losses = []
    for mode in ("static", "dynamic", "static"):  # one model and optimizer throughout
        if mode == "static":
            losses += [sess.run([loss, train], {xs: x, ys: y})[0] for _ in range(3)]
        else:
            losses += list(dynamic_trajectory(model, opt, x, y, 3))
    np.testing.assert_allclose(losses, expected, rtol=1e-4, atol=1e-6)
