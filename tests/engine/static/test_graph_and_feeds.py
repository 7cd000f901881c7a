"""The IR as the views see it, shape errors at build time, and feed errors at run time."""
import numpy as np
import pytest

import engine as sg
import engine.nn.functional as F
from engine import ShapeError, nn, optim, static


def _mlp_graph():
    sg.manual_seed(0)
    with static.Graph() as g:
        x = static.placeholder("x", shape=(None, 2))
        y = static.placeholder("y", shape=(None,), dtype="int64")
        model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
        loss = F.cross_entropy(model(x), y)
        train = static.minimize(loss, optim.SGD(model.parameters(), lr=0.1))
    return g, x, y, loss, train


def test_nodes_carry_what_the_views_draw():
    g, x, y, loss, train = _mlp_graph()
    ids = [n.id for n in g.nodes]
    assert len(set(ids)) == len(ids)
    linear = [n for n in g.nodes if n.op == "linear"]
    assert [n.scope for n in linear] == ["0", "2"]
    assert linear[0].shape == (None, 16) and linear[0].dtype == np.float32
    assert linear[0].inputs[0] is x.node
    assert {n.phase for n in g.nodes} == {"forward", "backward", "update"}
    assert [n.name for n in g.nodes if n.kind == "variable"] == [
        "0.weight", "0.bias", "2.weight", "2.bias"]
    text = str(g)
    assert "linear" in text and "sgd_update" in text and "(None, 16)" in text
    sess = static.Session(g)
    assert all(n.fused_from == [] or n.kind in ("fused", "constant") for n in sess.graph.nodes)
    assert {n.id for n in g.nodes} >= {n.id for n in sess.graph.nodes if n.kind != "fused"}


def test_shape_errors_at_build_time_name_the_node():
    with static.Graph():
        x = static.placeholder("x", (None, 3))
        model = nn.Sequential(nn.Linear(3, 4), nn.Linear(5, 2))
        with pytest.raises(ShapeError) as err:
            model(x)
    message = str(err.value)
    assert "linear in '1'" in message and "(None, 4)" in message and "5" in message


def test_run_fetches_one_value_or_a_list_and_train_gives_none():
    g, x, y, loss, train = _mlp_graph()
    sess = static.Session(g)
    X = np.random.default_rng(0).standard_normal((8, 2)).astype(np.float32)
    Y = np.zeros(8, np.int64)
    assert np.ndim(sess.run(loss, {x: X, y: Y})) == 0
    value, nothing = sess.run([loss, train], {x: X, y: Y})
    assert nothing is None and np.isfinite(value)
    assert sess.run(loss, {"x": X, "y": Y}) < value  # fed by name; the step trained


def test_only_the_fetched_part_runs():
    g, x, y, loss, train = _mlp_graph()
    with g:
        hidden = g.handle(next(n for n in g.nodes if n.op == "tanh"))
    sess = static.Session(g)
    X = np.ones((3, 2), np.float32)
    assert sess.run(hidden, {x: X}).shape == (3, 16)  # y is not needed, so not fed


@pytest.mark.parametrize("feed, error, words", [
    ({"x": np.ones((4, 2), np.float32)}, KeyError, ["'y'", "not fed"]),
    ({"x": np.ones((4, 3), np.float32), "y": np.zeros(4, np.int64)}, ValueError,
     ["'x'", "(None, 2)", "(4, 3)"]),
    ({"x": np.ones((4, 2), np.float32), "y": np.zeros(4, np.float32)}, TypeError,
     ["'y'", "int64", "float32"]),
    ({"x": np.ones((4, 2), np.float32), "y": np.zeros(5, np.int64)}, ValueError,
     ["'y'", "5", "'x'", "4"]),
    ({"z": np.ones(1)}, KeyError, ["'z'"]),
])
def test_feed_errors_name_the_placeholder_and_shapes(feed, error, words):
    g, x, y, loss, train = _mlp_graph()
    sess = static.Session(g)
    with pytest.raises(error) as err:
        sess.run(loss, feed)
    for word in words:
        assert word in str(err.value)


def test_feeding_a_non_placeholder_is_an_error():
    g, x, y, loss, train = _mlp_graph()
    with pytest.raises(TypeError, match="not a placeholder"):
        static.Session(g).run(loss, {x: np.ones((2, 2), np.float32), loss: np.float32(0)})


def test_float64_data_is_cast_to_a_float32_placeholder():
    g, x, y, loss, train = _mlp_graph()
    sess = static.Session(g)
    X = np.random.default_rng(3).standard_normal((4, 2))
    Y = np.zeros(4, np.int64)
    np.testing.assert_allclose(sess.run(loss, {x: X, y: Y}),
                               sess.run(loss, {x: X.astype(np.float32), y: Y}), rtol=0)


def test_symbolic_values_are_not_available_while_building():
    with static.Graph():
        x = static.placeholder("x", (None, 2))
        with pytest.raises(TypeError, match="static.cond"):
            bool(x.sum() > 0)
        with pytest.raises(TypeError, match="Session.run"):
            x.numpy()


def test_session_reports_compile_time_and_memory():
    g, x, y, loss, train = _mlp_graph()
    sess = static.Session(g)
    assert sess.compile_seconds > 0
    assert sess.memory["peak_bytes_after"] <= sess.memory["peak_bytes_before"]


def test_code_reading_symbolic_values_directly_is_refused():
    with static.Graph():
        x = static.placeholder("x", (None, 4))
        with pytest.raises(RuntimeError, match="BatchNorm"):
            nn.BatchNorm1d(4)(x)  # training mode updates running statistics from values
    with pytest.raises(RuntimeError, match="after its graph was built"):
        x * 2.0  # the graph is closed: this would compute on no values


def test_eval_mode_batchnorm_compiles():
    sg.manual_seed(0)
    norm = nn.BatchNorm1d(4).eval()
    with static.Graph() as g:
        x = static.placeholder("x", (None, 4))
        y = norm(x)
    X = np.random.default_rng(4).standard_normal((6, 4)).astype(np.float32)
    np.testing.assert_allclose(static.Session(g).run(y, {x: X}), norm(sg.tensor(X)).numpy(),
                               rtol=1e-6)


def test_errors_while_running_name_the_node():
    g, x, y, loss, train = _mlp_graph()
    sess = static.Session(g)
    with pytest.raises(IndexError, match="cross_entropy.*out of range"):
        sess.run(loss, {x: np.ones((2, 2), np.float32), y: np.array([0, 7])})
