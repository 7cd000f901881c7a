"""static.trace warns when Python control flow read a traced tensor's value (and only
then); static.cond keeps both branches, with gradients through each."""
import warnings

import numpy as np
import pytest

import engine as sg
from engine import nn, static


def _branchy(x):
    if x.sum() > 0:  # data-dependent Python control flow
        return x * 2.0
    return -x


def test_trace_warns_on_data_dependent_control_flow_naming_the_line():
    with pytest.warns(static.TraceWarning) as caught:
        static.trace(_branchy, sg.tensor(np.ones((2, 3), np.float32)))
    assert caught[0].filename == __file__
    assert caught[0].lineno == _branchy.__code__.co_firstlineno + 1
    assert "static.cond" in str(caught[0].message)


@pytest.mark.parametrize("convert", [float, lambda t: t.item(), int, bool])
def test_every_conversion_of_a_traced_value_warns(convert):
    with pytest.warns(static.TraceWarning):
        static.trace(lambda x: x * convert(x.sum()), sg.tensor(np.ones(3, np.float32)))


def test_trace_keeps_only_the_branch_it_saw():
    with pytest.warns(static.TraceWarning):
        g = static.trace(_branchy, sg.tensor(np.ones((2, 3), np.float32)))
    sess = static.Session(g)
    negative = -np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(sess.run(g.outputs[0], {g.inputs[0]: negative}), negative * 2)


def test_trace_of_plain_model_code_does_not_warn():
    sg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    scale = sg.tensor(2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = static.trace(lambda x: model(x) * float(scale), sg.tensor(np.ones((5, 3), np.float32)))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    got = static.Session(g).run(g.outputs[0], {g.inputs[0]: x})
    np.testing.assert_allclose(got, model(sg.tensor(x)).numpy() * 2, rtol=1e-6)


def test_trace_records_scopes_as_eager_nodes_do():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
    g = static.trace(model, sg.tensor(np.ones((2, 3), np.float32)))
    assert [(n.op, n.scope) for n in g.nodes if n.kind == "op"] == [("linear", "0"), ("tanh", "1")]


def _cond_graph(pred_shape):
    with static.Graph() as g:
        x = static.placeholder("x", (None, 3), dtype="float64")
        score = x.sum(1) if pred_shape == "per_example" else x.sum()
        y = static.cond(score > 0, lambda: (x * x) * 3.0, lambda: x.tanh() - x)
        loss = (y * y).sum()
        grad = static.gradients(loss, x)
    return g, x, y, loss, grad


def _cond_numpy(x, per_example):
    pred = x.sum(1, keepdims=True) > 0 if per_example else x.sum() > 0
    return np.where(pred, x * x * 3.0, np.tanh(x) - x)


@pytest.mark.parametrize("pred_shape", ["per_example", "scalar"])
def test_cond_takes_both_branches_with_gradients(pred_shape):
    g, x, y, loss, grad = _cond_graph(pred_shape)
    ops = {n.op for n in g.nodes}
    assert {"mul", "tanh", "where"} <= ops  # both branches and the select are in the graph
    sess = static.Session(g)
    per_example = pred_shape == "per_example"
    batches = [np.array([[1.0, 2.0, 0.5], [-1.0, -2.0, 0.3]]), -np.ones((2, 3)) * 0.7]
    for value in batches:
        got_y, got_loss, got_grad = sess.run([y, loss, grad], {x: value})
        np.testing.assert_allclose(got_y, _cond_numpy(value, per_example), rtol=1e-12)
        numeric = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            step = np.zeros_like(value)
            step[idx] = 1e-6
            plus = (_cond_numpy(value + step, per_example) ** 2).sum()
            minus = (_cond_numpy(value - step, per_example) ** 2).sum()
            numeric[idx] = (plus - minus) / 2e-6
        np.testing.assert_allclose(got_grad, numeric, rtol=1e-5, atol=1e-7)


def test_cond_in_a_trace_keeps_both_branches_without_warning():
    def f(x):
        return static.cond(x.sum() > 0, lambda: x * 2.0, lambda: -x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = static.trace(f, sg.tensor(np.ones((2, 3), np.float32)))
    sess = static.Session(g)
    negative = -np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(sess.run(g.outputs[0], {g.inputs[0]: negative}), -negative)
