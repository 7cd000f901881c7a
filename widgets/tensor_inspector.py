"""The tensor inspector: value and gradient of the selected node side by side.

`show_node(key, value, grad, stats, history_series, message=None)` takes host numpy arrays
(or None when a tensor was not kept or backward has not reached the node), statistics
{"value": {...}, "grad": {...}} to show as they are (the session computes them:
Session.node_view), and the history of the value's statistics {"iteration": [...],
"mean": [...], ...} as app.debugging.history.History.stats returns it, drawn as a sparkline
of the chosen statistic.

"Check gradient" (enabled through `set_gradient_check_target(key)` for a parameter) emits
`gradient_check_requested(key)`; `show_gradient_check(text, ok)` shows the verdict below it.

The statistics table (all rows visible) sits under the header; below it, `show_inputs(rows)`
lists the node's inputs (name, shape, statistics, non-finite count); clicking an op's row
emits `input_chosen(key)` to go to it.
"""
import io
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QApplication, QComboBox, QFileDialog, QHBoxLayout,
                               QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from app.debugging.statistics import STAT_NAMES

from .file_dialogs import start_dir
from .tensor_plots import TensorPlot

COPY_LIMIT = 100_000  # values copied to the clipboard at most
PLOT_HEIGHT = 200  # px, the least a heatmap with its histogram reads at (normal text)
SPARK_HEIGHT = 50  # px, the history sparkline's least height
MAX_INPUT_ROWS = 4  # inputs shown without scrolling the inputs table
INPUT_COLUMNS = ("input", "shape", "non-finite", "mean", "min", "max")


