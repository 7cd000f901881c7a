"""View > Theme: the light theme for projectors and the dark one, switched from the View menu
and remembered for the next start; the switch recolours the plots and the script editor, and
keeps presentation mode's larger fonts."""
import pyqtgraph as pg
from PySide6.QtGui import QColor

from widgets.window.main_window import MainWindow
from widgets.window.themes import PLOT_COLOURS, THEMES, stylesheet

from .window_setup import open_window


def _plot_backgrounds(window):
    return {QColor(view.backgroundBrush().color()).name()
            for view in window.findChildren(pg.GraphicsView)}


def test_the_view_menu_switches_and_remembers_the_theme(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data")
    assert window.themes.name == "dark" and window.styleSheet() == stylesheet("dark")
    view_menu = window.menuBar().actions()[2].menu()
    theme_menu = next(a.menu() for a in view_menu.actions() if a.menu() is not None)
    light = next(a for a in theme_menu.actions() if a.text().startswith("Light"))
    light.trigger()
    assert window.styleSheet() == stylesheet("light") and light.isChecked()
    assert _plot_backgrounds(window) == {PLOT_COLOURS["light"][0]}
    assert window.script_editor.editor.colours["gutter"] != "#282a2f"
    window.close()

    again = MainWindow(data_dir=tmp_path / "data", restore_layout=False)
    qtbot.addWidget(again)
    assert again.themes.name == "light" and again.styleSheet() == stylesheet("light")
    again.close()


def test_switching_themes_keeps_the_presentation_fonts(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data")
    window.show()
    window.presentation.set_active(True)
    for name in THEMES:
        window.themes.apply(name)
        assert window.styleSheet().startswith(stylesheet(name))
        assert "font-size: 16pt" in window.styleSheet()
    window.presentation.set_active(False)
    assert window.styleSheet() == stylesheet(THEMES[-1])
    window.close()
