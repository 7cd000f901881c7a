"""The Qt adapter delivers the worker's callbacks as signals on the UI thread."""
import threading

import pytest

from app.debugging.breakpoints import Hit
from app.debugging.debugger import Debugger
from engine import nn

from tests.app.debugger_setup import mlp_run

pytest.importorskip("PySide6")
from widgets.window.debugger_signals import DebuggerSignals  # noqa: E402


@pytest.fixture
def signals(qtbot):
    made = []

    def make(run):
        made.append(DebuggerSignals(Debugger(run)))
        return made[-1]
    yield make
    for s in made:
        s.debugger.close()


def test_stopped_and_state_changed_arrive_on_the_ui_thread(qtbot, signals):
    sig = signals(mlp_run())
    threads = []
    sig.stopped.connect(lambda hit: threads.append(threading.current_thread()))
    with qtbot.waitSignal(sig.stopped, timeout=5000) as stopped:
        sig.debugger.step_op()
    hit = stopped.args[0]
    assert isinstance(hit, Hit) and (hit.kind, hit.key) == ("step_op", "0/linear#0")
    assert threads == [threading.main_thread()]
    with qtbot.waitSignal(sig.state_changed, timeout=5000,
                          check_params_cb=lambda s: s.generation == 2 and s.status == "paused"
                          ) as changed:
        sig.debugger.step_layer()
    assert changed.args[0].position.layer_done == "0"


def test_iteration_finished_carries_the_loss(qtbot, signals):
    sig = signals(mlp_run())
    finished = []
    sig.iteration_finished.connect(lambda i, loss: finished.append((i, loss)))
    with qtbot.waitSignals([sig.iteration_finished, sig.stopped], timeout=5000):
        sig.debugger.step_iteration()
    assert finished == [(0, sig.debugger.state().loss)] and finished[0][1] > 0


def test_error_signal_carries_the_message(qtbot, signals):
    sig = signals(mlp_run(model=nn.Sequential(nn.Linear(3, 2))))
    with qtbot.waitSignal(sig.error, timeout=5000) as error:
        sig.debugger.run()
    assert "linear in '0'" in error.args[0] and "(16, 2)" in error.args[0]
