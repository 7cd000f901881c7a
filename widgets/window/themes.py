"""View > Theme: the dark and the light stylesheet (resources/styles/*.qss; a projector washes
a dark theme out), remembered in QSettings ("theme"). Besides the stylesheet, a theme recolours
what a stylesheet cannot reach: pyqtgraph's plots (background, axes, titles) and the script
editor's highlighting. Other controllers add text to the sheet with `set_overlay` (the
presentation's larger fonts), so that switching themes keeps it."""
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtGui import QAction, QActionGroup

STYLES = Path(__file__).resolve().parents[2] / "resources" / "styles"
THEMES = ("dark", "light")
DEFAULT_THEME = "dark"
SETTINGS_KEY = "theme"
PLOT_COLOURS = {  # name -> (background, text and axes)
    "dark": ("#1e2127", "#c3cad6"),
    "light": ("#ffffff", "#2b3240"),
}


def stylesheet(name):
    """The text of theme `name`'s stylesheet."""
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r}; choose one of {', '.join(THEMES)}")
    return (STYLES / f"{name}.qss").read_text(encoding="utf-8")


class Themes:
    """The window's theme: `apply(name)`, the View > Theme actions (`actions`), `overlay`."""

    def __init__(self, window):
        self.window = window
        self.name = None
        self.overlay = ""
        self.group = QActionGroup(window)
        self.actions = {}
        for name in THEMES:
            action = QAction(f"{name.capitalize()} theme", window, checkable=True)
            tip = ("Light background: best on a projector" if name == "light" else
                   "Dark background: easy on the eyes on a monitor")
            action.setToolTip(tip)
            action.setStatusTip(tip)
            action.triggered.connect(lambda checked=False, n=name: self.apply(n))
            self.group.addAction(action)
            self.actions[name] = action
        saved = window.settings.value(SETTINGS_KEY, DEFAULT_THEME)
        self.apply(saved if saved in THEMES else DEFAULT_THEME, remember=False)

    def add_to(self, menu):
        """A Theme submenu of `menu` with one checkable action per theme."""
        submenu = menu.addMenu("&Theme")
        for action in self.actions.values():
            submenu.addAction(action)
        return submenu

    def apply(self, name, remember=True):
        """Show theme `name` (and keep it for the next start when `remember`)."""
        sheet = stylesheet(name)
        self.name = name
        self.actions[name].setChecked(True)
        self._base = sheet
        self.window.setStyleSheet(sheet + self.overlay)
        self.recolour()
        if remember:
            self.window.settings.setValue(SETTINGS_KEY, name)

    def set_overlay(self, text):
        """Rules added after the theme's (e.g. larger fonts); "" removes them."""
        self.overlay = text
        self.window.setStyleSheet(self._base + text)

    def dark(self):
        return self.name == "dark"

    def recolour(self):
        """Colour the plots and the script editor for the current theme (call after adding
        plots)."""
        background, text = PLOT_COLOURS[self.name]
        for view in self.window.findChildren(pg.GraphicsView):
            colour_plot(view, background, text)
        editor = getattr(self.window, "script_editor", None)
        if editor is not None:
            editor.set_dark(self.dark())


def colour_plot(view, background, text):
    """Background, axes (lines, ticks and labels) and titles of one pyqtgraph view."""
    view.setBackground(background)
    pen = pg.mkPen(text)
    for item in view.scene().items():
        if isinstance(item, pg.AxisItem):
            item.setPen(pen)
            item.setTextPen(pen)
            if item.labelText:
                item.setLabel(item.labelText, item.labelUnits, item.labelUnitPrefix,
                              **{**item.labelStyle, "color": text})
        elif isinstance(item, pg.LabelItem):
            item.setAttr("color", text)
            item.setText(item.text)
