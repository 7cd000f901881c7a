"""View > Presentation (F12): a lecture-hall layout that reads from the back row. One factor
(PRESENTATION_SCALE, at least 1.6× the normal text) scales everything that has text: the
stylesheet's fonts, the narration, every plot's axes and titles (the curves, the decision
view, the inspector's heatmaps, histograms and history) and the graph, whose node labels are
drawn at the factor times the normal text size. Fewer panels: the palette, the project and the
breakpoint hits are hidden; the inspector takes the whole right column, the curves go under
the graph; the graph follows the current node as the debugger steps. View > Lecture layout
(Ctrl+F12) keeps only the graph and the inspector, filling the screen.

Leaving restores the exact previous layout (saveState/restoreState), stylesheet, fonts and
zoom."""
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QFont, QKeySequence

from widgets.graph_items import NodeItem
from widgets.window.fit import content_width

PRESENTATION_SCALE = 1.6
HIDDEN_DOCKS = ("palette", "builder", "hits")
LECTURE_HIDDEN_DOCKS = HIDDEN_DOCKS + ("curves",)
BASE_POINT_SIZE = 10  # the stylesheet's font-size for every widget
PLOT_TICK_POINT_SIZE = 9  # pyqtgraph's own default for axis ticks and labels
LAYOUT_VERSION = 7001  # saveState tag of the layout kept while presenting
GRAPH_SHARE = 0.52  # of the width, the rest for the inspector
CURVES_SHARE = 0.4  # of the height of the graph's column


def graph_label_zoom(scale):
    """The graph view's zoom at which node labels are `scale` times the normal text."""
    return scale * BASE_POINT_SIZE / NodeItem.FONT.pointSizeF()


