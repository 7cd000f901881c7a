"""The 2-D decision view (TF Playground's main picture): the model's output as a coloured
background (orange / blue for two classes, one hue per class otherwise, a diverging map for
regression), training points filled and test points outlined on top, one small picture per
hidden unit grouped by layer (a dead unit, zero everywhere, framed in dashed red), and the
train and test losses. Redrawn at most `max_fps` times a second; widgets.window.decision_feed.DecisionFeed
feeds it from a session."""
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QScrollArea, QStackedWidget,
                               QVBoxLayout, QWidget)

BACKGROUND = "#1e2127"
NEUTRAL = np.array([232, 234, 235], dtype=np.float64)
CLASS_COLOURS = np.array([[245, 147, 34], [8, 119, 189], [46, 160, 67], [148, 103, 189],
                          [214, 39, 40], [23, 190, 207], [188, 189, 34], [227, 119, 194]],
                         dtype=np.float64)
SURFACE_STRENGTH = 0.75  # how far the background goes from neutral to a class colour
TILE = 44  # pixels per hidden-unit picture
TILES_PER_ROW = 8
DEAD_BELOW = 1e-6  # a unit whose output stays under this everywhere on the plane is dead
DEAD_STYLE = "border: 2px dashed #e05252;"


def _diverging_exact(t):
    towards = np.where(t[..., None] < 0, CLASS_COLOURS[0], CLASS_COLOURS[1])
    return NEUTRAL + (towards - NEUTRAL) * np.abs(t)[..., None]


LEVELS = 127  # per side of the diverging map's lookup table (-1, 0 and 1 are exact)
DIVERGING_LUT = _diverging_exact(np.linspace(-1.0, 1.0, 2 * LEVELS + 1))
DIVERGING_LUT_UINT8 = np.rint(DIVERGING_LUT).astype(np.uint8)


def diverging(t):
    """RGB (..., 3) floats for t in [-1, 1]: orange (-1), neutral (0), blue (+1)."""
    return DIVERGING_LUT[_levels(t)]


def _levels(t):
    return np.rint((np.clip(np.nan_to_num(t), -1.0, 1.0) + 1.0) * LEVELS).astype(np.intp)


def class_colours(probs):
    """RGB for (..., C) class probabilities: the likeliest class's hue, faded by doubt."""
    c = probs.shape[-1]
    confidence = (probs.max(axis=-1, keepdims=True) - 1.0 / c) / (1.0 - 1.0 / c)
    hue = CLASS_COLOURS[probs.argmax(axis=-1) % len(CLASS_COLOURS)]
    return NEUTRAL + (hue - NEUTRAL) * confidence


def surface_rgb(surface):
    """(res, res, 3) uint8, rows following surface.ys."""
    if surface.kind == "classes":
        rgb = class_colours(surface.values)
    else:
        rgb = diverging(_signed(surface))
    return _to_uint8(NEUTRAL + (rgb - NEUTRAL) * SURFACE_STRENGTH)


def point_colours(surface, labels):
    """RGB (N, 3) uint8 for the points' labels."""
    if surface.kind == "regression":
        return _to_uint8(diverging(labels / _regression_scale(surface)))
    return _to_uint8(CLASS_COLOURS[np.asarray(labels).astype(np.int64) % len(CLASS_COLOURS)])


def units_rgb(units):
    """(n, res, res, 3) uint8 for hidden units' outputs, each scaled by its largest magnitude."""
    scale = np.maximum(np.abs(units).max(axis=(1, 2), keepdims=True), 1e-6)
    return DIVERGING_LUT_UINT8[_levels(units / scale)]


def _signed(surface):
    if surface.kind == "binary":
        return 2.0 * surface.values - 1.0
    return surface.values / _regression_scale(surface)


def _regression_scale(surface):
    targets = np.concatenate([surface.train_points[1], surface.test_points[1]])
    return max(float(np.max(np.abs(surface.values))), float(np.max(np.abs(targets), initial=0)),
               1e-6)


