"""The keyboard-shortcut sheet (Help > Keyboard shortcuts, `?`): every action of a window that
has a shortcut, read from the window itself (its menus, then any other action or button with a
shortcut), so the sheet cannot drift from what the keys do."""
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QDialog, QHeaderView,
                               QLineEdit, QTableWidget, QTableWidgetItem, QVBoxLayout)

COLUMNS = ("Keys", "Command", "Where", "What it does")


def plain_text(text):
    """`text` of an action or button without its & mnemonics and trailing dots."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip(".").strip()


def _keys(shortcuts):
    return ", ".join(s.toString(QKeySequence.NativeText) for s in shortcuts if not s.isEmpty())


def _menu_rows(menu, where, seen):
    rows = []
    for action in menu.actions():
        if action.menu() is not None:
            rows += _menu_rows(action.menu(), f"{where} > {plain_text(action.text())}", seen)
        elif not action.isSeparator() and action.shortcuts():
            seen.add(action)
            rows.append((_keys(action.shortcuts()), plain_text(action.text()), where,
                         action.statusTip() or action.toolTip()))
    return rows


def shortcut_rows(window):
    """(keys, command, where, description) of every shortcut of `window`: its menus' actions
    in menu order, then the other actions and the buttons that have one."""
    seen = set()
    rows = []
    for action in window.menuBar().actions():
        if action.menu() is not None:
            rows += _menu_rows(action.menu(), plain_text(action.text()), seen)
    for action in window.findChildren(QAction):
        if action not in seen and action.shortcuts() and action.text():
            seen.add(action)
            rows.append((_keys(action.shortcuts()), plain_text(action.text()), "window",
                         action.statusTip() or action.toolTip()))
    for button in window.findChildren(QAbstractButton):
        if not button.shortcut().isEmpty():
            rows.append((_keys([button.shortcut()]), plain_text(button.text()), "button",
                         button.toolTip()))
    return rows


class ShortcutSheet(QDialog):
    """A searchable table of `shortcut_rows(window)`."""

    def __init__(self, window):
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter (command, key or menu)…")
        self.filter.setToolTip("Show only the shortcuts whose text contains this")
        self.filter.textChanged.connect(self._filter)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.Stretch)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        self.refresh(window)
        screen = window.screen().availableGeometry() if window.screen() else None
        width, height = 860, 560
        if screen is not None:
            width, height = min(width, screen.width() - 40), min(height, screen.height() - 60)
        self.resize(width, height)

    def refresh(self, window):
        rows = shortcut_rows(window)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c == 0:
                    item.setTextAlignment(Qt.AlignLeft | Qt.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()

    def rows(self):
        """The table's rows as shown (for tests and the filter)."""
        return [tuple(self.table.item(r, c).text() for c in range(len(COLUMNS)))
                for r in range(self.table.rowCount())]

    def _filter(self, text):
        needle = text.strip().lower()
        for r, row in enumerate(self.rows()):
            self.table.setRowHidden(r, bool(needle) and needle not in " ".join(row).lower())
