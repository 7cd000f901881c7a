"""The main window: each debugger control moves the debugger, F9 breakpoints, save/open
round trip, every preset trains through the window, autosave recovery, saved layout."""
import json

import pytest
from PySide6.QtWidgets import QApplication

from app.project.presets import list_presets, load_preset
from app.project import dumps, load_project, weights_path
from app.debugging.steps import run_steps

from .window_setup import open_window, wait_idle, window  # noqa: F401  (fixture)


def trigger(window, name):
    window.debug_actions.actions[name].trigger()
    return wait_idle(window)


def test_shortcuts_follow_the_ide_conventions(window):
    shortcuts = {name: a.shortcut().toString() for name, a in window.debug_actions.actions.items()}
    assert shortcuts == {"run": "F5", "run_n": "Ctrl+F5", "run_epoch": "Ctrl+Shift+F5",
                         "pause": "F6", "step_op": "F11", "step_layer": "F10",
                         "step_out": "Shift+F11", "step_phase": "Ctrl+F11",
                         "step_iteration": "Ctrl+F10", "reset": "Shift+F5",
                         "toggle_breakpoint": "F9"}
    assert all(not a.icon().isNull() for a in window.debug_actions.actions.values())
    debug_menu = [m for m in window.menuBar().actions() if m.text() == "&Debug"][0].menu()
    assert set(window.debug_actions.actions.values()) <= set(debug_menu.actions())


def test_each_step_control_moves_the_debugger(window):
    state = trigger(window, "step_op")
    assert (state.status, state.phase, state.key, state.iteration) == \
        ("paused", "forward", "0/linear#0", 0)
    state = trigger(window, "step_out")
    assert (state.position.event, state.position.layer_done) == ("layer_end", "0")
    state = trigger(window, "step_op")
    assert state.key == "1/tanh#0"
    state = trigger(window, "step_layer")
    assert (state.position.event, state.position.layer_done) == ("layer_end", "1")
    state = trigger(window, "step_phase")
    assert (state.phase, state.position.event) == ("forward", "phase_end")
    state = trigger(window, "step_op")
    assert (state.phase, state.key) == ("backward", "loss/cross_entropy#0")
    state = trigger(window, "step_phase")
    assert (state.phase, state.position.event, state.completed) == ("backward", "phase_end", 0)
    state = trigger(window, "step_iteration")
    assert (state.completed, state.phase) == (1, "update")
    assert [h.kind for h in window.session.hits][-1] == "step_iteration"
    assert len(window.session.losses) == 1
    assert window.session.stats["0/linear#0"]["grad"]["norm"] > 0
    assert window.status.labels["iteration"].text() == "iteration 1"
    assert window.nodes.rowCount() == len(window.session.graph) == 6

    window.debug_actions.actions["run"].trigger()
    assert window.session.debugger.state().status in ("running", "paused")
    window.debug_actions.actions["pause"].trigger()
    state = wait_idle(window)
    assert state.status == "paused" and state.completed >= 1
    trigger(window, "reset")
    assert (window.session.state.completed, window.session.losses) == (0, [])
    assert window.hit_log.rowCount() == 0


def test_f9_breakpoint_on_the_selected_node_stops_the_run(window):
    session = window.session
    trigger(window, "step_iteration")
    row = [n.key for n in session.graph].index("2/linear#0")
    window.nodes.selectRow(row)
    assert session.selected == "2/linear#0"
    window.debug_actions.actions["toggle_breakpoint"].trigger()
    assert session.breakpoint_targets == {"2/linear#0"}
    state = trigger(window, "run")
    assert (state.key, state.last_hit.kind, state.iteration) == ("2/linear#0", "node", 1)
    assert window.hit_log.item(window.hit_log.rowCount() - 1, 2).text() == "2/linear#0"
    window.debug_actions.actions["toggle_breakpoint"].trigger()
    assert session.breakpoint_targets == set()


def test_layer_selected_in_the_builder_takes_the_breakpoint(window):
    window.builder.stack.setCurrentRow(3)
    assert window.session.selected == "3"
    window.debug_actions.actions["toggle_breakpoint"].trigger()
    state = trigger(window, "run")
    assert state.key == "3/tanh#0" and state.last_hit.kind == "layer"


