"""Every pass keeps compiled(x) == eager(x) (property-tested on random graphs); each pass
does its job (folding, merging, pruning, fusing, buffer reuse)."""
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import engine as sg
from engine import static
from engine.static.passes import ALL

UNARY = ["tanh", "relu", "sigmoid", "neg", "exp_clamped", "square"]
BINARY = ["add", "sub", "mul", "div_safe"]
W = np.linspace(-0.5, 0.5, 16, dtype=np.float32).reshape(4, 4)


def _apply(op, a, b):
    if op == "tanh": return a.tanh()
    if op == "relu": return a.relu()
    if op == "sigmoid": return a.sigmoid()
    if op == "neg": return -a
    if op == "exp_clamped": return a.clamp(-3, 3).exp()
    if op == "square": return a ** 2
    if op == "add": return a + b
    if op == "sub": return a - b
    if op == "mul": return a * b
    if op == "div_safe": return a / (b * b + 1.0)
    if op == "matmul": return a @ sg.tensor(W)
    if op == "rowsum": return a.sum(1, keepdim=True) * 0.25 + a
    if op == "const": return a * (sg.tensor(2.0) * sg.tensor(1.5))  # a constant subexpression
    raise AssertionError(op)


programs = st.lists(st.tuples(
    st.sampled_from(UNARY + BINARY + ["matmul", "rowsum", "const"]),
    st.integers(0, 100), st.integers(0, 100)), min_size=1, max_size=12)


def _run_program(program, x):
    """Values made by `program` from x; each step reads earlier values (duplicates included,
    so CSE has work to do). Returns every value and the sum of the last ones (the loss)."""
    values = [x]
    for op, i, j in program:
        a, b = values[i % len(values)], values[j % len(values)]
        values.append(_apply(op, a, b))
    loss = values[-1].sum() + values[len(values) // 2].mean()
    return values[1:], loss


@settings(max_examples=25, deadline=None)
@given(programs, st.sampled_from([None] + [p.__name__ for p in ALL]))
def test_each_pass_keeps_results_and_gradients(program, only):
    x_value = np.random.default_rng(len(program)).standard_normal((3, 4)).astype(np.float32)
    x = sg.tensor(x_value, requires_grad=True)
    eager_values, eager_loss = _run_program(program, x)
    eager_loss.backward()
    with static.Graph() as g:
        xs = static.placeholder("x", (None, 4))
        values, loss = _run_program(program, xs)
        grad = static.gradients(loss, xs)
    sess = static.Session(g, passes=None if only is None else [only])
    fetched = sess.run([loss, grad] + values, {xs: x_value})
    np.testing.assert_allclose(fetched[0], eager_loss.item(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fetched[1], x.grad.numpy(), rtol=1e-4, atol=1e-5)
    for got, want in zip(fetched[2:], eager_values):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-6)


def _chain(x):
    return ((x.tanh() * 2.0 + 1.0).relu() - x).sigmoid()


def _chain_graph():
    with static.Graph() as g:
        x = static.placeholder("x", (None, 8))
        y = _chain(x)
    return g, x, y


def test_fusion_turns_a_chain_into_one_node_with_the_same_values():
    g, x, y = _chain_graph()
    sess = static.Session(g, passes=["fusion"])
    fused = [n for n in sess.graph.nodes if n.kind == "fused"]
    assert len(fused) == 1
    assert [n.op for n in fused[0].fused_from] == ["tanh", "mul", "add", "relu", "sub", "sigmoid"]
    assert sess.passes[0].nodes_before - sess.passes[0].nodes_after == 5
    value = np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32)
    np.testing.assert_allclose(sess.run(y, {x: value}), _chain(sg.tensor(value)).numpy(), rtol=1e-6)


def _peak_bytes(sess, fetch, feeds):
    sess.run(fetch, feeds)  # plans and warms up outside the measurement
    tracemalloc.start()
    try:
        sess.run(fetch, feeds)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_fusion_allocates_no_intermediate_arrays():
    g, x, y = _chain_graph()
    value = np.ones((20000, 8), np.float32)
    array = value.nbytes
    plain = _peak_bytes(static.Session(g, passes=[]), y, {x: value})
    fused = _peak_bytes(static.Session(g, passes=["fusion"]), y, {x: value})
    assert plain >= 2 * array   # an op's input and output are alive together
    assert fused < 1.5 * array  # only the result is ever allocated


