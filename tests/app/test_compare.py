"""The dynamic-vs-static comparison: real figures from the compiled session, live timings
from both modes on copies of the model, and what fetching one more tensor costs."""
import threading

import numpy as np
import pytest

from app.project.build import build
from app.teaching.compare import Comparison, FetchCost, LiveTiming, Timings
from app.debugging.debugger import Debugger
from app.project.presets import load_preset


@pytest.fixture(scope="module")
def project():
    return load_preset("spirals")


@pytest.fixture
def comparison(project):
    return Comparison(project)


def test_pass_figures_are_the_sessions_records(comparison):
    passes = comparison.passes
    assert [p.name for p in passes] == [p.name for p in comparison.static.session.passes]
    assert passes[0].nodes_before == len(comparison.static.written.nodes)
    for before, after in zip(passes, passes[1:]):
        assert before.nodes_after == after.nodes_before
    assert passes[-1].nodes_after == len(comparison.static.compiled.nodes)
    assert passes[-1].nodes_after < passes[0].nodes_before
    assert comparison.compile_seconds >= sum(p.seconds for p in passes) > 0
    before, after = comparison.peak_bytes
    assert 0 < after < before
    fused = comparison.static.fused_keys
    assert fused and set(fused) <= {n.key for n in comparison.compiled_nodes()}


def test_graph_as_written_is_the_debuggers_graph(project, comparison):
    debugger = Debugger(build(project))
    try:
        debugger.step_iteration()
        assert debugger.wait(10)
        shown = debugger.state().graph
    finally:
        debugger.close()
    assert [(n.key, n.op, n.inputs, tuple(n.shape)) for n in comparison.written] == \
        [(n.key, n.op, n.inputs, tuple(n.shape)) for n in shown]


def test_copies_start_from_the_given_weights_and_leave_them_alone(project):
    user = build(project)
    for p in user.model.parameters():
        p.array[...] = np.float32(0.01) * np.arange(p.array.size, dtype=np.float32).reshape(p.shape)
    weights = user.model.state_dict()
    kept = {k: v.copy() for k, v in weights.items()}
    c = Comparison(project, weights)
    for name, value in c.static_run.model.state_dict().items():
        np.testing.assert_array_equal(value, kept[name])
    for _ in range(3):
        c.dynamic_step()
        c.static_step()
    for name, value in user.model.state_dict().items():
        np.testing.assert_array_equal(value, kept[name])
    moved = c.static_run.model.state_dict()
    assert any(not np.array_equal(moved[k], kept[k]) for k in kept)


def test_both_modes_train_the_same_numbers(project):
    c = Comparison(project)
    losses = [(float(c.dynamic_step().item()), float(c.static_step())) for _ in range(5)]
    dynamic, static = np.array(losses).T
    np.testing.assert_allclose(static, dynamic, rtol=1e-5)
    assert dynamic[-1] != dynamic[0]


def test_inspectable_dynamic_every_node_static_only_fetched(comparison):
    dynamic = dict(comparison.inspectable("dynamic"))
    static = dict(comparison.inspectable("static"))
    assert {n.key for n in comparison.written} <= set(dynamic)
    assert all(dynamic[n.key] == "value and gradient" for n in comparison.written)
    assert not {n.key for n in comparison.written} & set(static)
    assert static["loss"] == "value (fetched)"
    with pytest.raises(ValueError, match="dynamic"):
        comparison.inspectable("eager")


def _unfetched(comparison):
    return next(k for k in comparison.static.fetchable_keys()
                if k not in comparison.static.fetch_keys and "linear" in k)


def test_add_fetch_makes_the_node_inspectable_and_reports_the_recompile(comparison):
    key = _unfetched(comparison)
    old = comparison.static
    cost = comparison.add_fetch(key)
    assert isinstance(cost, FetchCost) and cost.key == key
    assert comparison.static is not old and key in comparison.static.fetch_keys
    assert cost.recompile_seconds > 0
    assert cost.static_seconds_before > 0 and cost.static_seconds_after > 0
    assert cost.peak_bytes_before == old.peak_bytes_after
    assert cost.peak_bytes_after == comparison.static.peak_bytes_after
    assert cost.peak_bytes_after >= cost.peak_bytes_before
    assert dict(comparison.inspectable("static"))[key] == "value (fetched)"
    assert comparison.fetch_costs == [cost]
    with pytest.raises(ValueError, match="already fetched"):
        comparison.add_fetch(key)
    with pytest.raises(KeyError, match="compiled graph"):
        comparison.add_fetch("no/such#0")


def test_fetched_value_is_the_layers_output(comparison):
    key = "0/linear#0"  # the first layer reads the batch: its output is x W^T + b
    comparison.add_fetch(key)
    layer = comparison.static_run.model[0]
    x = comparison.batch[0].numpy()
    expected = x @ layer.weight.numpy().T + layer.bias.numpy()  # weights before the step
    comparison.static_step()
    np.testing.assert_allclose(comparison.static.fetched[key], expected, rtol=1e-5, atol=1e-6)


def test_live_timing_measures_both_modes_and_serves_fetches(project):
    c = Comparison(project)
    got, lock, done = [], threading.Lock(), threading.Event()

    def on_update(item):
        with lock:
            got.append(item)
            measured = isinstance(item, Timings) and item.dynamic_seconds and item.static_seconds
            if measured or isinstance(item, Exception):
                done.set()

    timing = LiveTiming(c, on_update)
    key = _unfetched(c)
    timing.request_fetch(key)
    timing.start()
    assert done.wait(30)
    assert timing.stop()
    assert not timing.running
    errors = [e for e in got if isinstance(e, Exception)]
    assert not errors, errors
    final = timing.timings()
    assert final.dynamic_seconds > 0 and final.static_seconds > 0
    assert final.dynamic_steps > 0 and final.static_steps > 0
    assert final.speedup == pytest.approx(final.dynamic_seconds / final.static_seconds)
    assert [f.key for f in got if isinstance(f, FetchCost)] == [key]
    assert key in c.static.fetch_keys


def test_live_timing_reports_a_bad_fetch_and_goes_on(project):
    c = Comparison(project)
    got, done = [], threading.Event()

    def on_update(item):
        got.append(item)
        if isinstance(item, Timings) and item.static_steps:
            done.set()

    timing = LiveTiming(c, on_update)
    timing.request_fetch("no/such#0")
    timing.start()
    assert done.wait(30)
    assert timing.stop()
    assert isinstance(got[0], KeyError) and "no/such#0" in str(got[0])
    assert timing.error is None
