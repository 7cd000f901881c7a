"""Debugging as an IDE user expects, driven through the main window (offscreen): the
breakpoints panel, the default non-finite stop showing where it happened, backward blame of
a sqrt(0), the backward graph stepped, live optimizer edits, Run N with progress, the redo
shortcuts, the hits log and the step-time label."""
import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.project.specs import LayerSpec, NetworkSpec, Project
from tests.widgets.window_setup import open_window, wait_idle

ROOT = Path(__file__).resolve().parents[2]
SQRT_OF_ZERO = """
class SqrtOfZero(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 4)
        self.out = nn.Linear(4, 2)

    def forward(self, x):
        h = self.fc(x)
        return self.out((h * 0.0).sqrt() + h)
"""


@pytest.fixture
def make_window(qtbot, tmp_path):
    made = []

    def make(preset="xor"):
        made.append(open_window(qtbot, tmp_path / f"data{len(made)}", preset))
        return made[-1]
    yield make
    for w in made:
        w.close()


def trigger(window, name):
    window.debug_actions.actions[name].trigger()
    return wait_idle(window, 30)


def test_breakpoints_panel_in_the_window_adds_disables_and_ignores(make_window, qtbot):
    window = make_window()
    panel = window.breakpoints.panel
    assert window.docks["hits"].windowTitle() == "Breakpoints"
    window.graph_view.condition_requested.emit("1")  # the graph's "Add condition..."
    assert panel.target.currentText() == "1"
    assert window.breakpoints.tabs.currentWidget() is panel
    panel.condition.setCurrentIndex(0)
    qtbot.mouseClick(panel.add_button, Qt.LeftButton)
    panel.table.cellWidget(1, 4).setValue(1)
    state = trigger(window, "run")
    assert (state.last_hit.kind, state.phase, state.completed) == ("layer", "backward", 0)
    assert panel.table.item(1, 3).text() == "2"
    panel.table.item(1, 0).setCheckState(Qt.Unchecked)
    window.debug_actions.iterations = 3
    assert trigger(window, "run_n").last_hit.kind == "run_to"
    window.undo_stack.undo()
    assert window.session.project.breakpoints[1].enabled
    assert window.session.state.completed == 3  # undoing a breakpoint edit keeps the run


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_nan_stops_by_default_and_shows_where_it_happened(make_window):
    window = make_window("nan_demo")
    state = trigger(window, "run")
    hit = state.last_hit
    assert hit.kind == "non_finite" and window.session.selected == hit.key
    assert window.graph_view.selected_key() == hit.key
    assert window.graph_view.items[window.graph_view._visible(state.key)].current
    inspector = window.inspector
    assert inspector.key == hit.key and inspector.inputs.rowCount() >= 1
    assert inspector.input_keys == [s for s, _ in window.session.node_inputs(hit.key)]
    assert window.hit_log.rowCount() == 1 and "non-finite" in window.hit_log.item(0, 3).text()
    first = inspector.input_keys[0]
    inspector.inputs.cellClicked.emit(0, 0)  # click an input: go to it
    assert window.session.selected == first


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_sqrt_of_zero_in_backward_is_blamed_on_sqrt(make_window):
    window = make_window(None)
    window.session.script_consent = None
    window.set_project(Project(network=NetworkSpec(script=SQRT_OF_ZERO)))
    state = trigger(window, "run")
    hit = state.last_hit
    assert (hit.kind, hit.phase, hit.key) == ("non_finite", "backward", "/sqrt#0")
    assert state.key == "/mul#0"  # the gradient arrived there; sqrt's backward made it
    assert window.session.selected == "/sqrt#0" and "incoming" in hit.details
    assert window.inspector.input_keys == ["/mul#0"]


