"""The tensor inspector: value and gradient of the selected node side by side.

`show_node(key, value, grad, stats, history_series, message=None)` takes host numpy arrays
(or None when a tensor was not kept or backward has not reached the node), statistics
{"value": {...}, "grad": {...}} (computed here from the arrays when not given), and the
history of the value's statistics {"iteration": [...], "mean": [...], ...} as
app.debugging.history.History.stats returns it, drawn as a sparkline of the chosen statistic.

"Check gradient" (enabled through `set_gradient_check_target(key)` for a parameter) emits
`gradient_check_requested(key)`; `show_gradient_check(text, ok)` shows the verdict below it.
"""
import io

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QApplication, QComboBox, QFileDialog, QHBoxLayout,
                               QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from app.debugging.history import STAT_NAMES, stats_dict, summarize

from .tensor_plots import TensorPlot

COPY_LIMIT = 100_000  # values copied to the clipboard at most


class TensorInspector(QWidget):
    gradient_check_requested = Signal(str)
    fetch_requested = Signal(str)  # static mode: recompile fetching this node

    def __init__(self, parent=None):
        super().__init__(parent)
        self.key = None
        self.check_target = None
        self.arrays = {"value": None, "grad": None}
        self.series = None
        self.header = QLabel("No node selected")
        self.header.setWordWrap(True)
        self.value_plot = TensorPlot("value", "viridis")
        self.grad_plot = TensorPlot("gradient", "CET-D1", symmetric=True)
        self.table = QTableWidget(len(STAT_NAMES), 2)
        self.table.setHorizontalHeaderLabels(["value", "gradient"])
        self.table.setVerticalHeaderLabels([n.replace("_", " ") for n in STAT_NAMES])
        self.table.setMaximumHeight(240)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.stat_choice = QComboBox()
        self.stat_choice.addItems(STAT_NAMES)
        self.stat_choice.currentTextChanged.connect(self._draw_sparkline)
        self.sparkline = pg.PlotWidget(background="w")
        self.sparkline.setMaximumHeight(90)
        self.spark_curve = self.sparkline.plot(pen="#4662d7")
        self.copy_button = QPushButton("Copy values")
        self.copy_button.clicked.connect(lambda: self.copy_values("value"))
        self.save_button = QPushButton("Save .npy")
        self.save_button.clicked.connect(self._ask_save)
        self.check_button = QPushButton("Check gradient")
        self.check_button.clicked.connect(
            lambda: self.gradient_check_requested.emit(self.check_target))
        self.check_result = QLabel()
        self.check_result.setWordWrap(True)
        self.fetch_button = QPushButton("Add to fetch list")
        self.fetch_button.setToolTip("Static mode keeps only fetched tensors: recompile the "
                                     "graph to fetch this node at every step")
        self.fetch_button.clicked.connect(lambda: self.fetch_requested.emit(self.fetch_target))
        self.fetch_target = None

        plots = QHBoxLayout()
        plots.addWidget(self.value_plot, 1)
        plots.addWidget(self.grad_plot, 1)
        spark_row = QHBoxLayout()
        spark_row.addWidget(QLabel("history of"))
        spark_row.addWidget(self.stat_choice)
        spark_row.addStretch()
        spark_row.addWidget(self.copy_button)
        spark_row.addWidget(self.save_button)
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button)
        check_row.addWidget(self.check_result, 1)
        check_row.addWidget(self.fetch_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(check_row)
        layout.addLayout(plots, 3)
        layout.addWidget(self.table)
        layout.addLayout(spark_row)
        layout.addWidget(self.sparkline)
        self._enable(False)
        self.set_gradient_check_target(None)
        self.set_fetch_target(None)

    def set_gradient_check_target(self, key, why_not="select a parameter to check its gradient"):
        """Enable "Check gradient" for parameter `key`; None disables it (`why_not` as tip)."""
        if key != self.check_target:
            self.check_result.clear()
        self.check_target = key
        self.check_button.setEnabled(key is not None)
        self.check_button.setToolTip(why_not if key is None else
                                     f"Compare the engine's gradient of {key} with central "
                                     "finite differences")

    def set_fetch_target(self, key):
        """Show "Add to fetch list" for node `key` (static mode, not fetched); None hides it."""
        self.fetch_target = key
        self.fetch_button.setVisible(key is not None)

    def show_gradient_check(self, text, ok):
        """The verdict of a gradient check (green when it agrees, red otherwise)."""
        self.check_result.setStyleSheet(f"color: {'#2fb380' if ok else '#e0543c'}")
        self.check_result.setText(text)

    def show_node(self, key, value, grad, stats=None, history_series=None, message=None,
                  device="cpu"):
        """Show a node's tensors; `message` explains missing tensors (e.g. not kept)."""
        self.key = key
        self.arrays = {"value": value, "grad": grad}
        stats = dict(stats or {})
        shown = value if value is not None else grad
        if shown is not None:
            shape = "×".join(map(str, np.shape(shown))) or "scalar"
            self.header.setText(f"<b>{key}</b> — shape {shape}, dtype {np.asarray(shown).dtype},"
                                f" device {device}" + (f"<br>{message}" if message else ""))
        else:
            self.header.setText(f"<b>{key}</b>" + (f" — {message}" if message else ""))
        for kind, plot, missing in (("value", self.value_plot, "not kept"),
                                    ("grad", self.grad_plot, "no gradient (yet)")):
            array = self.arrays[kind]
            if array is None:
                plot.show_message(message or missing)
            else:
                plot.show_array(array)
                if stats.get(kind) is None:
                    stats[kind] = stats_dict(summarize([np.asarray(array)])[0])
        self._fill_table(stats)
        self.series = history_series
        self._draw_sparkline()
        self._enable(shown is not None)

    def _fill_table(self, stats):
        for col, kind in enumerate(("value", "grad")):
            row_stats = stats.get(kind) or {}
            for row, name in enumerate(STAT_NAMES):
                v = row_stats.get(name)
                text = "" if v is None else (f"{int(v)}" if name == "nonfinite" else f"{v:.5g}")
                item = self.table.item(row, col)
                if item is None:
                    self.table.setItem(row, col, QTableWidgetItem(text))
                elif item.text() != text:
                    item.setText(text)

    def _draw_sparkline(self, *_):
        """Redraw the history curve, unless it is the one drawn (its axes redraw with it)."""
        s = self.series
        name = self.stat_choice.currentText()
        if not s or name not in s or len(s["iteration"]) == 0:
            x = y = np.zeros(0)
        else:
            x = np.asarray(s["iteration"], dtype=np.float64)
            y = np.asarray(s[name], dtype=np.float64)
        drawn = self.spark_curve.getData()
        if drawn[0] is not None and np.array_equal(drawn[0], x) and np.array_equal(
                drawn[1], y, equal_nan=True):
            return
        self.spark_curve.setData(x, y)

    def _enable(self, on):
        self.copy_button.setEnabled(on)
        self.save_button.setEnabled(on)

    def values_text(self, which="value"):
        """The tensor as text (rows of a 2-D view), for the clipboard."""
        a = self.arrays[which]
        if a is None:
            raise ValueError(f"TensorInspector: node {self.key!r} has no {which} to copy")
        a = np.asarray(a)
        flat = a.reshape(1, -1) if a.ndim < 2 else a.reshape(-1, a.shape[-1])
        out = io.StringIO()
        np.savetxt(out, flat[:max(1, COPY_LIMIT // max(flat.shape[1], 1))], fmt="%.7g",
                   delimiter="\t")
        return out.getvalue()

    def copy_values(self, which="value"):
        QApplication.clipboard().setText(self.values_text(which))

    def save_npy(self, path, which="value"):
        a = self.arrays[which]
        if a is None:
            raise ValueError(f"TensorInspector: node {self.key!r} has no {which} to save")
        np.save(path, np.asarray(a), allow_pickle=False)

    def _ask_save(self):
        which = "value" if self.arrays["value"] is not None else "grad"
        name = (self.key or "tensor").replace("/", "_").replace("#", "_")
        path, _ = QFileDialog.getSaveFileName(self, "Save tensor", f"{name}_{which}.npy",
                                              "NumPy arrays (*.npy)")
        if path:
            self.save_npy(path, which)
