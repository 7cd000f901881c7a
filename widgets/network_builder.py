"""The network builder: the ordered stack of layer rows, each with its inferred output shape
and, in red, its error (naming the layer and the parameter); a parameter editor for the
selected row; add, remove and drag to reorder. Every edit is sent as a new Project through
`edit_requested` (the main window puts it on the undo stack)."""
import copy

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QPushButton, QVBoxLayout, QWidget)

from app.project import LayerSpec, format_shape

from .layer_editor import LayerEditor

ERROR_COLOUR = QColor("#d64545")
ORIGINAL_ROW = Qt.UserRole


class LayerStack(QListWidget):
    """The rows; a drop reports the new order as the original row indices."""

    order_changed = Signal(list)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("layerStack")
        self.setDragDropMode(QAbstractItemView.InternalMove)
        self.setDefaultDropAction(Qt.MoveAction)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.setWordWrap(True)

    def dropEvent(self, event):
        super().dropEvent(event)
        self.emit_order()

    def emit_order(self):
        """Report the rows' order when a drag changed it."""
        order = [self.item(i).data(ORIGINAL_ROW) for i in range(self.count())]
        if order != sorted(order):
            self.order_changed.emit(order)


class NetworkBuilder(QWidget):
    """edit_requested(project, description, merge id: "" for edits that never merge);
    row_selected(row index, -1 for none)."""

    edit_requested = Signal(object, str, str)
    row_selected = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.project, self.report = None, None  # shown (ProjectFeed, widgets/window/feeds.py)
        self.stack = LayerStack()
        self.stack.order_changed.connect(self.reorder)
        self.stack.currentRowChanged.connect(self._row_changed)
        self.summary = QLabel()
        self.summary.setObjectName("builderSummary")
        self.summary.setWordWrap(True)
        self.editor = LayerEditor()
        self.editor.param_changed.connect(self.set_param)
        buttons = QHBoxLayout()
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected layer (Del)")
        self.remove_button.setShortcut(Qt.Key_Delete)
        self.remove_button.clicked.connect(lambda: self.remove(self.stack.currentRow()))
        self.up_button = QPushButton("Move up")
        self.up_button.setToolTip("Move the selected layer one row up (or drag it)")
        self.up_button.clicked.connect(lambda: self._move_current(-1))
        self.down_button = QPushButton("Move down")
        self.down_button.setToolTip("Move the selected layer one row down (or drag it)")
        self.down_button.clicked.connect(lambda: self._move_current(1))
        for button in (self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.stack, 3)
        layout.addLayout(buttons)
        layout.addWidget(self.editor, 2)
        self.show_project(None, None)

    # ---- showing the project --------------------------------------------------------------
    def show_project(self, project, report):
        """Show `project`'s layers with its validation `report` (shapes, inline errors);
        edits start from this project."""
        self.project, self.report = project, report
        layers = project.network.layers if project is not None else []
        current = self.stack.currentRow()
        self.stack.blockSignals(True)
        self.stack.clear()
        for index, layer in enumerate(layers):
            self.stack.addItem(self._item(index, layer, report))
        self.stack.blockSignals(False)
        if layers:
            self.stack.setCurrentRow(min(max(current, 0), len(layers) - 1))
        self._row_changed(self.stack.currentRow())
        self.summary.setText(self._summary(report, layers))

    def _item(self, index, layer, report):
        row = report.rows[index] if report is not None and index < len(report.rows) else None
        params = ", ".join(f"{k}={v}" for k, v in layer.params.items())
        shape = format_shape(row.output_shape) if row and row.output_shape is not None else "?"
        text = f"{index}  {layer.type}({params})   \u2192 {shape}"
        errors = self.row_errors(index)
        item = QListWidgetItem(text)
        item.setData(ORIGINAL_ROW, index)
        if errors:
            item.setText(text + "\n\u26a0 " + "\n\u26a0 ".join(errors))
            item.setForeground(QBrush(ERROR_COLOUR))
            item.setToolTip("\n".join(errors))
        elif row is not None and row.input_shape is not None:
            item.setToolTip(f"input {format_shape(row.input_shape)}, output {shape}, "
                            f"{row.parameter_count:,} parameters")
        return item

    def row_errors(self, index):
        """The messages shown inline on row `index`."""
        report = self.report
        if report is None:
            return []
        messages = [i.message for i in report.for_row(index) if i.severity == "error"]
        row = report.rows[index] if index < len(report.rows) else None
        if row is not None and row.error and row.error not in messages:
            messages.append(row.error)
        return messages

    def _summary(self, report, layers):
        if report is None:
            return ""
        if self.project.network.script:
            text = "The network is the Script tab's model: this layer list is ignored."
        elif report.rows and all(r.output_shape is not None for r in report.rows):
            total = sum(r.parameter_count for r in report.rows)
            text = f"{len(layers)} layers, {total:,} parameters"
        else:
            text = f"{len(layers)} layers"
        others = [i.message for i in report.errors if i.section != "network" or i.row is None]
        if others:
            text += "<br><span style='color:#d64545'>\u26a0 " + "<br>\u26a0 ".join(others) + \
                "</span>"
        return text

    def _row_changed(self, row):
        layers = self.project.network.layers if self.project else []
        if 0 <= row < len(layers):
            report = self.report
            self.editor.show_row(row, layers[row], report.for_row(row) if report else ())
        else:
            self.editor.show_row(None, None)
        self.row_selected.emit(row)

    # ---- edits ----------------------------------------------------------------------------
    def _edit(self, change, description, merge=""):
        if self.project is None:
            return
        project = copy.deepcopy(self.project)
        change(project.network.layers)
        self.edit_requested.emit(project, description, merge)

    def add(self, type_name, index=None):
        """Insert a `type_name` row at `index` (default: after the selected row)."""
        if index is None:
            current = self.stack.currentRow()
            index = current + 1 if current >= 0 else self.stack.count()
        self._edit(lambda layers: layers.insert(index, LayerSpec(type_name)), f"add {type_name}")
        self.stack.setCurrentRow(index)

    def remove(self, index):
        """Remove row `index` (an undoable edit)."""
        if 0 <= index < self.stack.count():
            name = self.project.network.layers[index].type
            self._edit(lambda layers: layers.pop(index), f"remove {name} (row {index})")

    def reorder(self, order):
        """Rows in the new `order` (a permutation of the row indices)."""
        self._edit(lambda layers: layers.__setitem__(slice(None), [layers[i] for i in order]),
                   "reorder layers")

    def move(self, index, offset):
        """Move row `index` by `offset` rows."""
        target = index + offset
        if 0 <= index < self.stack.count() and 0 <= target < self.stack.count():
            order = list(range(self.stack.count()))
            order[index], order[target] = order[target], order[index]
            self.reorder(order)
            self.stack.setCurrentRow(target)

    def _move_current(self, offset):
        self.move(self.stack.currentRow(), offset)

    def set_param(self, index, name, value):
        """Set parameter `name` of row `index` (None: back to its default)."""
        def change(layers):
            params = layers[index].params
            if value is None:
                params.pop(name, None)
            else:
                params[name] = value
        self._edit(change, f"set {name} of row {index}", f"param:{index}:{name}")
