"""Loss and test-accuracy curves (pyqtgraph), redrawn at most `max_fps` times a second
(and at once when the project changes)."""
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QWidget


CLASSIFICATION_LOSSES = ("CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss")


class CurvesView(QWidget):
    def __init__(self, session, max_fps=2, parent=None):
        super().__init__(parent)
        self.session = session
        self.min_interval = 1.0 / max_fps
        self._drawn_at = 0.0
        self.loss_plot = self._plot("Training loss", "loss")
        self.accuracy_plot = self._plot("Test accuracy", "accuracy")
        self.accuracy_plot.setYRange(0, 1)
        self.loss_curve = self.loss_plot.plot(pen=pg.mkPen("#3d8bfd", width=2))
        self.accuracy_curve = self.accuracy_plot.plot(pen=pg.mkPen("#2fb380", width=2))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.loss_plot)
        layout.addWidget(self.accuracy_plot)
        session.subscribe(self._changed)

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

    def _changed(self, changes):
        if "project" in changes:
            self.redraw()
        elif "curves" in changes and time.perf_counter() - self._drawn_at >= self.min_interval:
            self.redraw()

    def redraw(self):
        """Draw every point now (also used by the screenshot and after a manual step)."""
        self._drawn_at = time.perf_counter()
        project = self.session.project
        loss = project.train.loss if project is not None else ""
        self.accuracy_plot.setTitle("Test accuracy" if loss in CLASSIFICATION_LOSSES else
                                    f"Test accuracy (none for {loss or 'no project'})")
        for curve, points in ((self.loss_curve, self.session.losses),
                              (self.accuracy_curve, self.session.accuracies)):
            if points:
                xy = np.asarray(points, dtype=np.float64)
                finite = np.isfinite(xy[:, 1])
                curve.setData(xy[finite, 0], xy[finite, 1])
            else:
                curve.setData([], [])
