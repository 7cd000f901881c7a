"""View > Presentation: one factor (at least 1.6× the normal text) for the fonts, the plots of
the curves and of the inspector, and the graph's node labels; fewer panels, the graph
following the current node; the lecture layout keeps only the graph and the inspector.
Leaving restores the previous layout, style sheet, fonts and zoom exactly; the normal layout is
the one saved."""
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QKeySequence

from widgets.graph_items import NodeItem
from widgets.window.main_window import MainWindow
from widgets.window.presentation import (BASE_POINT_SIZE, HIDDEN_DOCKS, LECTURE_HIDDEN_DOCKS,
                                         PRESENTATION_SCALE)

from .window_setup import open_window, wait_idle


def _plot_items(window):
    return [item for view in window.findChildren(pg.GraphicsView)
            for item in view.scene().items() if isinstance(item, pg.PlotItem)]


def _plot_state(window):
    return [(p.titleLabel.opts.get("size"),
             [(a.style["tickFont"], dict(a.labelStyle)) for a in
              (p.getAxis("left"), p.getAxis("bottom"))])
            for p in _plot_items(window)]


def _label_points(window):
    """The graph's node labels as drawn on screen, in points."""
    return NodeItem.FONT.pointSizeF() * window.graph_view.transform().m11()


def _shown(window):
    window.show()
    window.resize(1400, 900)
    return window


def test_presentation_is_in_the_view_menu_with_f12(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data")
    view_menu = window.menuBar().actions()[2].menu()
    action = window.presentation.action
    assert action in view_menu.actions() and action.isCheckable()
    assert action.shortcut() == QKeySequence("F12")
    window.close()


def test_presentation_scales_hides_and_restores(qtbot, tmp_path):
    window = _shown(open_window(qtbot, tmp_path / "data"))
    qtbot.waitExposed(window)
    window.debug_actions.actions["step_iteration"].trigger()
    wait_idle(window)
    sheet, zoom = window.styleSheet(), window.graph_view.transform().m11()
    narration_size = window.narration.font().pointSizeF()
    plots, state = _plot_state(window), window.saveState()
    visible = {name: dock.isVisible() for name, dock in window.docks.items()}
    assert all(visible.values())

    window.presentation.action.trigger()
    assert window.presentation.active and window.presentation.action.isChecked()
    assert all(not window.docks[name].isVisible() for name in HIDDEN_DOCKS)
    assert all(window.docks[name].isVisible() for name in ("graph", "inspector", "curves"))
    assert PRESENTATION_SCALE >= 1.6
    assert f"font-size: {BASE_POINT_SIZE * PRESENTATION_SCALE:g}pt" in window.styleSheet()
    assert window.narration.font().pointSizeF() == narration_size * PRESENTATION_SCALE
    assert _label_points(window) >= BASE_POINT_SIZE * PRESENTATION_SCALE - 1e-6
    axis = window.curves.loss_plot.getPlotItem().getAxis("bottom")
    assert axis.style["tickFont"].pointSizeF() > 9 and axis.labelStyle["font-size"] == "14.4pt"
    assert window.curves.loss_plot.getPlotItem().titleLabel.opts["size"] == "17.28pt"
    inspector_plots = [p for v in window.inspector.findChildren(pg.GraphicsView)
                       for p in v.scene().items() if isinstance(p, pg.PlotItem)]
    assert inspector_plots and all(p.getAxis("bottom").style["tickFont"].pointSizeF() > 9
                                   for p in inspector_plots)

    window.presentation.action.trigger()
    assert not window.presentation.active
    assert window.styleSheet() == sheet
    assert window.narration.font().pointSizeF() == narration_size
    assert abs(window.graph_view.transform().m11() - zoom) < 1e-9
    assert _plot_state(window) == plots
    assert {name: dock.isVisible() for name, dock in window.docks.items()} == visible
    window.restoreState(state)  # the saved layout is still valid after a round trip
    window.close()


def test_closing_while_presenting_saves_the_normal_layout(qtbot, tmp_path):
    window = _shown(open_window(qtbot, tmp_path / "data"))
    window.presentation.set_active(True)
    window.close()
    assert not window.presentation.active
    again = MainWindow(data_dir=tmp_path / "data", restore_layout=True)
    qtbot.addWidget(again)
    again.show()
    assert all(again.docks[name].isVisible() for name in HIDDEN_DOCKS)
    again.close()


def test_graph_scale_rejects_a_non_positive_scale(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data")
    with pytest.raises(ValueError, match="scale must be positive"):
        window.graph_view.set_scale(0)
    window.close()


def test_presentation_scales_the_graph_labels_and_follows_the_current_node(qtbot, tmp_path):
    window = _shown(open_window(qtbot, tmp_path / "data"))
    window.presentation.set_active(True)  # before the first graph: it is zoomed when it comes
    normal_text = BASE_POINT_SIZE
    for _ in range(3):
        window.debug_actions.actions["step_op"].trigger()
        wait_idle(window)
        view = window.graph_view
        assert _label_points(window) >= 1.6 * normal_text
        qtbot.waitUntil(lambda: view.mapToScene(view.viewport().rect()).boundingRect()
                        .contains(view.items[view.current].sceneBoundingRect()))  # followed
    window.presentation.set_active(False)
    assert _label_points(window) < 1.6 * normal_text
    window.close()


def test_the_lecture_layout_keeps_the_graph_and_the_inspector(qtbot, tmp_path):
    window = _shown(open_window(qtbot, tmp_path / "data"))
    visible = {name: dock.isVisible() for name, dock in window.docks.items()}
    window.presentation.lecture_action.trigger()
    assert window.presentation.active and window.presentation.action.isChecked()
    assert {n for n, d in window.docks.items() if d.isVisible()} == {"graph", "inspector"}
    assert set(LECTURE_HIDDEN_DOCKS) == set(window.docks) - {"graph", "inspector"}
    shown = window.docks["graph"].width() + window.docks["inspector"].width()
    assert shown >= window.width() - 20  # together they fill the width
    window.presentation.lecture_action.trigger()  # back to presentation: the curves return
    assert window.docks["curves"].isVisible() and window.presentation.active
    window.presentation.set_active(False)
    assert {name: dock.isVisible() for name, dock in window.docks.items()} == visible
    window.close()
