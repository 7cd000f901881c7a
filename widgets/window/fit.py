"""The window fits the screen it is on, down to 1024×768 and a projector's 1280×720, in
normal and in presentation mode: no panel may force a minimum size above the screen.

What forced it were panels whose content has a large minimum size (the training form, the
inspector's plots and table, the decision view's sliders, the compare view): each dock's
content sits in a scroll area that shows scroll bars only when the dock is smaller than
that content, so a dock can always shrink. Dock layouts are remembered per screen size
(QSettings keys "layout/<W>x<H>/..."), so a projector's layout does not spoil the laptop's.
On a short screen (below COMPACT_HEIGHT) the default layout gives the inspector the whole
right column: the curves go under the graph and the breakpoint hits under the inspector.
`screen_size` is the available size of the window's screen, or the size the command line
asked for (`--size WxH`, which also makes the window exactly that size)."""
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QScrollArea

SCROLLED_DOCKS = ("palette", "builder", "graph", "inspector", "curves", "hits")
COMPACT_HEIGHT = 820


class ScreenFit:
    """`restore()`/`save()` the layout of the current screen size; `set_size(w, h)`."""

    def __init__(self, window, layout_version):
        self.window, self.version = window, layout_version
        self.size = None  # an explicit screen size (the command line's --size)
        for name in SCROLLED_DOCKS:
            dock = window.docks.get(name)
            if dock is not None and not isinstance(dock.widget(), QScrollArea):
                dock.setWidget(scrolled(dock.widget()))

    def screen_size(self):
        """(width, height) of the screen the layout is for."""
        if self.size is not None:
            return self.size
        screen = self.window.screen()
        area = screen.availableGeometry().size() if screen is not None else QSize(1280, 720)
        return area.width(), area.height()

    def key(self, name):
        """The QSettings key of layout item `name` for the current screen size."""
        width, height = self.screen_size()
        return f"layout/{width}x{height}/{name}"

    def compact(self):
        """Whether the screen is short enough for the compact default layout."""
        return self.screen_size()[1] < COMPACT_HEIGHT

    def set_size(self, width, height, restore=False):
        """Lay the window out for a `width`×`height` screen and make it exactly that size:
        with the layout kept for that size when `restore`, else the default one."""
        self.size = (width, height)
        self.window.resize(width, height)
        if restore:
            self.restore()
        elif self.compact():
            self.arrange_compact()
        self.window.resize(width, height)

    def restore(self):
        """The layout kept for this screen size, else the default (compact on a short
        screen)."""
        w, settings = self.window, self.window.settings
        geometry, state = settings.value(self.key("geometry")), settings.value(
            self.key("window_state"))
        if geometry is not None and self.size is None:
            w.restoreGeometry(geometry)
        if state is not None:
            w.restoreState(state, self.version)
            return
        for dock in w.docks.values():  # the default layout: every panel shown
            dock.setVisible(True)
        if self.compact():
            self.arrange_compact()

    def save(self):
        settings = self.window.settings
        settings.setValue(self.key("geometry"), self.window.saveGeometry())
        settings.setValue(self.key("window_state"), self.window.saveState(self.version))
        settings.sync()

    def arrange_compact(self):
        """The default layout of a short screen: left the palette and the project, centre the
        graph over the curves, right the inspector over the breakpoint hits."""
        w, docks = self.window, self.window.docks
        width, height = self.screen_size()
        docks["curves"].setMinimumHeight(0)
        w.splitDockWidget(docks["graph"], docks["curves"], Qt.Vertical)
        w.splitDockWidget(docks["inspector"], docks["hits"], Qt.Vertical)
        inspector = max(int(width * 0.35), content_width(docks["inspector"]))
        left = max(int(width * 0.2), min(content_width(docks["builder"]), int(width * 0.26)))
        w.resizeDocks([docks["palette"], docks["graph"], docks["inspector"]],
                      [left, width - left - inspector, inspector], Qt.Horizontal)
        w.resizeDocks([docks["palette"], docks["builder"]], [int(height * 0.24),
                                                              int(height * 0.61)], Qt.Vertical)
        w.resizeDocks([docks["graph"], docks["curves"]], [int(height * 0.55),
                                                          int(height * 0.3)], Qt.Vertical)
        w.resizeDocks([docks["inspector"], docks["hits"]], [int(height * 0.68),
                                                            int(height * 0.17)], Qt.Vertical)


def content_width(dock):
    """The width `dock` needs to show its content without scrolling sideways."""
    content = dock.widget()
    inner = content.widget() if isinstance(content, QScrollArea) else content
    return inner.minimumSizeHint().width() + max(0, dock.width() - content.width()) + 16


def scrolled(widget):
    """`widget` in a frameless scroll area that resizes it, scrolling only below its
    minimum size."""
    area = QScrollArea()
    area.setFrameShape(QFrame.NoFrame)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarAsNeeded)
    area.setWidget(widget)
    return area

