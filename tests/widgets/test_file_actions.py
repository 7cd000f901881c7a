"""Nothing lost, nothing run without consent, in the window (issue 23): Save / Discard /
Cancel before New, Open, a preset, a recent file or Quit replace a modified project; saving
keeps weights it cannot replace; refused weights are explained and kept; switching projects
resets the breakpoints and the inspector; a script from a file runs only once allowed."""
import numpy as np
import pytest

from app.project import load_project, load_weights, save_project, weights_path
from app.project.build import build
from app.project.presets import load_preset
from app.project.recent import Autosave
from widgets import save_prompt
from tests.widgets.window_setup import open_window


def modified(window):
    """Make an edit (through the undo stack): the project has unsaved changes."""
    project = load_preset("spirals")
    project.train.lr = 0.123
    window.edit(project, "learning rate")
    assert not window.undo_stack.isClean()


def answering(window, answer):
    asked = []
    window.file_actions.ask_save = lambda name: asked.append(name) or answer
    return asked


@pytest.mark.parametrize("action", ["new", "preset", "open", "recent"])
def test_replacing_a_modified_project_asks_and_cancel_keeps_it(qtbot, tmp_path, action):
    other = tmp_path / "other.json"
    save_project(other, load_preset("xor"))
    window = open_window(qtbot, tmp_path / "data")
    modified(window)
    asked = answering(window, save_prompt.CANCEL)
    replace = {"new": window.file_actions.new,
               "preset": lambda: window.file_actions.open_preset("xor"),
               "open": lambda: window.file_actions.open_file(other),
               "recent": lambda: window.file_actions.open_file(str(other))}[action]
    replace()
    assert asked and window.session.project.train.lr == 0.123  # still there, unsaved
    answering(window, save_prompt.DISCARD)
    replace()
    assert window.session.project.train.lr != 0.123
    window.close()


