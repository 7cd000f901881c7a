"""Device faults in the main window: the message shows in the status bar (no dialog), the
one-click "Run on CPU" offer switches the device through the undo stack keeping the trained
weights, and the window stays up and runs on."""
import types

import numpy as np
from PySide6.QtCore import Qt

from app.project.presets import load_preset
from engine import backend
from engine.testing import inject_out_of_memory

from .window_setup import open_window, wait_idle


class _NeverAnArray:
    """No array is of this type: the stand-in GPU's arrays are numpy's."""


def gpu_that_runs_numpy():
    """A stand-in for cupy with one device whose arrays are numpy arrays, so that a project on
    'cuda' builds and runs here (device_of still says "cpu")."""
    runtime = types.SimpleNamespace(getDeviceCount=lambda: 1)
    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime),
                                 ndarray=_NeverAnArray, asarray=np.asarray, asnumpy=np.asarray)


def cuda_window(qtbot, tmp_path, preset):
    window = open_window(qtbot, tmp_path / "data", preset=None)
    project = load_preset(preset)
    project.train.device = "cuda"
    window.set_project(project)
    window.show()
    return window


def step(window, n):
    for _ in range(n):
        window.session.step("iteration")
        wait_idle(window)
    return window.session.state


def weights(window):
    return window.session.built.model.state_dict()


def test_without_cupy_the_status_bar_says_so_and_one_click_switches_to_cpu(
        qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setattr(backend, "_cupy_error", "CuPy is not installed (ModuleNotFoundError)")
    monkeypatch.setattr(backend, "_cuda_status", None)
    window = cuda_window(qtbot, tmp_path, "xor")
    try:
        status = window.status
        assert status.fault.isVisible()
        assert status.fault.text() == "GPU unavailable: CuPy is not installed \u2014 run on CPU?"
        assert status.cpu_offer.isVisible() and status.cpu_offer.text() == "Run on CPU"
        device = window.config.device
        assert not device.model().item(device.findText("cuda")).isEnabled()
        qtbot.mouseClick(status.cpu_offer, Qt.LeftButton)
        assert window.questions == []  # the offer was the user's choice: no second question
        assert window.session.project.train.device == "cpu"
        assert window.config.device.currentText() == "cpu"
        assert not status.fault.isVisible() and not status.cpu_offer.isVisible()
        assert window.undo_stack.undoText() == "run on CPU"
        assert step(window, 2).completed == 2
        assert window.errors == [] and window.isVisible()
    finally:
        window.close()


def test_out_of_memory_in_a_run_shows_the_message_and_the_cpu_offer_keeps_the_weights(
        qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(backend, "_cupy", gpu_that_runs_numpy())
    monkeypatch.setattr(backend, "_cuda_status", None)
    window = cuda_window(qtbot, tmp_path, "spirals")
    try:
        status = window.status
        assert window.session.fault is None and not status.fault.isVisible()
        step(window, 3)
        kept = weights(window)
        with inject_out_of_memory(after=4, nbytes=2 << 30):
            window.session.step("iteration")
            state = wait_idle(window)
        assert state.status == "stopped" and state.completed == 3
        assert status.fault.isVisible() and status.fault.text().startswith("Out of memory")
        assert "2,147,483,648 bytes" in status.fault.toolTip()
        assert "input shapes (" in status.fault.toolTip()
        assert status.cpu_offer.isVisible()
        assert window.statusBar().currentMessage() == state.error  # the hit, inline
        log = window.hit_log
        assert log.item(log.rowCount() - 1, 3).text() == state.error
        assert window.errors == []  # no dialog
        for key, array in kept.items():
            np.testing.assert_array_equal(array, weights(window)[key])
        qtbot.mouseClick(status.cpu_offer, Qt.LeftButton)
        assert window.session.project.train.device == "cpu"
        for key, array in kept.items():
            np.testing.assert_array_equal(array, weights(window)[key])
        assert not status.fault.isVisible() and not status.cpu_offer.isVisible()
        assert step(window, 1).completed == 1 and window.isVisible()
    finally:
        window.close()


def test_out_of_memory_on_the_cpu_shows_the_message_without_an_offer(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data", preset="xor")
    window.show()
    try:
        step(window, 1)
        with inject_out_of_memory(after=1, where="backward"):
            window.session.step("iteration")
            wait_idle(window)
        assert window.status.fault.isVisible() and not window.status.cpu_offer.isVisible()
        assert "(backward, input shapes" in window.status.fault.toolTip()
        assert step(window, 1).completed == 2  # the next command runs
        assert not window.status.fault.isVisible()
    finally:
        window.close()

