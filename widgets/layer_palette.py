"""The layer palette: every layer type the builder knows (app/project/layers/), grouped by
category, with what it does; double-click (or the Add button) appends one after the selected
row of the network builder."""
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from app.project.layers import LAYERS

TYPE_ROLE = Qt.ItemDataRole.UserRole  # a layer item's type name (category headings have none)


class LayerPalette(QWidget):
    """add_requested(type name)."""

    add_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setObjectName("layerPalette")
        for category in dict.fromkeys(d.category for d in LAYERS.values()):
            heading = QListWidgetItem(category)
            heading.setFlags(Qt.ItemFlag.NoItemFlags)
            font = QFont(heading.font())
            font.setBold(True)
            heading.setFont(font)
            self.list.addItem(heading)
            for name, declaration in LAYERS.items():
                if declaration.category == category:
                    self.list.addItem(_layer_item(name, declaration.description))
        self.list.setCurrentRow(1)
        self.list.itemDoubleClicked.connect(self._add)
        self.add_button = QPushButton("Add layer")
        self.add_button.setToolTip("Add the chosen layer type after the selected row")
        self.add_button.clicked.connect(self._add_current)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list)
        layout.addWidget(self.add_button)

    def _add_current(self):
        if self.list.currentItem() is not None:
            self._add(self.list.currentItem())

    def _add(self, item):
        if item.data(TYPE_ROLE):
            self.add_requested.emit(item.data(TYPE_ROLE))


def _layer_item(name, description):
    item = QListWidgetItem(f"  {name}")
    item.setData(TYPE_ROLE, name)
    item.setToolTip(f"{name}: {description}\nDouble-click to add it after the selected layer.")
    return item
