"""The timeline in the main window: it lists the recorded iterations, and choosing an older
one shows the graph and the inspector as they were then (full tensors where the history
kept them, else statistics only); a step returns to live."""
import numpy as np

from .window_setup import wait_idle, window  # noqa: F401  (fixture)

KEY = "3/tanh#0"


def run_iterations(window, n):
    for _ in range(n):
        window.debug_actions.actions["step_iteration"].trigger()
        wait_idle(window)


def test_timeline_lists_the_recorded_iterations(window):
    run_iterations(window, 4)
    history = window.session.debugger.history
    assert window.timeline.iterations == history.iterations() == [0, 1, 2, 3]
    assert window.timeline.chosen() == 3
    assert window.timeline.kept == {0, 1, 2, 3}


def test_an_older_kept_iteration_shows_its_tensors(window):
    run_iterations(window, 4)
    window.session.select(KEY)
    history, inspector = window.session.debugger.history, window.inspector
    live = inspector.arrays["value"].copy()
    window.timeline.set_iteration(1)
    assert window.session.viewed == 1
    np.testing.assert_array_equal(inspector.arrays["value"], history.tensor(KEY, 1))
    np.testing.assert_array_equal(inspector.arrays["grad"], history.tensor(KEY, 1, "grad"))
    assert not np.array_equal(inspector.arrays["value"], live)
    row = window.graph_view.stats["grad"][KEY]
    assert row[4] == history.stats_at(KEY, 1, "grad")["norm"]
    assert "full tensors" in window.timeline.label.text()
    assert "viewing iteration 1" in window.statusBar().currentMessage()


def test_a_dropped_iteration_shows_statistics_only(window):
    window.session.debugger.history.memory_budget = 1  # nothing fits: statistics only
    run_iterations(window, 3)
    window.session.select(KEY)
    window.timeline.set_iteration(0)
    inspector, history = window.inspector, window.session.debugger.history
    assert inspector.arrays == {"value": None, "grad": None}
    assert ("statistics only: full tensors of iteration 0 were dropped (memory budget)"
            in inspector.header.text())
    mean = history.stats_at(KEY, 0)["mean"]
    assert inspector.table.item(0, 0).text() == f"{mean:.5g}"
    assert "statistics only" in window.timeline.label.text()
    assert "statistics only" in window.statusBar().currentMessage()


def test_a_step_or_the_newest_iteration_returns_to_live(window):
    run_iterations(window, 3)
    window.session.select(KEY)
    window.timeline.set_iteration(0)
    window.timeline.set_iteration(2)
    assert window.session.viewed is None
    assert window.statusBar().currentMessage() == "back to live"
    window.timeline.set_iteration(1)
    run_iterations(window, 1)
    assert window.session.viewed is None
    assert window.timeline.chosen() == 3
    np.testing.assert_array_equal(window.inspector.arrays["value"], window.session.value(KEY))
    live = window.session.stats[KEY]["grad"]["norm"]
    assert window.graph_view.stats["grad"][KEY][4] == live
