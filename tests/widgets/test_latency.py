"""The UI thread stays responsive while the debugger free-runs a preset: a 10 ms QTimer
never waits more than 100 ms between two ticks (the issue's latency requirement)."""
import time

from PySide6.QtCore import QTimer

from .window_setup import wait_idle, window  # noqa: F401  (fixture)

RUN_SECONDS = 2.0
MAX_GAP_S = 0.100


def test_ui_thread_is_never_blocked_while_training(window, qtbot):
    window.debug_actions.actions["step_iteration"].trigger()
    wait_idle(window)
    window.graph_view.select_node("2/linear#0")  # the inspector and the graph are in play
    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    qtbot.wait(50)
    window.debug_actions.actions["run"].trigger()
    qtbot.wait(int(RUN_SECONDS * 1000))
    window.debug_actions.actions["pause"].trigger()
    timer.stop()
    state = wait_idle(window)

    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert len(ticks) > RUN_SECONDS / 0.010 / 4
    assert max(gaps) < MAX_GAP_S, f"the UI thread was blocked {max(gaps) * 1e3:.0f} ms"
    assert state.status == "paused" and state.completed > 50  # it did train meanwhile
    assert len(window.session.losses) == state.completed
    assert window.inspector.key == "2/linear#0"  # refreshed at the stop
    assert window.graph_view.current == state.key
    assert window.curves.loss_curve.getData()[0] is not None
