"""The Script tab in the main window: loading the script preset runs nothing; a step builds
the script's model and draws its graph, which changes with the batch; a script error
highlights its line with the message under the editor and the app stays usable; the
control-flow contrast shows the trace warning and the static.cond form."""
import pytest
from PySide6.QtCore import Qt

from tests.widgets.window_setup import open_window, wait_idle

BAD_SYNTAX = "class Net(nn.Module):\n    def forward(self, x)\n        return x\n"


@pytest.fixture
def window(qtbot, tmp_path):
    w = open_window(qtbot, tmp_path / "data", preset="dynamic_depth")
    yield w
    w.close()


def shown_keys(view):
    return {n.key for n in view.full.nodes if "vanished" not in n.status}


def step_iteration(window):
    window.debug_actions.trigger("step_iteration")
    return wait_idle(window)


def apply(window, qtbot, text):
    window.script_editor.editor.setPlainText(text)
    qtbot.mouseClick(window.script_editor.apply_button, Qt.LeftButton)


def test_loading_the_preset_shows_the_script_and_runs_nothing(window):
    session, editor = window.session, window.script_editor
    assert session.built is None and session.debugger is None
    assert editor.text() == session.project.network.script and "class DynamicDepth" in editor.text()
    assert not editor.apply_button.isEnabled() and editor.error.isHidden()
    assert window.debug_actions.actions["step_iteration"].isEnabled()
    assert shown_keys(window.graph_view) == set()
    assert "Script tab's model: this layer list is ignored" in window.builder.summary.text()


def test_steps_build_the_model_and_the_graph_changes_with_the_batch(window):
    step_iteration(window)
    first = shown_keys(window.graph_view)
    assert "block/linear#0" in first and window.session.built is not None
    step_iteration(window)
    second = shown_keys(window.graph_view)
    assert second and first != second
    assert window.session.state.new_keys | window.session.state.absent_keys


def test_a_syntax_error_highlights_its_line_and_the_app_stays_up(window, qtbot):
    apply(window, qtbot, BAD_SYNTAX)
    assert window.undo_stack.count() == 1
    assert window.session.project.network.script == BAD_SYNTAX
    window.debug_actions.trigger("step_iteration")
    editor = window.script_editor
    assert editor.editor.highlighted_line() == 2
    assert not editor.error.isHidden() and "line 2: SyntaxError" in editor.error.text()
    assert window.session.hits[-1].kind == "error"
    assert "the script failed" in window.statusBar().currentMessage()
    window.undo_stack.undo()  # back to the preset's script: the error goes, stepping works
    assert editor.editor.highlighted_line() is None and editor.error.isHidden()
    step_iteration(window)
    assert shown_keys(window.graph_view)


def test_an_error_in_forward_during_a_step_shows_its_line(window, qtbot):
    source = window.session.project.network.script.replace(
        "        return self.head(h)",
        "        h = h.reshape(2, -1)  # fits the two samples checked on build only\n"
        "        return self.head(h)")
    line = source.splitlines().index("        return self.head(h)") + 1
    apply(window, qtbot, source)
    state = step_iteration(window)
    assert state.error.startswith(f"ScriptError: line {line}: ")
    assert window.script_editor.editor.highlighted_line() == line
    assert "(2, 256)" in window.script_editor.error.text()


def test_the_contrast_shows_the_trace_warning_and_the_cond_form(window, qtbot):
    source = window.session.project.network.script.splitlines()
    if_lines = [str(i + 1) for i, text in enumerate(source) if text.lstrip().startswith("if x")]
    qtbot.mouseClick(window.control_flow.trace_button, Qt.LeftButton)
    report = window.control_flow.report.toPlainText()
    assert f"(TraceWarning) at script line(s) {', '.join(if_lines)}:" in report
    assert "bool() of a traced tensor" in report
    assert "trace kept another branch" in report and "static.cond" in report
    assert "traced with_cond (6 ops): positive batch right, negative batch right" in report
    assert window.session.built is None  # the contrast ran on its own build
