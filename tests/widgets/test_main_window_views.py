"""The graph view and the inspector inside the main window: selection, breakpoints from the
graph, the current node and the inspected tensors follow the debugger."""
import numpy as np

from .window_setup import wait_idle, window  # noqa: F401  (fixture)


def step(window, name):
    window.debug_actions.actions[name].trigger()
    return wait_idle(window)


def test_graph_shows_the_iteration_and_marks_the_current_node(window):
    state = step(window, "step_op")
    graph = window.graph_view
    assert set(graph.full.by_key) >= {n.key for n in window.session.graph}
    assert graph.current == state.key == "0/linear#0"
    step(window, "step_iteration")
    assert "4/linear#0" in graph.items and graph.stats["grad"]["4/linear#0"][4] > 0


def test_selecting_a_graph_node_inspects_its_value_and_gradient(window):
    step(window, "step_iteration")
    window.graph_view.select_node("2/linear#0")
    session, inspector = window.session, window.inspector
    assert session.selected == "2/linear#0" == inspector.key
    np.testing.assert_array_equal(inspector.arrays["value"], session.value("2/linear#0"))
    np.testing.assert_array_equal(inspector.arrays["grad"], session.grad("2/linear#0"))
    assert inspector.arrays["value"].shape == (16, 32)
    row = [n.key for n in session.graph].index("2/linear#0")
    assert window.nodes.selectedIndexes()[0].row() == row


def test_breakpoint_toggled_in_the_graph_reaches_the_debugger(window):
    step(window, "step_iteration")
    window.graph_view.toggle_breakpoint("3", "layer")
    assert window.session.breakpoint_targets == {"3"}
    state = step(window, "run")
    assert state.last_hit.kind == "layer" and state.key == "3/tanh#0"
    window.graph_view.toggle_breakpoint("3", "layer")
    assert window.session.breakpoint_targets == set()
    assert window.graph_view.breakpoints == set()
