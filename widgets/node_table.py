"""The nodes of the current graph as a table: key, op, inputs, shape, and the latest value
and gradient statistics; the current node is highlighted, a click selects a node. While the
debugger runs it refreshes at most every REFRESH_S."""
import time

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

COLUMNS = ("node", "op", "inputs", "shape", "mean", "std", "grad norm", "non-finite")
CURRENT = QColor("#3d5a80")
BREAKPOINT = QColor("#d64545")
REFRESH_S = 0.5


def _number(stats, kind, name):
    value = stats.get(kind, {}).get(name)
    return "" if value is None else f"{value:.4g}"


class NodeTable(QTableWidget):
    def __init__(self, session, parent=None):
        super().__init__(0, len(COLUMNS), parent)
        self.session = session
        self.setObjectName("nodeTable")
        self.setHorizontalHeaderLabels(COLUMNS)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.Stretch)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.itemSelectionChanged.connect(self._selected)
        self._keys = []
        self._shown_at = 0.0
        session.subscribe(self._changed)

    def _changed(self, changes):
        state = self.session.state
        if state is not None and state.status == "running" and not changes & {"graph", "project"}:
            now = time.perf_counter()
            if now - self._shown_at < REFRESH_S:
                return
        if changes & {"graph", "stats", "state", "breakpoints", "project", "selection"}:
            self.refresh()

    def refresh(self):
        session = self.session
        self._shown_at = time.perf_counter()
        nodes = session.graph
        self._keys = [n.key for n in nodes]
        current = session.state.key if session.state else None
        self.blockSignals(True)
        self.setRowCount(len(nodes))
        for row, node in enumerate(nodes):
            stats = session.stats.get(node.key, {})
            non_finite = stats.get("value", {}).get("nonfinite", 0) + \
                stats.get("grad", {}).get("nonfinite", 0)
            values = (node.key, node.op, ", ".join(node.inputs), str(tuple(node.shape)),
                      _number(stats, "value", "mean"), _number(stats, "value", "std"),
                      _number(stats, "grad", "norm"), f"{non_finite:g}" if stats else "")
            marked = node.key in session.breakpoint_targets
            for column, text in enumerate(values):
                item = QTableWidgetItem(("\u25cf " if marked and column == 0 else "") + text)
                if node.key == current:
                    item.setBackground(QBrush(CURRENT))
                if marked:
                    item.setForeground(QBrush(BREAKPOINT))
                self.setItem(row, column, item)
            if node.key == session.selected:
                self.selectRow(row)
        self.blockSignals(False)
        if current in self._keys:
            self.scrollToItem(self.item(self._keys.index(current), 0))

    def _selected(self):
        rows = {index.row() for index in self.selectedIndexes()}
        if len(rows) == 1:
            self.session.select(self._keys[rows.pop()])
