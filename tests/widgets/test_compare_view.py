"""The compare view in the main window on the spirals preset: both graphs drawn, the passes
table filled, live timings of both modes, and Add to fetch list with its recompile cost."""
import re

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from widgets.compare_view import READABLE_SCALE

from .window_setup import open_window, window  # noqa: F401  (fixture)

SCREENSHOT = "/tmp/compare.png"


def open_compare(window, qtbot):
    window.show()
    window.graph_tabs.setCurrentWidget(window.compare_view)
    window.compare_view.refresh_button.click()
    qtbot.waitUntil(lambda: window.compare.comparison is not None, timeout=20000)
    return window.compare_view


def test_compare_tab_is_beside_the_graph(window):
    tabs = window.graph_tabs
    assert tabs.tabText(tabs.indexOf(window.compare_view)) == "Dynamic vs static"


def test_compare_shows_both_graphs_passes_and_live_timings(window, qtbot):
    view = open_compare(window, qtbot)
    comparison = window.compare.comparison
    assert view.written_view.visible_node_count() > 0
    assert view.compiled_view.visible_node_count() > 0
    assert view.written_box.title().startswith(
        f"As written: {comparison.passes[0].nodes_before} nodes, "
        f"{len(comparison.written_static_nodes())} ops")
    view.written_choice.setCurrentIndex(1)  # the dynamic graph of one iteration
    assert view.written_box.title().startswith(
        f"As written: {len(comparison.written)} forward ops")
    assert view.written_view.visible_node_count() >= len(comparison.written)
    view.written_choice.setCurrentIndex(0)
    fused = len(comparison.static.fused_keys)
    assert fused > 0 and view.compiled_box.title().startswith(
        f"Compiled: {comparison.passes[-1].nodes_after} nodes, "
        f"{len(comparison.compiled_nodes())} ops, {fused} fused")
    table = view.passes_table
    assert table.rowCount() == len(comparison.passes)
    for row, record in enumerate(comparison.passes):
        assert table.item(row, 0).text() == record.name
        assert table.item(row, 1).text() == f"{record.nodes_before} → {record.nodes_after}"
    assert "compile time" in view.compile_label.text() and "ms" in view.compile_label.text()
    assert "→" in view.memory_label.text()
    assert view.static_list.item(0).text() == "loss"
    assert view.dynamic_list.count() > view.static_list.count()

    figures = re.compile(r"dynamic [\d.]+ [µm]?s · static [\d.]+ [µm]?s \([\d.]+× (faster|slower)\)")
    qtbot.waitUntil(lambda: figures.search(view.time_label.text()) is not None, timeout=20000)
    assert view.timing_button.isChecked()
    timings = window.compare.timing.timings()
    assert timings.dynamic_steps > 0 and timings.static_steps > 0
    view.graphs_button.click()  # the graphs fill the tab, in place: nothing floats
    assert view.details.isHidden() and view.figures.isHidden()
    assert not window.docks["graph"].isFloating()
    qtbot.waitUntil(lambda: window.compare.timing.timings().static_steps > 2 * timings.static_steps,
                    timeout=20000)
    window.compare.poll()
    view.grab().save(SCREENSHOT)
    view.timing_button.click()
    assert window.compare.timing is None and not view.timing_button.isChecked()


def test_add_to_fetch_list_recompiles_and_shows_the_cost(window, qtbot):
    view = open_compare(window, qtbot)
    static = window.compare.comparison.static
    key = next(k for k in static.fetchable_keys() if k not in static.fetch_keys)
    view.compiled_view.select_node(key)
    assert view.fetch_button.isEnabled() and "not fetched" in view.fetch_label.text()
    view.fetch_button.click()
    qtbot.waitUntil(lambda: "recompiled in" in view.cost_label.text(), timeout=20000)
    assert key in window.compare.comparison.static.fetch_keys
    texts = [view.static_list.item(i).text() for i in range(view.static_list.count())]
    assert key in texts
    assert "is fetched" in view.fetch_label.text() and not view.fetch_button.isEnabled()
    assert re.search(r"peak memory .+ → .+; static step .+ → .+\.", view.cost_label.text())


def test_compare_without_a_project_says_why(qtbot, tmp_path):
    empty = open_window(qtbot, tmp_path / "data", preset=None)
    empty.compare_view.refresh_button.click()
    assert empty.compare_view.message.text() == "Cannot compare: no project is open"
    assert empty.compare.comparison is None
    empty.close()


def test_a_project_change_marks_the_figures_stale(window, qtbot):
    open_compare(window, qtbot)
    window.set_project(window.session.project)
    assert window.compare.comparison is None and window.compare.timing is None
    assert "press Compare" in window.compare_view.message.text()


def test_fused_nodes_are_marked_in_the_compiled_graph(window, qtbot):
    view = open_compare(window, qtbot)
    static = window.compare.comparison.static
    marked = {key: item.node.fused_from for key, item in view.compiled_view.items.items()
              if item.node.fused_from}
    assert set(marked) == set(static.fused_keys)
    for key, ops in marked.items():
        assert len(ops) == len(static.fused_from[key]) > 1
        assert "fused:" in view.compiled_view.items[key].toolTip()


def test_timing_stops_while_hidden_and_when_the_window_closes(window, qtbot):
    view = open_compare(window, qtbot)
    qtbot.waitUntil(lambda: window.compare.timing is not None and window.compare.timing.running,
                    timeout=10000)
    window.graph_tabs.setCurrentWidget(window.graph_view)
    window.compare.poll()
    assert window.compare.timing is None and not view.timing_button.isChecked()
    window.graph_tabs.setCurrentWidget(view)
    window.compare.poll()
    timing = window.compare.timing
    assert timing is not None and timing.running
    window.close()
    assert not timing.running and window.compare.timing is None


def test_the_two_graphs_move_together_at_a_readable_scale(window, qtbot):
    view = open_compare(window, qtbot)
    written, compiled = view.written_view, view.compiled_view
    for graph in (written, compiled):
        assert graph.transform().m11() >= READABLE_SCALE
    key = next(k for k in compiled.items if k in written.items)
    compiled.select_node(key)
    assert written.selected_key() == key  # selection follows
    other = next(k for k in written.items if k in compiled.items and k != key)
    written.select_node(other)
    assert compiled.selected_key() == other
    qtbot.wait(100)  # the tab's layout settles (a resize fits the graphs again)
    before = compiled.transform().m11()
    centre = QPointF(compiled.viewport().rect().center())
    wheel = QWheelEvent(centre, compiled.viewport().mapToGlobal(centre), QPoint(0, 0),
                        QPoint(0, 120), Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(compiled.viewport(), wheel)
    qtbot.waitUntil(lambda: abs(written.transform().m11() - compiled.transform().m11()) < 1e-9)
    assert compiled.transform().m11() > before  # zoomed in, and the other graph with it


def test_at_a_projector_size_both_graphs_show_the_input_chain_readably(window, qtbot):
    window.fit.set_size(1280, 720)
    view = open_compare(window, qtbot)
    qtbot.wait(100)  # the tab's layout settles
    for graph in (view.written_view, view.compiled_view):
        shown = graph.nodes_in_view()
        assert "input" in shown and "0/linear#0" in shown, shown
        assert graph.transform().m11() >= READABLE_SCALE
        assert graph.viewport().height() >= 150  # a graph, not a thumbnail
