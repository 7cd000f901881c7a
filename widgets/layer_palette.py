"""The layer palette: every layer type the builder knows, with what it does; double-click
(or the Add button) appends one after the selected row of the network builder."""
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from app.project.specs import LAYER_TYPES

DESCRIPTIONS = {
    "Linear": "Fully connected layer: y = x W^T + b",
    "Conv2d": "2-D convolution over (channels, height, width) inputs",
    "MaxPool2d": "Maximum over sliding windows of each channel",
    "Flatten": "Flattens every sample to one vector",
    "LSTM": "Long short-term memory over a (time, features) sequence",
    "Embedding": "Looks up a learned vector for each token id",
    "Dropout": "Zeroes random units while training (scaled by 1 / (1 - p))",
    "BatchNorm1d": "Normalises each feature over the batch (vectors)",
    "BatchNorm2d": "Normalises each channel over the batch (images)",
    "LayerNorm": "Normalises each sample over its features",
    "ReLU": "max(x, 0)",
    "Sigmoid": "1 / (1 + exp(-x))",
    "Tanh": "Hyperbolic tangent",
    "GELU": "Gaussian error linear unit",
    "Softmax": "Exponentials normalised to sum to 1 along an axis",
}


class LayerPalette(QWidget):
    """add_requested(type name)."""

    add_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setObjectName("layerPalette")
        for name in LAYER_TYPES:
            item = QListWidgetItem(name)
            item.setToolTip(f"{name}: {DESCRIPTIONS.get(name, '')}\nDouble-click to add it "
                            "after the selected layer.")
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda item: self.add_requested.emit(item.text()))
        self.add_button = QPushButton("Add layer")
        self.add_button.setToolTip("Add the chosen layer type after the selected row")
        self.add_button.clicked.connect(self._add_current)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list)
        layout.addWidget(self.add_button)

    def _add_current(self):
        item = self.list.currentItem()
        if item is not None:
            self.add_requested.emit(item.text())
