"""The log of breakpoint hits and stops: iteration, phase, node and why it stopped."""
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

COLUMNS = ("iteration", "phase", "node", "reason")
ALERT = QColor("#e0a030")
STEP_KINDS = ("step_op", "step_layer", "step_out", "step_phase", "step_iteration", "pause")


class BreakpointLog(QTableWidget):
    def __init__(self, session, parent=None):
        super().__init__(0, len(COLUMNS), parent)
        self.session = session
        self.setHorizontalHeaderLabels(COLUMNS)
        self.horizontalHeader().setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.Stretch)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setToolTip("Why the debugger stopped: breakpoint hits in orange, steps in grey")
        self.itemSelectionChanged.connect(self._select_node)
        session.subscribe(self._changed)

    def _changed(self, changes):
        if "hits" in changes or "project" in changes:
            self.refresh()

    def refresh(self):
        hits = self.session.hits
        if len(hits) < self.rowCount():
            self.setRowCount(0)
        for row in range(self.rowCount(), len(hits)):
            hit = hits[row]
            self.insertRow(row)
            values = (str(hit.iteration), hit.phase or "", hit.key or "", hit.message)
            for column, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setToolTip(hit.message)
                if hit.kind not in STEP_KINDS:
                    item.setForeground(QBrush(ALERT))
                self.setItem(row, column, item)
        if hits:
            self.scrollToBottom()

    def _select_node(self):
        rows = {index.row() for index in self.selectedIndexes()}
        if len(rows) == 1:
            key = self.session.hits[rows.pop()].key
            if key:
                self.session.select(key)
