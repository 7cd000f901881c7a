"""Loss and test-accuracy curves (pyqtgraph): `show_curves(losses, accuracies, loss_name)`
draws every point (CurvesFeed, widgets/window/feeds.py, calls it from the session, throttled)."""
import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QWidget


CLASSIFICATION_LOSSES = ("CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss")


class CurvesView(QWidget):
    """The training loss and the test accuracy over the iterations, side by side."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.loss_plot = self._plot("Training loss", "loss")
        self.accuracy_plot = self._plot("Test accuracy", "accuracy")
        self.accuracy_plot.setYRange(0, 1)
        self.loss_curve = self.loss_plot.plot(pen=pg.mkPen("#3d8bfd", width=2))
        self.accuracy_curve = self.accuracy_plot.plot(  # sparse points: each one marked
            pen=pg.mkPen("#2fb380", width=2), symbol="o", symbolSize=5, symbolBrush="#2fb380",
            symbolPen=None)
        self.accuracy_plot.setXLink(self.loss_plot)  # the same iterations side by side
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.loss_plot)
        layout.addWidget(self.accuracy_plot)

    @staticmethod
    def _plot(title, label):
        plot = pg.PlotWidget(title=title)
        plot.setBackground("#1e2127")
        plot.showGrid(x=False, y=False)
        plot.setLabel("bottom", "iteration")
        plot.setLabel("left", label)
        plot.setDownsampling(auto=True, mode="peak")  # long runs: one point per pixel
        plot.setClipToView(True)
        plot.setMenuEnabled(False)
        return plot

    def show_curves(self, losses, accuracies, loss_name):
        """Draw every point: (iteration, loss) and (iteration, accuracy) pairs; `loss_name`
        ("" without a project) says whether there is an accuracy."""
        self.accuracy_plot.setTitle("Test accuracy" if loss_name in CLASSIFICATION_LOSSES else
                                    f"Test accuracy (none for {loss_name or 'no project'})")
        for curve, points in ((self.loss_curve, losses), (self.accuracy_curve, accuracies)):
            if points:
                xy = np.asarray(points, dtype=np.float64)
                finite = np.isfinite(xy[:, 1])
                curve.setData(xy[finite, 0], xy[finite, 1])
            else:
                curve.setData([], [])
        if losses:
            self.loss_plot.enableAutoRange(axis="x")
        else:  # no iteration yet: an axis from 0, not one around nothing
            self.loss_plot.setXRange(0, 1, padding=0)