def test_constant_folding_cse_and_dce():
    with static.Graph() as g:
        x = static.placeholder("x", (None, 3))
        c = sg.tensor(np.arange(3, dtype=np.float32)) * 2.0 + 1.0  # constant-only ops
        a = (x + c).tanh()
        b = (x + c).tanh()  # the same expression again
        x.relu() * 5.0  # built, then dropped: dead code
        y = a * b
    counts = {}
    sess = static.Session(g, passes=["constant_folding", "cse", "dce"])
    for record in sess.passes:
        counts[record.name] = (record.nodes_before, record.nodes_after)
    fold = [n for n in sess.passes[0].after.nodes if n.kind == "constant" and n.fused_from]
    assert [n.fused_from[0].op for n in fold] == ["mul", "add"]
    assert counts["cse"][0] - counts["cse"][1] == 2       # the second add and tanh
    assert counts["dce"][0] - counts["dce"][1] >= 3       # relu, its constant, its mul
    value = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    t = np.tanh(value + np.arange(3, dtype=np.float32) * 2 + 1)
    np.testing.assert_allclose(sess.run(y, {x: value}), t * t, rtol=1e-6)
    assert len(g.nodes) == counts["constant_folding"][0]  # the graph as written is untouched


def test_memory_planning_reuses_buffers_and_lowers_the_peak():
    with static.Graph() as g:
        x = static.placeholder("x", (None, 16))
        h = x
        for _ in range(4):
            h = (h @ sg.tensor(np.eye(16, dtype=np.float32) * 0.5)).tanh() * 2.0 + 0.1
        y = h.sum()
    sess = static.Session(g, batch_size=64)
    memory = sess.memory
    assert memory["buffers"] < 4  # four fused chains share fewer buffers
    assert memory["peak_bytes_after"] < memory["peak_bytes_before"]
    value = np.random.default_rng(2).standard_normal((64, 16)).astype(np.float32)
    unplanned = static.Session(g, passes=[]).run(y, {x: value})
    np.testing.assert_allclose(sess.run(y, {x: value}), unplanned, rtol=1e-6)
    np.testing.assert_allclose(sess.run(y, {x: value}), unplanned, rtol=1e-6)


def test_fetched_values_do_not_alias_reused_buffers():
    g, x, y = _chain_graph()
    sess = static.Session(g)
    first = sess.run(y, {x: np.zeros((2, 8), np.float32)})
    kept = first.copy()
    sess.run(y, {x: np.ones((2, 8), np.float32)})
    np.testing.assert_array_equal(first, kept)


def test_fetched_views_of_fused_values_survive_the_next_run():
    with static.Graph() as g:
        x = static.placeholder("x", (None, 8))
        flat = _chain(x).reshape(-1)
    sess = static.Session(g)
    first = sess.run(flat, {x: np.zeros((2, 8), np.float32)})
    kept = first.copy()
    sess.run(flat, {x: np.ones((2, 8), np.float32)})
    np.testing.assert_array_equal(first, kept)


def test_pass_records_keep_before_and_after_graphs_for_replay():
    g, x, y = _chain_graph()
    sess = static.Session(g)
    assert [p.name for p in sess.passes] == [p.__name__ for p in ALL]
    for earlier, later in zip(sess.passes, sess.passes[1:]):
        assert later.before is earlier.after
    assert sess.passes[-1].after is sess.graph
    assert sess.passes[0].before is not g
    assert len(sess.graph.nodes) < len(g.nodes)


@pytest.mark.parametrize("bad", ["no_such_pass"])
def test_unknown_pass_name_is_an_error(bad):
    g, x, y = _chain_graph()
    with pytest.raises(ValueError, match="no_such_pass"):
        static.Session(g, passes=[bad])
