"""app.debugging.static_debugger: one Session.run per step command, the same losses as dynamic mode,
the breakpoints a compiled iteration can check, fetched-only inspection, reset, and the
session choosing it for mode "static"."""
import threading
from dataclasses import replace

import numpy as np
import pytest

from app.debugging.breakpoints import Breakpoint
from app.project.build import build
from app.debugging.debugger import Debugger
from app.project.presets import load_preset
from app.session import Session
from app.project.specs import LayerSpec
from app.debugging.static_debugger import StaticDebugger


def static_debugger(name="xor", **train):
    project = load_preset(name)
    for field, value in train.items():
        setattr(project.train, field, value)
    return StaticDebugger(build(project), project)


@pytest.fixture
def debugger():
    d = static_debugger()
    yield d
    d.close()


def losses_of(debugger, n):
    losses = []
    debugger.subscribe(iteration_finished=lambda it, loss: losses.append(loss))
    for _ in range(n):
        debugger.step_iteration()
        assert debugger.wait()
    return losses


@pytest.mark.parametrize("name", ["xor", "spirals"])
def test_static_training_gives_the_dynamic_losses(name):
    project = load_preset(name)
    dynamic, static = Debugger(build(project)), StaticDebugger(build(project), project)
    try:
        expected, got = losses_of(dynamic, 20), losses_of(static, 20)
    finally:
        dynamic.close()
        static.close()
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_every_step_command_runs_one_whole_iteration(debugger):
    for n, command in enumerate(("step_op", "step_layer", "step_out", "step_phase",
                                 "step_iteration"), start=1):
        getattr(debugger, command)()
        assert debugger.wait()
        state = debugger.state()
        assert (state.status, state.completed, state.phase) == ("paused", n, "update")
        assert state.last_hit.kind == command
        assert "one Session.run" in state.last_hit.message
    assert "no op to stop at" in _message_of(debugger, "step_op")


def _message_of(debugger, command):
    getattr(debugger, command)()
    assert debugger.wait()
    return debugger.state().last_hit.message


def test_the_graph_is_the_compiled_one_with_its_fused_node(debugger):
    graph = debugger.state().graph
    assert graph == debugger.build.graph_nodes("compiled")
    records = debugger.drain()
    assert records[0].kind == "graph" and records[0].data["nodes"] == graph
    assert [n.fused_from for n in graph if n.op == "fused"] == [("mul", "sub", "mul")]


def test_only_fetched_tensors_can_be_inspected(debugger):
    with pytest.raises(KeyError, match="no iteration has run yet"):
        debugger.value(debugger.loss_key)
    debugger.step_iteration()
    assert debugger.wait()
    assert debugger.value(debugger.loss_key) == pytest.approx(debugger.state().loss)
    message = "static mode: only fetched tensors can be inspected; add 1/tanh#0 to the fetch list"
    with pytest.raises(KeyError, match=message):
        debugger.value("1/tanh#0")
    assert debugger.missing_message("1/tanh#0") == message
    with pytest.raises(KeyError, match="static mode"):
        debugger.grad("1/tanh#0")
    build = debugger.set_fetches(["1/tanh#0"])
    assert build.recompile_seconds > 0 and debugger.fetch_keys == ("1/tanh#0",)
    debugger.step_iteration()
    assert debugger.wait()
    tanh = debugger.value("1/tanh#0")
    assert tanh.shape == (16, 8) and np.all(np.abs(tanh) <= 1)
    assert debugger.history.stats("1/tanh#0")["mean"].shape == (1,)


