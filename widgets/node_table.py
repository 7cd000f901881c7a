"""The nodes of the current graph as a table: key, op, inputs, shape, and the latest value
and gradient statistics; the current node is highlighted, a click selects a node
(`node_selected`). NodeTableFeed (widgets/window/feeds.py) fills it from the session."""
from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

COLUMNS = ("node", "op", "inputs", "shape", "mean", "std", "grad norm", "non-finite")
CURRENT = QColor("#3d5a80")
BREAKPOINT = QColor("#d64545")


def _number(stats, kind, name):
    value = stats.get(kind, {}).get(name)
    return "" if value is None else f"{value:.4g}"


class NodeTable(QTableWidget):
    """node_selected(key) when the user clicks a row."""

    node_selected = Signal(str)

    def __init__(self, parent=None):
        super().__init__(0, len(COLUMNS), parent)
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

    def show_nodes(self, nodes, stats, current=None, breakpoints=(), selected=None):
        """List `nodes` (GraphNodes) with their `stats` ({key: {"value": {...}, "grad":
        {...}}}), the `current` node highlighted, `breakpoints` marked, `selected` selected."""
        self._keys = [n.key for n in nodes]
        self.blockSignals(True)
        self.setRowCount(len(nodes))
        for row, node in enumerate(nodes):
            node_stats = stats.get(node.key, {})
            non_finite = node_stats.get("value", {}).get("nonfinite", 0) + \
                node_stats.get("grad", {}).get("nonfinite", 0)
            values = (node.key, node.op, ", ".join(node.inputs), str(tuple(node.shape)),
                      _number(node_stats, "value", "mean"), _number(node_stats, "value", "std"),
                      _number(node_stats, "grad", "norm"),
                      f"{non_finite:g}" if node_stats else "")
            marked = node.key in breakpoints
            for column, text in enumerate(values):
                item = QTableWidgetItem(("\u25cf " if marked and column == 0 else "") + text)
                if node.key == current:
                    item.setBackground(QBrush(CURRENT))
                if marked:
                    item.setForeground(QBrush(BREAKPOINT))
                self.setItem(row, column, item)
            if node.key == selected:
                self.selectRow(row)
        self.blockSignals(False)
        if current in self._keys:
            self.scrollToItem(self.item(self._keys.index(current), 0))

    def _selected(self):
        rows = {index.row() for index in self.selectedIndexes()}
        if len(rows) == 1:
            self.node_selected.emit(self._keys[rows.pop()])