def test_save_in_the_prompt_saves_before_replacing(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data")
    path = tmp_path / "mine.json"
    window.file_actions.save_to(path)
    modified(window)
    answering(window, save_prompt.SAVE)
    window.file_actions.new()
    assert load_project(path).train.lr == 0.123 and window.session.path is None
    window.close()


def test_quit_with_unsaved_changes_asks_and_cancel_keeps_the_window_and_autosave(qtbot,
                                                                                 tmp_path):
    window = open_window(qtbot, tmp_path / "data")
    modified(window)
    window.write_autosave()
    answering(window, save_prompt.CANCEL)
    assert not window.close()  # Ctrl+Q and the close button go through closeEvent
    assert window.autosave.path.exists()
    answering(window, save_prompt.DISCARD)
    assert window.close()


def test_a_reopened_unbuilt_project_saves_without_losing_its_weights(qtbot, tmp_path):
    path = tmp_path / "script.json"
    project = load_preset("dynamic_depth")
    state = build(project).model.state_dict()
    state = {k: np.full_like(v, 0.25) for k, v in state.items()}
    save_project(path, project, state)
    window = open_window(qtbot, tmp_path / "data", preset=None)
    assert window.file_actions.open_file(path)
    assert window.session.built is None  # a script waits for its first Run
    assert window.file_actions.save_to(path)
    model = build(load_project(path)).model
    load_weights(weights_path(path), model, path)
    assert all(np.all(v == 0.25) for v in model.state_dict().values())
    window.close()


def test_the_autosave_of_an_unbuilt_script_project_carries_its_saved_weights(qtbot,
                                                                              tmp_path):
    path = tmp_path / "script.json"
    project = load_preset("dynamic_depth")
    state = {k: np.full_like(v, 0.5) for k, v in build(project).model.state_dict().items()}
    save_project(path, project, state)
    window = open_window(qtbot, tmp_path / "data", preset=None)
    assert window.file_actions.open_file(path)
    edited = load_project(path)
    edited.description = "edited before the first Run"
    window.edit(edited, "description")
    assert window.session.built is None and window.session.pending_weights == path
    window.write_autosave()
    recovery = window.autosave.path
    model = build(load_project(recovery)).model
    load_weights(weights_path(recovery), model, recovery)  # the crash would keep them
    assert all(np.all(v == 0.5) for v in model.state_dict().values())
    window.close()


def test_refused_weights_are_explained_in_a_dialog_and_kept(qtbot, tmp_path):
    path = tmp_path / "p.json"
    save_project(path, load_preset("xor"), {"0.weight": np.zeros((3, 3), np.float32)})
    refused = weights_path(path)
    window = open_window(qtbot, tmp_path / "data", preset=None)
    window.file_actions.open_file(path)
    assert window.errors and "Saved weights not loaded" == window.errors[-1][0]
    assert "kept" in window.errors[-1][1]
    window.file_actions.save_to(path)
    assert refused.exists() and weights_path(path) != refused
    window.close()


def test_a_save_when_the_worker_does_not_answer_keeps_the_saved_weights(qtbot, tmp_path,
                                                                        monkeypatch):
    path = tmp_path / "p.json"
    window = open_window(qtbot, tmp_path / "data")
    window.file_actions.save_to(path)
    saved = weights_path(path)

    def no_answer(timeout=2.0):
        raise TimeoutError("the training worker finished no iteration")
    monkeypatch.setattr(window.session, "weights", no_answer)
    modified(window)
    assert window.file_actions.save_to(path)
    assert load_project(path).train.lr == 0.123 and weights_path(path) == saved
    assert "without the current weights" in window.statusBar().currentMessage()
    window.close()


def test_a_new_project_forgets_breakpoints_selection_and_the_inspector(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data")
    window.session.select("1")
    window.session.toggle_breakpoint("1")
    window.file_actions.new()
    assert window.session.breakpoint_targets == set() and window.session.selected is None
    assert "nothing selected" in window.inspector.value_plot.note.text()
    window.close()


def test_a_script_from_a_file_runs_only_once_allowed_and_is_remembered(qtbot, tmp_path):
    marker = tmp_path / "ran"
    project = load_preset("dynamic_depth")
    project.network.script = f"open({str(marker)!r}, 'w').write('x')\n" + project.network.script
    path = tmp_path / "from_a_mail.json"
    save_project(path, project)
    window = open_window(qtbot, tmp_path / "data", preset=None)
    window.file_actions.open_file(path)
    asked = []
    window.file_actions.ask_trust = lambda source, origin, action: asked.append(
        (origin, action)) or False
    with pytest.raises(RuntimeError, match="not allowed to run"):
        window.session.step("iteration")
    assert not marker.exists() and asked == [("from_a_mail.json", "Run")]
    assert not window.file_actions.allow_script("Trace")
    window.file_actions.ask_trust = lambda source, origin, action: asked.append(action) or True
    window.session.step("iteration")
    assert window.session.wait(10) and marker.exists()
    window.close()
    again = open_window(qtbot, tmp_path / "data", preset=None)
    again.file_actions.open_file(path)
    again.file_actions.ask_trust = lambda *args: pytest.fail("asked again")
    assert again.file_actions.allow_script("Export")
    again.close()


def test_a_second_instance_closing_keeps_the_first_ones_autosave(qtbot, tmp_path):
    first = open_window(qtbot, tmp_path / "data")
    modified(first)
    first.write_autosave()
    second = open_window(qtbot, tmp_path / "data")
    second.close()  # e.g. main.py --screenshot ending cleanly
    assert first.autosave.path.exists()
    assert Autosave(tmp_path / "data").find_recovery() is None  # the first still runs
    answering(first, save_prompt.DISCARD)
    first.close()


def test_open_data_makes_the_file_the_dataset_saved_by_a_relative_path(qtbot, tmp_path,
                                                                      monkeypatch):
    import json
    import widgets.window.file_actions as file_actions
    from app.project.specs import DatasetSpec
    data = tmp_path / "points.csv"
    data.write_text("".join(f"{i % 3},{i % 5},{i % 2}\n" for i in range(40)))
    window = open_window(qtbot, tmp_path / "data", preset="xor")
    monkeypatch.setattr(file_actions, "open_data",
                        lambda parent, start: DatasetSpec("csv", {"path": str(data)}))
    window.file_actions.open_data()
    assert window.session.project.dataset.name == "csv" and window.session.report.ok
    assert window.config.dataset.currentText() == "csv"  # the dataset list offers it
    path = tmp_path / "mine.json"
    window.file_actions.save_to(path)
    assert json.loads(path.read_text())["dataset"]["params"]["path"] == "points.csv"
    window.undo_stack.undo()
    assert window.session.project.dataset.name == "xor"
    answering(window, save_prompt.DISCARD)
    window.close()


def test_opening_reads_the_data_off_the_ui_thread_and_can_be_cancelled(qtbot, tmp_path,
                                                                       monkeypatch):
    import threading
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QProgressDialog
    import widgets.window.file_actions as file_actions
    from app.project.specs import DatasetSpec
    data = tmp_path / "points.csv"
    data.write_text("".join(f"{i % 3},{i % 5},{i % 2}\n" for i in range(40)))
    project = load_preset("xor")
    project.dataset = DatasetSpec("csv", {"path": str(data)})
    path = tmp_path / "p.json"
    save_project(path, project)
    release, readers = threading.Event(), []
    real = file_actions.load_dataset

    def slow(spec):
        readers.append(threading.current_thread())
        release.wait(10)
        return real(spec)
    monkeypatch.setattr(file_actions, "load_dataset", slow)
    window = open_window(qtbot, tmp_path / "data")

    def cancel():
        dialogs = window.findChildren(QProgressDialog)
        if dialogs and dialogs[-1].isVisible():
            dialogs[-1].cancel()
        else:
            QTimer.singleShot(50, cancel)
    QTimer.singleShot(50, cancel)
    assert not window.file_actions.open_file(path)  # cancelled while reading
    assert window.session.project.dataset.name == "spirals"
    assert readers and readers[0] is not threading.main_thread()
    release.set()
    assert window.file_actions.open_file(path)
    assert window.session.project.dataset.name == "csv"
    window.close()
