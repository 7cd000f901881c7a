"""The breakpoints panel (offscreen, on a session and an undo stack as the window has them):
list, add a condition, enable/disable, ignore count, hit counts, delete, undo, F9 rows."""
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

from app.project.presets import load_preset
from app.session import Session
from widgets.breakpoints_panel import EXPLANATION, BreakpointsPanel
from widgets.window.breakpoints_controller import BreakpointsFeed
from widgets.window.undo import ProjectEdit


@pytest.fixture
def setup(qtbot):
    session = Session()
    session.set_project(load_preset("xor"))
    stack = QUndoStack()
    panel = BreakpointsPanel()
    qtbot.addWidget(panel)
    feed = BreakpointsFeed(session, panel, lambda project, text, merge="": stack.push(
        ProjectEdit(session, project, text, merge)))
    yield session, stack, panel
    del feed
    session.close()


def settle(session):
    assert session.debugger.wait(20)
    session.pump()
    return session.state


def cell(panel, row, column):
    return panel.table.item(row, column).text()


def test_the_default_non_finite_breakpoint_is_listed_and_explained(setup):
    session, _, panel = setup
    assert panel.table.rowCount() == 1
    assert (cell(panel, 0, 1), cell(panel, 0, 2)) == ("anywhere", "non-finite value (NaN/Inf)")
    assert panel.table.item(0, 0).checkState() == Qt.Checked
    assert "on by default" in panel.explanation.text() and EXPLANATION in \
        panel.table.item(0, 2).toolTip()


def test_add_disable_ignore_count_hit_count_delete_and_undo(setup, qtbot):
    session, stack, panel = setup
    session.run_iterations(2)
    settle(session)
    panel.target.setCurrentText("2")
    panel.phase.setCurrentText("forward")
    panel.condition.setCurrentIndex(0)  # every time it runs
    qtbot.mouseClick(panel.add_button, Qt.LeftButton)
    assert panel.table.rowCount() == 2 and cell(panel, 1, 1) == "2 (forward)"
    assert session.state.completed == 2  # added live: the run goes on
    panel.table.cellWidget(1, 4).setValue(2)  # ignore the first 2 hits
    assert session.project.breakpoints[1].ignore_count == 2
    session.run()
    state = settle(session)
    assert (state.last_hit.kind, state.completed) == ("layer", 4)  # hits at 2 and 3 ignored
    assert cell(panel, 1, 3) == "3"
    panel.table.item(1, 0).setCheckState(Qt.Unchecked)  # disable
    assert session.project.breakpoints[1].enabled is False
    session.run_iterations(3)
    assert settle(session).last_hit.kind == "run_to"
    stack.undo()  # enabled again
    assert session.project.breakpoints[1].enabled and panel.table.item(1, 0).checkState() == \
        Qt.Checked
    panel.table.setCurrentCell(1, 1)
    qtbot.mouseClick(panel.delete_button, Qt.LeftButton)
    assert panel.table.rowCount() == 1 and len(session.project.breakpoints) == 1
    stack.undo()
    assert panel.table.rowCount() == 2 and session.state.completed == 7


def test_conditions_with_values_and_bad_input(setup, qtbot):
    session, _, panel = setup
    panel.add_condition("", "both", "loss_up", 3)
    panel.add_condition("1/tanh#0", "backward", "grad_norm_above", 0.25)
    assert [cell(panel, r, 2) for r in (1, 2)] == ["loss above the last 3",
                                                   "gradient norm > 0.25"]
    assert not panel.add_condition("", "both", None)
    assert "needs a node or a layer" in panel.message.text()
    assert not panel.add_condition("no such thing", "both", "non_finite")
    assert "target must be" in panel.message.text() and panel.table.rowCount() == 3
    panel.prepare("1/tanh#0")
    assert panel.target.currentText() == "1/tanh#0" and panel.condition.currentIndex() == 2


def test_f9_toggles_are_listed_and_removed_from_the_panel(setup):
    session, _, panel = setup
    session.toggle_breakpoint("0/linear#0")
    assert panel.table.rowCount() == 2 and "(F9)" in cell(panel, 1, 2)
    panel.table.item(1, 0).setCheckState(Qt.Unchecked)
    assert session.breakpoint_targets == set() and panel.table.rowCount() == 1