def test_save_and_open_round_trip(window, tmp_path):
    window.builder.stack.setCurrentRow(0)
    window.builder.editor.fields["out_features"].setValue(24)
    trigger(window, "step_iteration")
    assert not window.undo_stack.isClean()
    path = tmp_path / "net.json"
    assert window.save_to(path)
    assert window.undo_stack.isClean() and window.windowTitle().startswith("net.json ")
    weights = window.session.built.model.state_dict()
    assert json.loads(path.read_text())["network"]["layers"][0]["params"] == {"out_features": 24}
    assert weights_path(path).is_file()

    saved = dumps(window.session.project)
    window.set_project(load_preset("xor"))
    assert window.open_file(path)
    assert dumps(window.session.project) == saved == dumps(load_project(path))
    assert str(path.resolve()) in window.recent.paths()
    assert window.session.path == path
    assert set(weights) == set(window.session.built.model.state_dict())


def test_opening_a_bad_file_reports_and_keeps_the_project(window, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    before = dumps(window.session.project)
    assert not window.open_file(bad)
    assert window.errors and "not valid JSON" in window.errors[-1][1]
    assert dumps(window.session.project) == before


@pytest.mark.parametrize("name", [info.name for info in list_presets()])
def test_every_preset_loads_and_trains_through_the_window(window, name):
    window.set_project(load_preset(name))
    session = window.session
    assert session.run_blocker() == ""
    finished = run_steps(QApplication.instance(), session, 3, timeout_s=30)
    assert session.losses, name
    if finished:
        assert session.state.completed == 3
    else:  # the preset's own breakpoints (NaN demo, dead ReLU) may stop it first
        assert session.hits[-1].kind not in ("step_iteration", "error"), session.hits[-1]
    assert window.nodes.rowCount() == len(session.graph) > 0


def test_autosave_is_offered_after_a_crash(qtbot, tmp_path):
    data = tmp_path / "data"
    first = open_window(qtbot, data)
    first.builder.remove(0)
    first.write_autosave()
    edited = dumps(first.session.project)
    first.session.close()  # a crash: no clean exit
    first.autosave._lock.release()  # (the OS releases a dead process's lock)

    second = open_window(qtbot, data, preset=None)
    second.ask = lambda question: "did not close cleanly" in question
    assert second.offer_recovery()
    assert dumps(second.session.project) == edited
    second.close()
    third = open_window(qtbot, data, preset=None)
    assert not third.offer_recovery()  # a clean exit leaves nothing to recover
    third.close()


def test_layout_is_restored_from_settings(qtbot, tmp_path):
    data = tmp_path / "data"
    first = open_window(qtbot, data)
    first.docks["hits"].hide()
    first.close()
    second = open_window(qtbot, data)
    assert not second.docks["hits"].isHidden()
    second.restore_layout()
    assert second.docks["hits"].isHidden()
    second.close()
    fresh = open_window(qtbot, tmp_path / "other")
    assert not fresh.docks["hits"].isHidden()
    fresh.close()


def test_gpu_choice_is_disabled_with_its_reason_without_cuda(window):
    from app.session import gpu_status
    available, reason = gpu_status()
    device = window.config.device
    item = device.model().item(device.findText("cuda"))
    assert item.isEnabled() == available
    if not available:
        assert reason and reason in device.toolTip()


def test_training_config_edits_the_project(window):
    config = window.config
    config.lr.setValue(0.1)
    config.optimizer.setCurrentText("SGD")
    config.batch_size.setValue(8)
    train = window.session.project.train
    assert (train.lr, train.optimizer, train.batch_size) == (0.1, "SGD", 8)
    assert window.session.built.data.batch_size == 8
    config.dataset.setCurrentText("xor")
    assert window.session.project.dataset.name == "xor"
    assert set(config.param_fields) == {"n", "noise", "seed"}
    window.undo_stack.undo()
    assert window.session.project.dataset.name == "spirals"
    assert config.dataset.currentText() == "spirals"
