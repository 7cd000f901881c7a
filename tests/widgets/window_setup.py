"""A main window on a preset for the widget tests, with its data (settings, recent files,
autosave) in a temporary directory and message boxes replaced by a record."""
import pytest

from widgets.window.main_window import MainWindow
from app.project.presets import load_preset


def open_window(qtbot, data_dir, preset="spirals"):
    window = MainWindow(data_dir=data_dir, restore_layout=False)
    window.errors = []
    window.show_error = lambda title, message: window.errors.append((title, message))
    qtbot.addWidget(window)
    if preset:
        window.set_project(load_preset(preset))
    return window


@pytest.fixture
def window(qtbot, tmp_path):
    w = open_window(qtbot, tmp_path / "data")
    yield w
    w.close()


def wait_idle(window, timeout=10.0):
    """Wait for the debugger to stop or pause, then bring the session up to date."""
    assert window.session.debugger.wait(timeout)
    window.session.pump()
    return window.session.state
