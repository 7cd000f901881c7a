"""The log of breakpoint hits: iteration, phase, node and why it stopped. Plain step ends
and pauses are not hits and are left out (the status bar says where a step ended).
HitLogFeed (widgets/window/feeds.py) fills it from the session; a click on a hit emits
`node_selected(key)`."""
from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

COLUMNS = ("iteration", "phase", "node", "reason")
ALERT = QColor("#e0a030")
STEP_KINDS = ("step_op", "step_layer", "step_out", "step_phase", "step_iteration", "pause",
              "run_to")  # where a command was asked to stop: no breakpoint hit


class BreakpointLog(QTableWidget):
    """node_selected(key) when the user clicks a hit."""

    node_selected = Signal(str)

    def __init__(self, parent=None):
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.horizontalHeader().setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.Stretch)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setToolTip("Breakpoint hits and errors: why the debugger stopped (click one to "
                        "select its node)")
        self.shown = []  # the hits listed, in order
        self.itemSelectionChanged.connect(self._select_node)

    def show_hits(self, hits):
        """List the hits (app.debugging.breakpoints.Hit, oldest first) that are not plain
        step ends; rows already listed stay."""
        hits = [h for h in hits if h.kind not in STEP_KINDS]
        if hits[:len(self.shown)] != self.shown:
            self.setRowCount(0)
            self.shown = []
        for row in range(len(self.shown), len(hits)):
            hit = hits[row]
            self.shown.append(hit)
            self.insertRow(row)
            values = (str(hit.iteration), hit.phase or "", hit.key or "", hit.message)
            for column, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setToolTip(hit.message)
                item.setForeground(QBrush(ALERT))
                self.setItem(row, column, item)
        if hits:
            self.scrollToBottom()

    def _select_node(self):
        rows = {index.row() for index in self.selectedIndexes()}
        if len(rows) == 1:
            key = self.shown[rows.pop()].key
            if key:
                self.node_selected.emit(key)