class TensorInspector(QWidget):
    """See the module docstring."""

    gradient_check_requested = Signal(str)
    fetch_requested = Signal(str)  # static mode: recompile fetching this node
    input_chosen = Signal(str)  # an input of the shown node, to go to

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
        self._make_tables()
        self._make_buttons()
        self._lay_out()
        self._fit_tables()
        self._enable(False)
        self.set_gradient_check_target(None)
        self.set_fetch_target(None)

    def _make_tables(self):
        """The statistics table and the inputs table."""
        self.table = QTableWidget(len(STAT_NAMES), 2)
        self.table.setHorizontalHeaderLabels(["value", "gradient"])
        self.table.setVerticalHeaderLabels([n.replace("_", " ") for n in STAT_NAMES])
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.inputs = QTableWidget(0, len(INPUT_COLUMNS))
        self.inputs.setHorizontalHeaderLabels(INPUT_COLUMNS)
        self.inputs.verticalHeader().setVisible(False)
        self.inputs.setEditTriggers(QTableWidget.NoEditTriggers)
        self.inputs.setSelectionBehavior(QTableWidget.SelectRows)
        self.inputs.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.inputs.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeToContents)
        self.inputs.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.inputs.setToolTip("The node's inputs; click one to go to it")
        self.inputs.cellClicked.connect(self._input_clicked)
        self.input_keys = []

    def _make_buttons(self):
        """The sparkline with its statistic, copy, save, check gradient and fetch."""
        self.stat_choice = QComboBox()
        self.stat_choice.addItems(STAT_NAMES)
        self.stat_choice.setToolTip("The statistic whose history (one point per iteration) "
                                    "the sparkline shows")
        self.stat_choice.currentTextChanged.connect(self._draw_sparkline)
        self.sparkline = pg.PlotWidget(background="w")
        self.sparkline.setMaximumHeight(90)
        self.spark_curve = self.sparkline.plot(pen="#4662d7")
        self.copy_button = QPushButton("Copy values")
        self.copy_button.setToolTip("Copy the node's value to the clipboard as text")
        self.copy_button.clicked.connect(lambda: self.copy_values("value"))
        self.save_button = QPushButton("Save .npy")
        self.save_button.setToolTip("Save the node's value as a NumPy .npy file")
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

    def _lay_out(self):
        plots_box = _Box()  # the plots take the height left, never the statistics'
        plots = QHBoxLayout(plots_box)
        plots.setContentsMargins(0, 0, 0, 0)
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
        self.plots_box = plots_box
        self.set_scale(1.0)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.table)
        layout.addWidget(self.inputs)
        layout.addLayout(check_row)
        layout.addWidget(plots_box, 3)
        layout.addLayout(spark_row)
        layout.addWidget(self.sparkline)

    def set_scale(self, scale):
        """Heights for text `scale` times the normal size (presentation mode): the plots
        keep room for their axes (the dock scrolls below that), the statistics stay whole."""
        for widget, lowest in ((self.value_plot, PLOT_HEIGHT), (self.grad_plot, PLOT_HEIGHT),
                               (self.plots_box, PLOT_HEIGHT), (self.sparkline, SPARK_HEIGHT)):
            widget.setMinimumHeight(int(lowest * scale))
        self.sparkline.setMaximumHeight(int(SPARK_HEIGHT * 1.5 * scale))

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
        self._fill_table(stats or {})
        self.series = history_series
        self._draw_sparkline()
        self._enable(shown is not None)

    def _fit_tables(self):
        """Every statistic and every input (up to MAX_INPUT_ROWS) visible without scrolling
        the table, at the current font size (presentation mode enlarges it): the dock
        scrolls instead."""
        inputs = min(max(len(self.input_keys), 1), MAX_INPUT_ROWS)
        for table, rows in ((self.table, len(STAT_NAMES)), (self.inputs, inputs)):
            rows_header = table.verticalHeader()
            row = max(table.fontMetrics().height() + 6, rows_header.minimumSectionSize())
            rows_header.setDefaultSectionSize(row)
            header = table.horizontalHeader().sizeHint().height()
            table.setFixedHeight(header + row * rows + 2 * table.frameWidth() + 2)
        if self.layout() is not None:  # lay out again with the new heights now
            self.layout().invalidate()
            self.layout().activate()

    def changeEvent(self, event):
        if event.type() in (QEvent.FontChange, QEvent.StyleChange):
            self._fit_tables()
        super().changeEvent(event)

    def showEvent(self, event):
        self._fit_tables()  # the window's style sheet is applied by now
        super().showEvent(event)

    def show_inputs(self, rows):
        """The node's inputs: dicts with "key", "shape" (or None) and "stats" (a statistics
        dict, or None when the value is not known here)."""
        self.input_keys = [r["key"] for r in rows]
        self.inputs.setRowCount(len(rows))
        for row, r in enumerate(rows):
            stats = r.get("stats") or {}
            shape = r.get("shape")
            texts = [r["key"], "\u00d7".join(map(str, shape)) or "scalar" if shape is not None
                     else ""]
            bad = stats.get("nonfinite")
            texts.append("" if bad is None else str(int(bad)))
            texts += [_number(stats.get(name)) for name in ("mean", "min", "max")]
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if bad:
                    item.setForeground(QColor("#e0543c"))
                self.inputs.setItem(row, column, item)
        self._fit_tables()

    def _input_clicked(self, row, column):
        if 0 <= row < len(self.input_keys):
            self.input_chosen.emit(self.input_keys[row])

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
        """Copy the shown value (or "grad") to the clipboard as text."""
        QApplication.clipboard().setText(self.values_text(which))

    def save_npy(self, path, which="value"):
        """Save the shown value (or "grad") as a .npy file at `path`."""
        a = self.arrays[which]
        if a is None:
            raise ValueError(f"TensorInspector: node {self.key!r} has no {which} to save")
        np.save(path, np.asarray(a), allow_pickle=False)

    def _ask_save(self):
        which = "value" if self.arrays["value"] is not None else "grad"
        name = (self.key or "tensor").replace("/", "_").replace("#", "_")
        suggested = Path(start_dir(None, "tensor")) / f"{name}_{which}.npy"
        path, _ = QFileDialog.getSaveFileName(self, "Save tensor", str(suggested),
                                              "NumPy arrays (*.npy)")
        if path:
            self.save_npy(path, which)


class _Box(QWidget):
    """A container whose height does not depend on its width (wrapped labels inside it
    would otherwise claim height the statistics table needs)."""

    def hasHeightForWidth(self):
        return False


def _number(v):
    return "" if v is None else f"{v:.3g}"
