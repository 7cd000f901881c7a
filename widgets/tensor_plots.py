"""One tensor drawn for the inspector: a heatmap with a colour bar (2-D, and 3-D or more as
its first sample), an image grid per channel (4-D, first sample), bars or a line (1-D), a
number (0-D), and a histogram of its finite values below."""
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

BAR_LIMIT = 64  # 1-D tensors longer than this are drawn as a line
HISTOGRAM_BINS = 40


def channel_grid(sample):
    """(C, H, W) -> one 2-D mosaic of the channels, ceil(sqrt(C)) per row, 1-pixel gaps
    filled with the minimum (so the gaps do not stretch the colour range)."""
    c, h, w = sample.shape
    cols = math.ceil(math.sqrt(c))
    rows = math.ceil(c / cols)
    finite = sample[np.isfinite(sample)]
    fill = float(finite.min()) if finite.size else 0.0
    grid = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), fill, dtype=np.float64)
    for k in range(c):
        r, q = divmod(k, cols)
        grid[r * (h + 1):r * (h + 1) + h, q * (w + 1):q * (w + 1) + w] = sample[k]
    return grid


def image_of(array):
    """The 2-D image shown for an array of 2 or more dimensions, and what it shows."""
    if array.ndim == 2:
        return array, "heatmap"
    if array.ndim == 4:
        return channel_grid(array[0]), f"sample 0, {array.shape[1]} channels"
    first = array[0] if array.ndim == 3 else array.reshape(array.shape[0], -1)
    return first, "sample 0" if array.ndim == 3 else "flattened"


def settle_range(plot, x, y):
    """Show x = (low, high) and y = (low, high) in `plot`; its view is kept when it holds
    them and they fill at least half of it, so drifting values do not redraw the axes."""
    def fits(span, view):
        return view[0] <= span[0] and span[1] <= view[1] and (
            span[1] - span[0] >= 0.5 * (view[1] - view[0]))

    view_x, view_y = plot.viewRange()
    if not (fits(x, view_x) and fits(y, view_y)):
        plot.setRange(xRange=x, yRange=y, padding=0.05)


class TensorPlot(QWidget):
    """Plot of one tensor (value or gradient); `show_array(a)` or `show_message(text)`."""

    def __init__(self, title, colour_map="viridis", symmetric=False, parent=None):
        super().__init__(parent)
        self.title = title
        self.symmetric = symmetric  # colour levels centred on 0 (for a diverging map)
        self.note = QLabel(title)
        self.note.setAlignment(Qt.AlignCenter)
        self.note.setWordWrap(True)
        self.plots = pg.GraphicsLayoutWidget(border=None)
        self.plots.setBackground("w")
        self.main = self.plots.addPlot(row=0, col=0)
        self.hist = self.plots.addPlot(row=1, col=0)
        self.hist.setMaximumHeight(110)
        self.hist.setLabel("bottom", "histogram")
        self.hist.disableAutoRange()  # see settle_range
        self.image = pg.ImageItem(axisOrder="row-major")
        self.colorbar = pg.ColorBarItem(colorMap=pg.colormap.get(colour_map), interactive=False,
                                        width=12)
        self.colorbar.setImageItem(self.image, insert_in=self.main)
        self.curve = pg.PlotDataItem()
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush="#4662d7")
        self.hist_curve = pg.PlotDataItem(stepMode="center", fillLevel=0, brush="#9aa9d9")
        self.hist.addItem(self.hist_curve)
        self.mode = "empty"
        self.image_shape = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(self.plots)
        self.show_message("nothing selected")

    def show_message(self, text):
        self._enter("message")
        self.note.setText(f"{self.title}: {text}")
        self.plots.setVisible(False)

    def show_array(self, array):
        """Draw `array`; items and view ranges are updated in place when the kind of plot
        (and an image's shape) stays the same: redrawing axes is most of a refresh."""
        a = np.asarray(array, dtype=np.float64)
        what = ""
        if a.ndim == 0:
            self._enter("number")
            self.note.setText(f"{self.title}: {float(a):.6g}")
            self.plots.setVisible(False)
            return
        self.plots.setVisible(True)
        if a.ndim == 1:
            self._show_vector(a)
        else:
            img, what = image_of(a)
            self._show_image(img)
        self.note.setText(f"{self.title}" + (f" ({what})" if what else ""))
        finite = a[np.isfinite(a)]
        if finite.size:
            try:
                with np.errstate(over="ignore", invalid="ignore"):
                    counts, edges = np.histogram(finite, bins=HISTOGRAM_BINS)
            except ValueError:  # a range too wide or too narrow for finite-sized bins
                counts, edges = np.array([finite.size]), np.array([finite.min(), finite.max()])
        else:
            counts, edges = np.zeros(1), np.array([0.0, 1.0])
        self.hist_curve.setData(edges, counts)
        settle_range(self.hist, (float(edges[0]), float(edges[-1])), (0.0, float(counts.max())))

    def _show_vector(self, a):
        x = np.arange(a.size)
        clean = np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0)
        if a.size <= BAR_LIMIT:
            self._enter("bars")
            self.bars.setOpts(x=x, height=clean, width=0.8)
        else:
            self._enter("line")
            self.curve.setData(x, clean)

    def _show_image(self, img):
        fresh = self._enter("image") or img.shape != self.image_shape
        finite = img[np.isfinite(img)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if self.symmetric:
            high = max(abs(low), abs(high))
            low = -high
        if high <= low:
            high = low + 1.0
        self.image.setImage(np.nan_to_num(img, nan=low, posinf=high, neginf=low),
                            levels=(low, high), autoLevels=False)
        self.colorbar.setLevels((low, high))
        self.image_shape = img.shape
        if fresh:
            self.main.enableAutoRange()  # follows resizes until the user zooms or pans

    def _enter(self, mode):
        """Switch to `mode`, adding its item to the plot; False when already there."""
        if mode == self.mode:
            return False
        for item in (self.image, self.bars, self.curve):
            if item.scene() is not None:
                self.main.removeItem(item)
        item = {"image": self.image, "bars": self.bars, "line": self.curve}.get(mode)
        if item is not None:
            self.main.addItem(item)
        self.main.invertY(mode == "image")
        self.main.setAspectLocked(mode == "image")
        self.main.enableAutoRange()
        self.mode = mode
        self.image_shape = None
        return True
