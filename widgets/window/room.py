"""Room for the wide pages of the centre tabs (the compare view's two graphs, the script
editor): while one of them is the current tab, the centre dock takes most of the window's
width and the side columns shrink (they stay, scrollable); going back to another tab gives the
columns their widths back."""
from PySide6.QtCore import Qt

CENTRE_SHARE = 0.72  # of the window's width, while a wide page is shown
SIDE_MIN = 180  # pixels left to each side column


class TabRoom:
    def __init__(self, window, tabs, pages, centre="graph", sides=("palette", "inspector")):
        self.window, self.tabs, self.pages = window, tabs, list(pages)
        self.centre, self.sides = centre, sides
        self._saved = None  # the docks' widths before a wide page was shown
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
        elif not wide and self._saved is not None:
            docks, widths = self._saved
            self._saved = None
            if all(d.isVisible() for d in docks):
                self.window.resizeDocks(docks, widths, Qt.Horizontal)
