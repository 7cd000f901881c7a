"""The session as the only door from the views to the run (app/session_reads.py): node views
with their statistics, a selected parameter, gradient-check inputs, the decision surface's
availability, the worker hook, and the two debuggers told apart by declared capabilities."""
import threading

import numpy as np
import pytest

from app.debugging.debugger import Debugger
from app.debugging.interface import BaseDebugger
from app.debugging.static_debugger import StaticDebugger
from app.debugging.statistics import stats_dict, summarize
from app.project.presets import load_preset
from app.session import Session
from app.session_reads import array_stats


@pytest.fixture
def session():
    s = Session()
    yield s
    s.close()


def stepped(session, preset="xor", command="iteration", mode="dynamic"):
    project = load_preset(preset)
    project.train.mode = mode
    session.set_project(project)
    session.step(command)
    assert session.wait(10)
    session.pump()
    return session


def test_array_stats_are_the_kernels_statistics():
    a = np.arange(12, dtype=np.float32).reshape(3, 4) - 4
    assert array_stats(a) == stats_dict(summarize([a])[0])
    assert array_stats(a)["mean"] == pytest.approx(1.5) and array_stats(a)["min"] == -4


def test_node_view_live_has_the_statistics_of_the_very_tensors(session):
    stepped(session, command="op")  # forward of the first op: a value, no gradient yet
    key = session.state.key
    node = session.node_view(key)
    np.testing.assert_array_equal(node.value, session.value(key))
    assert node.grad is None and node.message is None and node.device == "cpu"
    assert node.stats == {"value": array_stats(node.value)}  # no stale gradient statistics
    assert session.input_rows(key)[0]["key"] == "input"
    assert session.input_rows(key)[0]["stats"] == array_stats(session.node_inputs(key)[0][1])


def test_node_view_of_an_older_iteration_comes_from_the_history(session):
    stepped(session)
    key = session.graph[0].key
    for _ in range(2):
        session.step("iteration")
        assert session.wait(10)
    session.pump()
    session.view_iteration(0)
    node = session.node_view(key)
    assert node.message.startswith("iteration 0") and node.device == "cpu"
    assert node.stats["value"] == session.stats_at(key, 0)["value"]


def test_a_parameter_and_the_inputs_of_its_gradient_check(session):
    stepped(session)
    param = session.parameter("0.weight")
    assert param.value.shape == session.parameter_shapes()["0.weight"]
    assert param.grad is not None and param.stats["grad"] == array_stats(param.grad)
    assert session.parameter("0/linear#0") is None and session.parameter("nope") is None
    model, loss_fn, x, y = session.gradient_check_inputs("0.weight", 8)
    assert len(x) == len(y) == 8
    np.testing.assert_array_equal(dict(model.named_parameters())["0.weight"].numpy(),
                                  param.value)
    dict(model.named_parameters())["0.weight"].numpy()[...] = 0  # a copy: the run keeps its own
    assert np.abs(session.parameter("0.weight").value).sum() > 0
    with pytest.raises(ValueError, match="select a parameter node"):
        session.gradient_check_inputs("0/linear#0", 8)


def test_a_running_session_is_not_idle_and_refuses_a_gradient_check(session):
    stepped(session)
    session.run()
    assert not session.is_idle()  # a command is pending or the worker runs
    with pytest.raises(ValueError, match="pause the run first"):
        session.gradient_check_inputs("0.weight", 8)
    session.pause()
    assert session.wait(10)
    session.pump()
    assert session.is_idle()


def test_surface_blocker_and_the_worker_hook(session):
    assert session.surface_blocker() == "no project is open"
    session.set_project(load_preset("sine"))
    assert "2-D inputs" in session.surface_blocker()
    session.set_project(load_preset("xor"))
    assert session.surface_blocker() == ""
    threads, run_id = [], session.run_id
    session.on_iteration_finished(lambda it, loss: threads.append(threading.current_thread()))
    session.step("iteration")
    assert session.wait(10)
    assert threads and threads[0] is not threading.main_thread()
    assert session.decision_surface(8).values.shape[:2] == (8, 8)
    session.set_project(load_preset("xor"))
    assert session.run_id == run_id + 1  # another model: views know their hooks are gone


def test_the_debuggers_declare_their_capabilities(session):
    assert Debugger.sees_every_op and not Debugger.fetches
    assert StaticDebugger.fetches and not StaticDebugger.sees_every_op
    assert issubclass(Debugger, BaseDebugger) and issubclass(StaticDebugger, BaseDebugger)
    with pytest.raises(TypeError):
        BaseDebugger()  # value, grad and set_breakpoints are declared abstract
    stepped(session, mode="static")
    key = session.graph[0].key
    assert session.gradient_keys() == [] and session.node_inputs(key)
    assert all(array is None for _, array in session.node_inputs(key))
    assert "fetch" in session.missing_message(key) or session.can_fetch(key)
    stepped(session, mode="dynamic")
    assert session.gradient_keys() and not session.can_fetch(session.graph[0].key)