def test_the_backward_graph_lights_up_as_backward_is_stepped(make_window, qtbot):
    window = make_window()
    view = window.graph_view
    trigger(window, "step_iteration")
    qtbot.mouseClick(view.backward_toggle, Qt.LeftButton)
    assert any(k.startswith("grad:") for k in view.items)
    state = trigger(window, "step_phase")  # the end of forward: no gradient yet
    assert state.phase == "forward" and view._edge_items[1].path().elementCount() == 0
    lit = []
    for _ in range(3):
        state = trigger(window, "step_op")
        assert state.phase == "backward"
        lit.append(view._edge_items[1].path().elementCount())
        assert view.items["grad:" + view._visible(state.key)].current
    assert lit[0] < lit[-1]


def test_editing_the_learning_rate_while_running_keeps_the_run(make_window):
    window = make_window()
    trigger(window, "step_iteration")
    window.session.run()
    window.config.lr.setValue(0.25)  # while it runs
    window.session.pause()
    state = wait_idle(window, 30)
    assert state.completed >= 1 and window.session.built.optimizer.lr == 0.25
    assert window.session.losses[0][0] == 0  # the curves were not wiped
    asked = []
    window.ask = lambda question: asked.append(question) or False
    edited = copy.deepcopy(window.session.project)
    edited.network.layers[0] = LayerSpec("Linear", {"out_features": 4})
    window.edit(edited, "change a layer")
    assert asked and "resets training" in asked[0]
    assert window.session.state.completed == state.completed  # cancelled: nothing reset


def test_run_n_iterations_shows_progress_and_the_step_time_label(make_window, qtbot):
    window = make_window()
    window.toolbar.iterations.setValue(40)
    window.debug_actions.actions["run_n"].trigger()
    progress = window.status.progress
    assert not progress.isHidden() and progress.maximum() == 40
    state = wait_idle(window, 60)
    assert state.completed == 40 and progress.isHidden()
    assert "ms/iteration" in window.status.labels["time"].text()
    trigger(window, "step_iteration")
    assert window.status.labels["time"].text().startswith("last step")
    assert window.hit_log.rowCount() == 0  # plain step ends and run-to stops are no hits


def test_redo_shortcuts_ctrl_shift_z_and_ctrl_y(make_window, qtbot, qtlog):
    window = make_window()
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.config.lr.setValue(0.2)
    for keys in ((Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier),
                 (Qt.Key_Y, Qt.ControlModifier)):
        window.undo_stack.undo()
        assert window.session.project.train.lr != 0.2
        QTest.keyClick(window, keys[0], keys[1])
        assert window.session.project.train.lr == 0.2
    assert not [r for r in qtlog.records if "Ambiguous" in r.message]


def test_select_of_an_unknown_node_on_the_command_line_is_an_error(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    done = subprocess.run([sys.executable, "main.py", "--preset", "xor", "--steps", "1",
                           "--select", "9/nope#0", "--screenshot", str(tmp_path / "s.png")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--select 9/nope#0: no such node" in done.stderr


def test_optimizer_settings_edit_live_and_show_per_optimizer(make_window):
    window = make_window()
    config = window.config
    assert window.session.project.train.optimizer == "SGD"
    assert not config.momentum.isHidden() and config.beta1.isHidden()
    trigger(window, "step_iteration")
    window.session.run()
    config.momentum.setValue(0.9)  # while it runs
    config.weight_decay.setValue(0.001)
    window.session.pause()
    state = wait_idle(window, 30)
    optimizer = window.session.built.optimizer
    assert state.completed >= 1 and optimizer.momentum == 0.9
    assert optimizer.weight_decay == 0.001 and window.session.losses[0][0] == 0
    config.optimizer.setCurrentText("Adam")  # a new update rule resets: asked first
    assert window.questions and "resets training" in window.questions[-1]
    wait_idle(window, 30)
    assert window.session.project.train.optimizer == "Adam"
    assert config.momentum.isHidden() and not config.beta1.isHidden()
    trigger(window, "step_iteration")
    wait_idle(window, 30)
    config.beta2.setValue(0.99)
    assert window.session.built.optimizer.betas == (0.9, 0.99)
    assert window.session.state.completed >= 1
    window.undo_stack.undo()
    assert tuple(window.session.project.train.betas) == (0.9, 0.999)
