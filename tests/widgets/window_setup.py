"""A main window on a preset for the widget tests, with its data (settings, recent files,
autosave) in a temporary directory and message boxes replaced by a record."""
import pytest

from widgets.cli import prefer_the_ui_thread
from widgets.window.main_window import MainWindow
from app.project.presets import load_preset


def open_window(qtbot, data_dir, preset="spirals"):
    prefer_the_ui_thread()  # as the command line does at start-up
    window = MainWindow(data_dir=data_dir, restore_layout=False)
    window.session.build_wait_s = None  # builds end before set_project returns (the
    # window's short wait is tested apart: tests/widgets/test_build_off_ui_thread.py)
    window.errors = []
    window.show_error = lambda title, message: window.errors.append((title, message))
    window.file_actions.ask_save = lambda name: "discard"  # tests of the questions set theirs
    window.file_actions.ask_trust = lambda source, origin, action: True
    window.questions = []  # yes/no questions (an edit that resets training): answered yes
    window.ask = lambda question: window.questions.append(question) or True
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
    assert window.session.wait(timeout)
    window.session.pump()
    return window.session.state
