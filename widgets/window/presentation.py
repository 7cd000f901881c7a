"""View > Presentation (F12): a lecture-hall layout. Fonts everywhere are scaled
(stylesheet text, the narration, the plots' axes and titles), the graph is zoomed, and only
the graph, the inspector/narration and the curves/decision view stay; the layer palette,
project and breakpoint-hit docks are hidden. Leaving restores the exact previous layout
(saveState/restoreState), stylesheet, fonts and zoom."""
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFont, QKeySequence

PRESENTATION_SCALE = 1.5
HIDDEN_DOCKS = ("palette", "builder", "hits")
BASE_POINT_SIZE = 10  # the stylesheet's font-size for every widget
PLOT_TICK_POINT_SIZE = 9  # pyqtgraph's own default for axis ticks and labels
LAYOUT_VERSION = 7001  # saveState tag of the layout kept while presenting


def add_presentation_action(window, view_menu):
    """View > Presentation, a checkable action; `window.presentation` drives it."""
    window.presentation = Presentation(window)
    view_menu.addSeparator()
    view_menu.addAction(window.presentation.action)
    return window.presentation.action


class Presentation:
    def __init__(self, window, scale=PRESENTATION_SCALE):
        self.window, self.scale = window, scale
        self.active = False
        self._saved = None
        self.action = QAction("&Presentation", window)
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence("F12"))
        self.action.setStatusTip("Larger fonts and nodes, fewer panels, for a lecture hall")
        self.action.toggled.connect(self.set_active)

    def set_active(self, on):
        if on == self.active:
            return
        self.active = on
        if self.action.isChecked() != on:
            self.action.setChecked(on)
        if on:
            self._enter()
        else:
            self._leave()

    def _enter(self):
        w = self.window
        self._saved = {"layout": w.saveState(LAYOUT_VERSION), "size": w.size(),
                       "sheet": w.styleSheet(),
                       "narration": w.narration.font_scale,
                       "plots": [_plot_fonts(p) for p in _plots(w)]}
        size = BASE_POINT_SIZE * self.scale
        w.setStyleSheet(self._saved["sheet"] + f"\nQWidget {{ font-size: {size:g}pt; }}\n")
        w.narration.set_font_scale(self._saved["narration"] * self.scale)
        for plot in _plots(w):
            _scale_plot(plot, PLOT_TICK_POINT_SIZE * self.scale)
        w.graph_view.set_scale(self.scale)
        for name in HIDDEN_DOCKS:
            w.docks[name].hide()
        height = w.height()
        w.resizeDocks([w.docks["graph"], w.docks["curves"]],
                      [int(height * 0.6), int(height * 0.4)], Qt.Vertical)
        w.show_message("Presentation: F12 returns to the normal layout", 5000)

    def _leave(self):
        w, saved = self.window, self._saved
        w.setStyleSheet(saved["sheet"])
        w.narration.set_font_scale(saved["narration"])
        for plot, fonts in zip(_plots(w), saved["plots"]):
            _restore_plot(plot, fonts)
        w.graph_view.set_scale(1.0)
        w.restoreState(saved["layout"], LAYOUT_VERSION)
        if not w.isMaximized() and not w.isFullScreen():
            w.resize(saved["size"])
        self._saved = None


def _plots(window):
    return window.findChildren(pg.PlotWidget)


def _axes(plot):
    item = plot.getPlotItem()
    return [item.getAxis(name) for name in ("left", "bottom")]


def _plot_fonts(plot):
    """What _scale_plot changes: the title size and each axis's tick font and label style."""
    return {"title": plot.getPlotItem().titleLabel.opts.get("size"),
            "axes": [(axis.style["tickFont"], dict(axis.labelStyle)) for axis in _axes(plot)]}


def _scale_plot(plot, point_size):
    font = QFont()
    font.setPointSizeF(point_size)
    title = plot.getPlotItem().titleLabel
    title.setText(title.text, size=f"{point_size * 1.2:g}pt")
    for axis in _axes(plot):
        axis.setTickFont(font)
        if axis.labelText:
            axis.setLabel(axis.labelText, axis.labelUnits, axis.labelUnitPrefix,
                          **{**axis.labelStyle, "font-size": f"{point_size:g}pt"})


def _restore_plot(plot, fonts):
    title = plot.getPlotItem().titleLabel
    if fonts["title"] is None:
        title.opts.pop("size", None)
        title.setText(title.text)
    else:
        title.setText(title.text, size=fonts["title"])
    for axis, (tick_font, label_style) in zip(_axes(plot), fonts["axes"]):
        axis.setTickFont(tick_font)
        if axis.labelText:
            axis.labelStyle = label_style
            axis.setLabel(axis.labelText, axis.labelUnits, axis.labelUnitPrefix)