class Presentation:
    """The window's presentation mode: `action` (View > Presentation, F12) toggles it,
    `set_active(on)` enters or leaves it; `lecture_action` (Ctrl+F12) toggles the lecture
    layout (presenting with only the graph and the inspector)."""

    def __init__(self, window, scale=PRESENTATION_SCALE):
        self.window, self.scale = window, scale
        self.active = False
        self.lecture = False
        self._saved = None
        self.action = QAction("&Presentation", window)
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence("F12"))
        self.action.setStatusTip("Larger fonts and nodes, fewer panels, for a lecture hall")
        self.action.toggled.connect(self.set_active)
        self.lecture_action = QAction("&Lecture layout", window)
        self.lecture_action.setCheckable(True)
        self.lecture_action.setShortcut(QKeySequence("Ctrl+F12"))
        self.lecture_action.setStatusTip("Presentation with only the graph and the inspector, "
                                         "filling the screen")
        self.lecture_action.toggled.connect(self.set_lecture)
        window.session.subscribe(self._session_changed)

    def add_to(self, menu):
        """Add the checkable View > Presentation and Lecture layout actions to `menu`."""
        menu.addSeparator()
        menu.addAction(self.action)
        menu.addAction(self.lecture_action)

    def set_active(self, on):
        """Enter (True) or leave (False) presentation mode; the action follows."""
        if on == self.active:
            return
        self.active = on
        if self.action.isChecked() != on:
            self.action.setChecked(on)
        if on:
            self._enter()
        else:
            self._leave()

    def set_lecture(self, on):
        """The lecture layout (entering presentation if needed), or back to presentation's."""
        self.lecture = on
        if self.lecture_action.isChecked() != on:
            self.lecture_action.setChecked(on)
        if on and not self.active:
            self.set_active(True)
        elif self.active:
            self._arrange()

    def _enter(self):
        w = self.window
        self._saved = {"layout": w.saveState(LAYOUT_VERSION), "size": w.size(),
                       "narration": w.narration.font_scale,
                       "plots": [_plot_fonts(p) for p in _plots(w)],
                       "fitted": w.graph_view.fitted}
        w.graph_view.fitted = False  # presentation zooms on the current node instead
        w.themes.set_overlay(f"\nQWidget {{ font-size: {BASE_POINT_SIZE * self.scale:g}pt; }}\n")
        w.narration.set_font_scale(self._saved["narration"] * self.scale)
        for plot in _plots(w):
            _scale_plot(plot, PLOT_TICK_POINT_SIZE * self.scale)
        w.inspector.set_scale(self.scale)
        self._arrange()
        self._zoom_graph()
        w.show_message("Presentation: F12 returns to the normal layout, Ctrl+F12 shows only "
                       "the graph and the inspector", 5000)

    def _arrange(self):
        """Hide the panels a lecture does not need; the inspector takes the right column."""
        w, docks = self.window, self.window.docks
        hidden = LECTURE_HIDDEN_DOCKS if self.lecture else HIDDEN_DOCKS
        for name, dock in docks.items():
            dock.setVisible(name not in hidden)
        if not self.lecture:
            w.splitDockWidget(docks["graph"], docks["curves"], Qt.Vertical)
        inspector = max(int(w.width() * (1 - GRAPH_SHARE)), content_width(docks["inspector"]))
        w.resizeDocks([docks["graph"], docks["inspector"]], [w.width() - inspector, inspector],
                      Qt.Horizontal)
        if not self.lecture:
            height = w.height()
            w.resizeDocks([docks["graph"], docks["curves"]],
                          [int(height * (1 - CURVES_SHARE)), int(height * CURVES_SHARE)],
                          Qt.Vertical)

    def _zoom_graph(self):
        """Zoom the graph so that its labels read at the presentation's text size (zooming
        only in, never out), on the current node."""
        view = self.window.graph_view
        target = graph_label_zoom(self.scale)
        zoom = view.transform().m11()
        if zoom < target - 1e-9:
            view.set_scale(view.node_scale * target / zoom)
        self._follow()

    def _follow(self):
        """Centre the graph on the current (else the selected) node, once the view has taken
        in the graph's new size (its scroll range is updated after this event)."""
        QTimer.singleShot(0, self._centre)

    def _centre(self):
        view = self.window.graph_view
        item = view.items.get(view.current) or view.items.get(view.selected_key())
        if self.active and item is not None:
            view.centerOn(item)

    def _session_changed(self, changes):
        if not self.active:
            return
        if changes & {"graph", "project"}:
            self._zoom_graph()  # a first graph is fitted to the view: zoom it in again
        elif changes & {"state", "selection"}:
            self._follow()

    def _leave(self):
        w, saved = self.window, self._saved
        w.themes.set_overlay("")
        w.narration.set_font_scale(saved["narration"])
        for plot, fonts in zip(_plots(w), saved["plots"]):
            _restore_plot(plot, fonts)
        w.inspector.set_scale(1.0)
        w.graph_view.set_scale(1.0)
        w.restoreState(saved["layout"], LAYOUT_VERSION)
        if not w.isMaximized() and not w.isFullScreen():
            w.resize(saved["size"])
        w.graph_view.fitted = saved["fitted"]
        w.themes.recolour()
        self._saved = None
        if self.lecture:
            self.set_lecture(False)


def _plots(window):
    """Every pyqtgraph PlotItem of the window (PlotWidgets and plots in layouts)."""
    return [item for view in window.findChildren(pg.GraphicsView)
            for item in view.scene().items() if isinstance(item, pg.PlotItem)]


def _axes(plot):
    return [plot.getAxis(name) for name in ("left", "bottom")]


def _plot_fonts(plot):
    """What _scale_plot changes: the title size and each axis's tick font and label style."""
    return {"title": plot.titleLabel.opts.get("size"),
            "axes": [(axis.style["tickFont"], dict(axis.labelStyle)) for axis in _axes(plot)]}


def _scale_plot(plot, point_size):
    font = QFont()
    font.setPointSizeF(point_size)
    title = plot.titleLabel
    title.setText(title.text, size=f"{point_size * 1.2:g}pt")
    for axis in _axes(plot):
        axis.setTickFont(font)
        if axis.labelText:
            axis.setLabel(axis.labelText, axis.labelUnits, axis.labelUnitPrefix,
                          **{**axis.labelStyle, "font-size": f"{point_size:g}pt"})


def _restore_plot(plot, fonts):
    title = plot.titleLabel
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
