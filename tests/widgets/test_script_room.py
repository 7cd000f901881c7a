"""The Script tab with room: the editor is a tab beside the graph (the centre takes most of the
width while it is shown), it has line numbers, the line a paused forward is on is marked as
the user steps op by op, and edits not applied yet are flagged and not lost on Save (a prompt:
apply them, save without them, or cancel)."""
import pytest
from PySide6.QtWidgets import QMessageBox

from .window_setup import open_window, wait_idle


@pytest.fixture
def window(qtbot, tmp_path):
    w = open_window(qtbot, tmp_path / "data", preset="dynamic_depth")
    w.show()
    yield w
    w.close()


def test_the_script_tab_is_beside_the_graph_and_gets_the_width(window, qtbot):
    tabs, graph = window.graph_tabs, window.docks["graph"]
    assert tabs.tabText(tabs.indexOf(window.script_page)) == "Script"
    qtbot.wait(50)
    before = graph.width()
    tabs.setCurrentWidget(window.script_page)
    qtbot.waitUntil(lambda: graph.width() > 1.4 * before)
    assert window.script_editor.editor.gutter.width() > 0  # line numbers
    tabs.setCurrentWidget(window.graph_view)
    qtbot.waitUntil(lambda: abs(graph.width() - before) <= 8)


def test_stepping_marks_the_line_forward_is_on(window):
    editor = window.script_editor.editor
    lines = []
    for _ in range(4):
        window.debug_actions.trigger("step_op")
        wait_idle(window)
        window.session.pump()
        lines.append(editor.current_line)
    source = window.script_editor.text().splitlines()
    assert all(line is not None for line in lines)
    assert "self.embed(x)" in source[lines[0] - 1]
    assert "x[:, 0].mean()" in source[lines[-1] - 1]
    window.debug_actions.trigger("step_iteration")
    wait_idle(window)
    window.session.pump()
    assert editor.current_line is None  # the iteration ended: not in forward


def test_unapplied_edits_are_flagged_and_save_asks(window, tmp_path, monkeypatch):
    editor = window.script_editor
    assert editor.unapplied.isHidden()
    editor.editor.appendPlainText("# a comment not applied yet")
    assert not editor.unapplied.isHidden()
    answers = iter([QMessageBox.Cancel, QMessageBox.Yes])
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: next(answers))
    path = tmp_path / "p.json"
    assert not window.script_tab.ready_to_save()  # Cancel: no save
    assert window.script_tab.ready_to_save()  # Yes: applied first
    assert window.session.project.network.script.endswith("# a comment not applied yet")
    assert editor.unapplied.isHidden()
    assert window.save_to(path) and "not applied" in path.read_text()