def test_run_stops_at_an_iteration_breakpoint_then_pauses_and_stops(debugger):
    debugger.set_breakpoints([Breakpoint.iteration(5)])
    debugger.run()
    assert debugger.wait()
    state = debugger.state()
    assert (state.status, state.completed, state.last_hit.kind) == ("paused", 5, "iteration")
    seventh = threading.Event()
    debugger.subscribe(iteration_finished=lambda it, loss: it >= 6 and seventh.set())
    debugger.run()  # iteration 5 runs now; the run goes on until paused
    assert seventh.wait(10)
    debugger.pause()
    assert debugger.wait()
    state = debugger.state()
    assert state.status == "paused" and state.completed >= 7
    debugger.stop()
    assert debugger.wait()
    assert debugger.state().status == "stopped"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow that makes the NaN
def test_a_non_finite_loss_stops_the_run():
    d = static_debugger("nan_demo")
    try:
        d.set_breakpoints([Breakpoint.non_finite()])
        d.run()
        assert d.wait(20)
        state = d.state()
        assert state.last_hit.kind == "non_finite" and not np.isfinite(state.loss)
        assert d.loss_key in state.last_hit.message
    finally:
        d.close()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_hit_counts_and_ignore_counts_work_in_static_mode():
    d = static_debugger("nan_demo")
    non_finite = replace(Breakpoint.non_finite(), ignore=2)
    begins = replace(Breakpoint.iteration(1), ignore=0)
    losses = []
    d.subscribe(iteration_finished=lambda it, loss: losses.append(loss))
    try:
        d.set_breakpoints([non_finite, begins])
        d.run()
        assert d.wait(20)
        assert d.state().last_hit.kind == "iteration" and d.hit_counts() == {begins: 1}
        d.run()
        assert d.wait(20)
        state = d.state()
        assert state.last_hit.kind == "non_finite"  # the third non-finite iteration
        assert d.hit_counts()[non_finite] == 3 and d.hit_counts()[begins] == 1
        first_nan = next(i for i, loss in enumerate(losses) if not np.isfinite(loss))
        assert state.completed == first_nan + 3
    finally:
        d.close()


def test_per_op_breakpoints_are_reported_as_not_available(debugger):
    node = Breakpoint.node("1/tanh#0")
    debugger.set_breakpoints([node, Breakpoint.loss_spike(1)])
    assert debugger.unavailable_breakpoints == (node,)
    message = _message_of(debugger, "step_iteration")
    assert "not available in static mode: node 1/tanh#0" in message


def test_reset_restores_the_initial_weights_and_batches(debugger):
    weights = {k: v.copy() for k, v in debugger.built.model.state_dict().items()}
    first = list(losses_of(debugger, 3))
    debugger.reset()
    assert debugger.wait()
    assert debugger.state().completed == 0 and debugger.history.iterations() == []
    for k, v in debugger.built.model.state_dict().items():
        np.testing.assert_array_equal(v, weights[k])
    assert losses_of(debugger, 3) == first


def test_the_session_picks_static_mode_and_shows_its_build_errors():
    project = load_preset("xor")
    project.train.mode = "static"
    session = Session()
    try:
        session.set_project(project)
        assert isinstance(session.debugger, StaticDebugger)
        session.pump()
        assert any(n.fused_from for n in session.graph)
        session.step("op")
        session.debugger.wait()
        session.pump()
        assert session.state.completed == 1 and len(session.losses) == 1
        assert session.value("1/tanh#0") is None
        assert "add 1/tanh#0 to the fetch list" in session.missing_message("1/tanh#0")
        project.network.layers.insert(1, LayerSpec("BatchNorm1d"))
        session.set_project(project)
        assert session.debugger is None
        assert "row 2 (BatchNorm1d)" in session.run_blocker()
    finally:
        session.close()


def test_a_script_that_branches_on_data_is_refused_in_static_mode_on_its_first_step():
    project = load_preset("dynamic_depth")
    project.train.mode = "static"
    session = Session()
    try:
        session.set_project(project)
        with pytest.raises(RuntimeError, match="static mode cannot compile the model"):
            session.step("iteration")
        assert session.debugger is None
        assert "static.cond" in session.hits[-1].message
    finally:
        session.close()
