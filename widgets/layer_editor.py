"""The parameter editor of one network row: a spin box, check box or combo box per
parameter of the layer type (its declaration in app/project/layers/), with its range and doc
as tooltip, under the type's description."""
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLabel,
                               QSpinBox, QWidget)

from app.project.layers import LAYERS

DEFAULT_TEXT = "default"


class LayerEditor(QWidget):
    """param_changed(row, parameter, value): the user changed one value (None = default)."""

    param_changed = Signal(int, str, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(4, 4, 4, 4)
        self.row = None
        self.layer_type = None
        self.fields = {}  # parameter -> editor widget

    def show_row(self, row, layer, issues=()):
        """Edit `layer` (a LayerSpec) of network row `row`; `issues` mark their fields."""
        params = layer.resolved_params() if layer is not None else {}
        if row != self.row or layer is None or layer.type != self.layer_type:
            self._rebuild(row, layer)
        bad = {issue.field: issue.message for issue in issues}
        for name, widget in self.fields.items():
            widget.blockSignals(True)
            _set_value(widget, params.get(name))
            widget.blockSignals(False)
            widget.setProperty("invalid", name in bad)
            widget.style().unpolish(widget)
            widget.style().polish(widget)
            if name in bad:
                widget.setToolTip(bad[name])

    def _rebuild(self, row, layer):
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        self.row, self.layer_type = row, layer.type if layer is not None else None
        if layer is None:
            self.form.addRow(QLabel("Select a layer to edit its parameters."))
            return
        title = QLabel(f"<b>{row}: {layer.type}</b>")
        self.form.addRow(title)
        declaration = LAYERS.get(layer.type)
        if declaration is not None:
            description = QLabel(declaration.description)
            description.setWordWrap(True)
            self.form.addRow(description)
        definitions = declaration.params if declaration is not None else ()
        if not definitions:
            self.form.addRow(QLabel("No parameters: input sizes are inferred."))
        for definition in definitions:
            widget = _editor(definition)
            widget.setToolTip(f"{definition.name}: {definition.doc}")
            widget.setObjectName(f"param_{definition.name}")
            _connect(widget, lambda value, name=definition.name: self._changed(name, value))
            self.fields[definition.name] = widget
            self.form.addRow(definition.name, widget)

    def _changed(self, name, value):
        self.param_changed.emit(self.row, name, value)


def _editor(definition):
    if definition.kind == "bool":
        return QCheckBox()
    if definition.kind == "choice":
        box = QComboBox()
        box.addItems([str(c) for c in definition.choices])
        return box
    box = QSpinBox() if definition.kind == "int" else QDoubleSpinBox()
    low = -1e9 if definition.minimum is None else definition.minimum
    high = 1e9 if definition.maximum is None else definition.maximum
    if definition.kind == "float":
        box.setDecimals(3)
        box.setSingleStep(0.05)
    if definition.optional:  # one step below the minimum reads "default" (None)
        low -= 1
        box.setSpecialValueText(DEFAULT_TEXT)
    box.setRange(int(low) if definition.kind == "int" else low,
                 int(high) if definition.kind == "int" else high)
    box.setProperty("optional", definition.optional)
    return box


def _connect(widget, emit):
    if isinstance(widget, QCheckBox):
        widget.toggled.connect(emit)
    elif isinstance(widget, QComboBox):
        widget.currentTextChanged.connect(emit)
    else:
        def changed(value):
            emit(None if widget.property("optional") and value == widget.minimum() else value)
        widget.valueChanged.connect(changed)


def _set_value(widget, value):
    if isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, QComboBox):
        widget.setCurrentText(str(value))
    elif value is None:
        widget.setValue(widget.minimum())
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        widget.setValue(value)
