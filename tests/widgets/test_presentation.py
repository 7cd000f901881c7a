"""View > Presentation: larger fonts, a zoomed graph and fewer panels; leaving restores the
previous layout, style sheet, fonts and zoom exactly; the normal layout is the one saved."""
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QKeySequence

from widgets.window.main_window import MainWindow
from widgets.window.presentation import HIDDEN_DOCKS, PRESENTATION_SCALE

from .window_setup import open_window, wait_idle


def _plot_state(window):
    return [(p.getPlotItem().titleLabel.opts.get("size"),
             [(a.style["tickFont"], dict(a.labelStyle)) for a in
              (p.getPlotItem().getAxis("left"), p.getPlotItem().getAxis("bottom"))])
            for p in window.findChildren(pg.PlotWidget)]


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
    assert "font-size: 15pt" in window.styleSheet()
    assert window.narration.font().pointSizeF() == narration_size * PRESENTATION_SCALE
    assert abs(window.graph_view.transform().m11() - zoom * PRESENTATION_SCALE) < 1e-9
    axis = window.curves.loss_plot.getPlotItem().getAxis("bottom")
    assert axis.style["tickFont"].pointSizeF() > 9 and axis.labelStyle["font-size"] == "13.5pt"
    assert window.curves.loss_plot.getPlotItem().titleLabel.opts["size"] == "16.2pt"

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
