"""File > Import PyTorch model (issue 22): a .py file written for PyTorch becomes a new script
project whose Script tab shows its source and whose model builds on the engine; a modified
project is offered for saving first, and the file's script runs only once the user allowed
it, as a script that came with a project file."""
import pytest
from PySide6.QtWidgets import QFileDialog

from app.project.presets import load_preset
from tests.widgets.window_setup import open_window

TORCH_MODEL = """import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 16)
        self.fc2 = nn.Linear(16, 2)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))
"""


@pytest.fixture
def window(qtbot, tmp_path):
    w = open_window(qtbot, tmp_path / "data", preset="xor")
    yield w
    w.close()


def import_action(window):
    [action] = [a for a in window.menus.file_menu.actions()
                if a.text() == "&Import PyTorch model (.py)..."]
    return action


def choose(monkeypatch, path):
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *args, **kwargs: (str(path), "")))


def recording_trust(window, answer):
    asked = []
    window.file_actions.ask_trust = lambda source, origin, action: asked.append(
        (origin, action)) or answer
    return asked


def test_the_menu_imports_a_torch_model_whose_script_builds_once_allowed(window, qtbot,
                                                                        tmp_path, monkeypatch):
    path = tmp_path / "classifier.py"
    path.write_text(TORCH_MODEL)
    edited = load_preset("xor")
    edited.train.lr = 0.123
    window.edit(edited, "learning rate")
    asked_save = []
    window.file_actions.ask_save = lambda name: asked_save.append(name) or "cancel"
    choose(monkeypatch, path)
    import_action(window).trigger()
    assert asked_save == ["xor"] and window.session.project.train.lr == 0.123  # Cancel kept it
    window.file_actions.ask_save = lambda name: "discard"
    import_action(window).trigger()
    session = window.session
    assert session.project.network.script == TORCH_MODEL and session.project.name == "classifier"
    assert window.script_editor.text() == TORCH_MODEL and window.undo_stack.isClean()
    assert window.graph_tabs.currentWidget() is window.script_page
    assert "import torch, torch.nn as nn" in window.script_editor.notice.text()  # the tab says so
    assert session.built is None and session.path is None  # nothing ran on import
    asked = recording_trust(window, True)
    window.debug_actions.trigger("step_iteration")
    qtbot.waitUntil(lambda: session.built is not None and session.wait(0.01), timeout=10000)
    session.pump()
    assert asked == [("classifier.py", "Run")]
    assert type(session.built.model).__name__ == "Net" and not session.state.error
    assert window.script_editor.error.isHidden()


def test_a_refused_import_runs_nothing(window, tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "from_a_mail.py"
    path.write_text(f"open({str(marker)!r}, 'w').write('x')\n" + TORCH_MODEL)
    assert window.file_actions.import_torch_model(path)
    asked = recording_trust(window, False)
    window.debug_actions.trigger("step_iteration")
    assert asked == [("from_a_mail.py", "Run")]
    assert not window.file_actions.allow_script("Trace")
    assert not marker.exists() and window.session.built is None
    window.file_actions.open_preset("xor")  # the next project's script is not the file's
    assert window.file_actions.script_origin is None


def test_a_file_that_is_not_text_is_refused_with_its_name(window, tmp_path):
    path = tmp_path / "weights.py"
    path.write_bytes(b"\xff\xfe\x00binary")
    assert not window.file_actions.import_torch_model(path)
    [(title, message)] = window.errors
    assert title == "Cannot import the PyTorch model" and "weights.py" in message
    assert "not UTF-8 text" in message and window.session.project.name == "xor"
