"""Room for the wide pages of the centre tabs (the compare view's two graphs, the script
editor): while one of them is the current tab, the centre dock takes most of the window's
width and of the height it shares with the panel below it (the curves), and the side
columns shrink (they stay, scrollable); going back to another tab gives the docks their
sizes back."""
from PySide6.QtCore import Qt

CENTRE_SHARE = 0.72  # of the window's width, while a wide page is shown
CENTRE_HEIGHT_SHARE = 0.78  # of the centre and the panel under it, while one is shown
SIDE_MIN = 180  # pixels left to each side column


class TabRoom:
    def __init__(self, window, tabs, pages, centre="graph", sides=("palette", "inspector"),
                 below="curves"):
        self.window, self.tabs, self.pages = window, tabs, list(pages)
        self.centre, self.sides, self.below = centre, sides, below
        self._saved = None  # the docks' widths before a wide page was shown
        self._saved_heights = None  # the centre's and the panel below's heights
        tabs.currentChanged.connect(lambda index: self.update())

    def docks(self):
        """The centre and side docks that are shown now, in row order."""
        names = [self.sides[0], self.centre, *self.sides[1:]]
        docks = [self.window.docks[n] for n in names if n in self.window.docks]
        return [d for d in docks if d.isVisible() and not d.isFloating()]

    def update(self):
        """Widen the centre when the current page is a wide one, else restore the widths."""
        wide = self.tabs.currentWidget() in self.pages
        if wide and self._saved is None:
            docks = self.docks()
            self._saved = (docks, [d.width() for d in docks])
            total = sum(d.width() for d in docks)
            centre = self.window.docks[self.centre]
            sides = [d for d in docks if d is not centre]
            if centre in docks and sides:
                side = max(SIDE_MIN, int(total * (1 - CENTRE_SHARE) / len(sides)))
                sizes = [total - side * len(sides) if d is centre else side for d in docks]
                self.window.resizeDocks(docks, sizes, Qt.Horizontal)
            self._heighten(centre)
        elif not wide and self._saved is not None:
            docks, widths = self._saved
            self._saved = None
            if all(d.isVisible() for d in docks):
                self.window.resizeDocks(docks, widths, Qt.Horizontal)
            if self._saved_heights is not None:
                pair, heights = self._saved_heights
                self._saved_heights = None
                if all(d.isVisible() for d in pair):
                    self.window.resizeDocks(pair, heights, Qt.Vertical)

    def _heighten(self, centre):
        below = self.window.docks.get(self.below)
        if below is None or not below.isVisible() or below.isFloating() or not centre.isVisible():
            return
        pair = [centre, below]
        heights = [d.height() for d in pair]
        self._saved_heights = (pair, heights)
        total = sum(heights)
        self.window.resizeDocks(pair, [int(total * CENTRE_HEIGHT_SHARE),
                                       total - int(total * CENTRE_HEIGHT_SHARE)], Qt.Vertical)