def _to_uint8(rgb):
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def _pixmap(rgb, size):
    """A QPixmap of an (h, w, 3) image whose row 0 is the bottom (y grows upwards)."""
    image = np.ascontiguousarray(rgb[::-1])
    h, w = image.shape[:2]
    qimage = QImage(image.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    return QPixmap.fromImage(qimage).scaled(size, size, Qt.AspectRatioMode.IgnoreAspectRatio,
                                            Qt.TransformationMode.SmoothTransformation)


def _layer_title(layer, dead):
    shown = len(layer.units)
    more = f", first {shown} shown" if shown < layer.total else ""
    dead = f", {dead} dead" if dead else ""
    return f"layer {layer.name}: {layer.total} units{more}{dead}"


class DecisionView(QWidget):
    def __init__(self, max_fps=4, parent=None):
        super().__init__(parent)
        self.min_interval = 1.0 / max_fps
        self.surface = None  # the latest surface given, drawn or about to be
        self.iteration = 0
        self.message = ""
        self._drawn_at = 0.0
        self._timer = QTimer(self, singleShot=True, timeout=self.redraw)

        self.plot = pg.PlotWidget()
        self.plot.setBackground(BACKGROUND)
        self.plot.setAspectLocked(True)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.image = pg.ImageItem()
        self.train_scatter = pg.ScatterPlotItem(size=7, pen=pg.mkPen("w", width=1))
        self.test_scatter = pg.ScatterPlotItem(size=9, brush=pg.mkBrush("#f4f4f4"))
        for item in (self.image, self.train_scatter, self.test_scatter):
            self.plot.addItem(item)
        self.losses = QLabel()
        self.losses.setStyleSheet("font-weight: bold; padding: 2px;")
        legend = QLabel("● training points   ○ test points")
        legend.setStyleSheet("padding: 2px;")  # the theme's text colour
        for label in (self.losses, legend):
            label.setWordWrap(True)  # no minimum width above a small screen's

        self.units = QWidget()
        self.units_layout = QVBoxLayout(self.units)
        self.units_layout.setContentsMargins(4, 4, 4, 4)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.units)
        scroll.setMinimumWidth(TILES_PER_ROW // 2 * (TILE + 4) + 30)  # scrolls on small screens

        left = QVBoxLayout()
        left.addWidget(self.losses)
        left.addWidget(self.plot, 1)
        left.addWidget(legend)
        content = QWidget()
        row = QHBoxLayout(content)
        row.setContentsMargins(0, 0, 0, 0)
        row.addLayout(left, 1)
        row.addWidget(scroll)

        self.message_label = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.message_label.setStyleSheet("font-size: 14px; padding: 12px;")
        self.stack = QStackedWidget()
        self.stack.addWidget(content)
        self.stack.addWidget(self.message_label)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.addWidget(self.stack)
        self.tiles = []  # the hidden-unit QLabels, in layer then unit order
        self.layer_titles = []
        self._tile_shape = None  # (layer name, pictures) per layer of the tiles built
        self._points_key = None  # what the scatters show: point arrays, kind, scale

    # ---- what the feed calls -------------------------------------------------------------
    def show_message(self, text):
        """Show `text` instead of the picture (no project, not 2-D data, ...)."""
        self._timer.stop()
        self.surface, self.message = None, text
        self.message_label.setText(text)
        self.stack.setCurrentWidget(self.message_label)

    def show_surface(self, surface, iteration):
        """Take a new surface; drawn now, or later when the last draw is too recent."""
        self.surface, self.iteration, self.message = surface, iteration, ""
        if not self.isVisible():  # a hidden tab: drawn when it is shown
            self._timer.stop()
            return
        wait = self.min_interval - (time.perf_counter() - self._drawn_at)
        if wait <= 0:
            self.redraw()
        elif not self._timer.isActive():
            self._timer.start(int(wait * 1000) + 1)

    def showEvent(self, event):
        super().showEvent(event)
        if self.surface is not None and not self.message:
            self.redraw()

    def redraw(self):
        """Draw the latest surface now."""
        self._timer.stop()
        surface = self.surface
        if surface is None:
            return
        self._drawn_at = time.perf_counter()
        self.stack.setCurrentIndex(0)
        self._draw_plane(surface)
        self._draw_units(surface.layers)
        self.losses.setText(f"iteration {self.iteration}    train loss {surface.train_loss:.4f}"
                            f"    test loss {surface.test_loss:.4f}")

    # ---- drawing -------------------------------------------------------------------------
    def _draw_plane(self, surface):
        xs, ys = surface.xs, surface.ys
        self.image.setImage(surface_rgb(surface).transpose(1, 0, 2), autoLevels=False)
        dx, dy = xs[1] - xs[0], ys[1] - ys[0]
        self.image.setRect(QRectF(xs[0] - dx / 2, ys[0] - dy / 2, xs[-1] - xs[0] + dx,
                                  ys[-1] - ys[0] + dy))
        points_key = (id(surface.train_points[0]), id(surface.test_points[0]), surface.kind,
                      _regression_scale(surface) if surface.kind == "regression" else None)
        if points_key != self._points_key:  # the same points as last time: keep them
            self._points_key = points_key
            self._draw_points(surface)
        self.plot.setRange(xRange=(xs[0], xs[-1]), yRange=(ys[0], ys[-1]), padding=0)

    def _draw_points(self, surface):
        for scatter, (points, labels), filled in ((self.train_scatter, surface.train_points, True),
                                                  (self.test_scatter, surface.test_points, False)):
            colours = point_colours(surface, labels)
            if filled:
                scatter.setData(pos=points, brush=[pg.mkBrush(*c) for c in colours])
            else:
                scatter.setData(pos=points, pen=[pg.mkPen(*c, width=2.5) for c in colours])

    def _draw_units(self, layers):
        shape = [(layer.name, len(layer.units)) for layer in layers]
        if shape != self._tile_shape:
            self._tile_shape = shape
            self._build_tiles(layers)
        tiles = iter(self.tiles)
        for layer, title in zip(layers, self.layer_titles):
            stride = max(1, layer.units.shape[1] // TILE)  # no more pixels than the tile has
            dead = np.abs(layer.units).max(axis=(1, 2)) < DEAD_BELOW
            title.setText(_layer_title(layer, int(dead.sum())))
            for rgb, is_dead in zip(units_rgb(layer.units[:, ::stride, ::stride]), dead):
                tile = next(tiles)
                tile.setPixmap(_pixmap(rgb, TILE))
                if tile.property("dead") != bool(is_dead):
                    tile.setProperty("dead", bool(is_dead))
                    tile.setStyleSheet(DEAD_STYLE if is_dead else "")

    def _build_tiles(self, layers):
        while self.units_layout.count():
            widget = self.units_layout.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.tiles, self.layer_titles = [], []
        for layer in layers:
            shown = len(layer.units)
            title = QLabel()
            title.setStyleSheet("font-weight: bold; padding-top: 4px;")
            self.layer_titles.append(title)
            self.units_layout.addWidget(title)
            grid_widget = QWidget()
            grid = QGridLayout(grid_widget)
            grid.setSpacing(3)
            grid.setContentsMargins(0, 0, 0, 0)
            for k in range(shown):
                tile = QLabel()
                tile.setFixedSize(TILE, TILE)
                tile.setToolTip(f"layer {layer.name}, unit {k}")
                grid.addWidget(tile, k // TILES_PER_ROW, k % TILES_PER_ROW)
                self.tiles.append(tile)
            self.units_layout.addWidget(grid_widget)
        if not layers:
            self.units_layout.addWidget(QLabel("no hidden activation layers"))
        self.units_layout.addStretch(1)
