"""The breakpoints panel (as in VS Code or PyCharm): every breakpoint of the project in one
list, with enable/disable, the hit count, the ignore count ("ignore the first n hits") and
delete, a form to add a condition on a node, a layer or anywhere, and the F9 toggles.

The panel holds no session: `show_breakpoints(specs, toggled, counts)` fills it, and every
edit is emitted as the whole new list of BreakpointSpecs, `breakpoints_edited(specs,
description, merge)`, which BreakpointsFeed (widgets/window/breakpoints_controller.py) turns
into an undoable project edit that applies to the running debugger without resetting it.
Breakpoints toggled with F9 are listed after the project's ("F9"); unchecking or deleting
one emits `toggle_removed(target)`.
"""
import copy

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDoubleSpinBox, QHBoxLayout,
                               QHeaderView, QLabel, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from app.project.specs import PHASES, BreakpointSpec

COLUMNS = ("on", "where", "condition", "hits", "ignore first")
# (label, BreakpointSpec field or None for "every time the target runs", default value)
CONDITIONS = (
    ("every time it runs", None, None),
    ("non-finite value (NaN/Inf)", "non_finite", None),
    ("gradient norm above", "grad_norm_above", 10.0),
    ("dead ReLU fraction above", "dead_relu_above", 0.5),
    ("loss above the last k iterations", "loss_up", 3),
    ("iteration ==", "iteration", 100),
)
EXPLANATION = ("\u26a0 Break on non-finite values is on by default, as an IDE breaks on "
               "uncaught exceptions: training stops at the first op whose output (forward) or "
               "whose backward's gradient is NaN or Inf, and names it.")
SHORT_EXPLANATION = ("\u26a0 Break on NaN/Inf is on by default, as an IDE breaks on "
                     "uncaught exceptions.")


def describe(spec):
    """(where, condition) of a BreakpointSpec, in words."""
    where = spec.target or "anywhere"
    if spec.target and spec.phase != "both":
        where += f" ({spec.phase})"
    parts = []
    if spec.non_finite:
        parts.append("non-finite value (NaN/Inf)")
    if spec.grad_norm_above is not None:
        parts.append(f"gradient norm > {spec.grad_norm_above:g}")
    if spec.dead_relu_above is not None:
        parts.append(f"dead ReLUs > {spec.dead_relu_above:.0%}")
    if spec.loss_up is not None:
        parts.append(f"loss above the last {spec.loss_up}")
    if spec.iteration is not None:
        parts.append(f"iteration == {spec.iteration}")
    return where, " or ".join(parts) or "every time it runs"


class BreakpointsPanel(QWidget):
    breakpoints_edited = Signal(object, str, str)  # new list of BreakpointSpecs, text, merge
    toggle_removed = Signal(str)  # an F9 breakpoint's target

    def __init__(self, parent=None):
        super().__init__(parent)
        self.specs, self.toggled, self.counts = [], [], {}
        self._filling = False
        self.explanation = QLabel(SHORT_EXPLANATION)
        self.explanation.setToolTip(EXPLANATION)
        self.explanation.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.Stretch)
        self.table.itemChanged.connect(self._item_changed)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected breakpoint")
        self.delete_button.clicked.connect(lambda: self.delete_row(self.table.currentRow()))
        self.target = QComboBox()
        self.target.setEditable(True)
        self.target.setToolTip("'' = anywhere, a layer ('2', 'loss') or a node key ('2/relu#0')")
        self.target.lineEdit().setPlaceholderText("anywhere")
        self.target.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.target.setMinimumContentsLength(6)
        self.phase = QComboBox()
        self.phase.addItems(PHASES)
        self.phase.setCurrentText("both")
        self.phase.setToolTip("Check the condition in forward, in backward, or in both")
        self.condition = QComboBox()
        self.condition.addItems([label for label, _, _ in CONDITIONS])
        self.condition.currentIndexChanged.connect(self._condition_chosen)
        self.condition.setToolTip("When to stop: the condition the new breakpoint checks")
        self.value = QDoubleSpinBox()
        self.value.setDecimals(3)
        self.value.setRange(0, 1e9)
        self.value.setMaximumWidth(90)  # the panel fits a narrow dock
        self.value.setToolTip("The condition's threshold (a norm, a fraction, an iteration)")
        self.add_button = QPushButton("Add")
        self.add_button.setToolTip("Add a breakpoint with this place, phase and condition")
        self.add_button.clicked.connect(self._add_from_form)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #e0543c;")
        self.message.hide()
        self.condition.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.condition.setMinimumContentsLength(8)
        form = QHBoxLayout()
        for widget in (self.target, self.phase, self.condition, self.value, self.add_button):
            form.addWidget(widget)
        form.setStretch(0, 2)
        form.setStretch(2, 2)
        top = QHBoxLayout()
        top.addWidget(self.explanation, 1)
        top.addWidget(self.delete_button)
        layout = QVBoxLayout(self)  # compact: the bottom dock is low
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(form)
        self._condition_chosen(0)

    # ---- showing ---------------------------------------------------------------------------
    def rows(self):
        """[(spec index or None, target of an F9 toggle or None)] in the order listed."""
        return [(i, None) for i in range(len(self.specs))] + [(None, t) for t in self.toggled]

    def show_breakpoints(self, specs, toggled=(), counts=None):
        """List the project's BreakpointSpecs, then the F9 targets `toggled`; `counts` as in
        show_counts."""
        self.specs, self.toggled = copy.deepcopy(list(specs)), sorted(toggled)
        self._filling = True
        try:
            rows = self.rows()
            self.table.setRowCount(len(rows))
            for row, (index, target) in enumerate(rows):
                self._fill_row(row, index, target)
        finally:
            self._filling = False
        self.show_counts(counts if counts is not None else self.counts)

    def _fill_row(self, row, index, toggled):
        spec = self.specs[index] if index is not None else None
        where, condition = describe(spec) if spec else (toggled, "every time it runs (F9)")
        check = QTableWidgetItem()
        check.setFlags(Qt.ItemIsUserCheckable | Qt.ItemIsEnabled | Qt.ItemIsSelectable)
        check.setCheckState(Qt.Checked if spec is None or spec.enabled else Qt.Unchecked)
        check.setToolTip("enable or disable this breakpoint")
        self.table.setItem(row, 0, check)
        for column, text in ((1, where), (2, condition), (3, "0")):
            item = QTableWidgetItem(text)
            item.setToolTip(EXPLANATION if spec is not None and spec.non_finite and
                            not spec.target else text)
            self.table.setItem(row, column, item)
        ignore = self.table.cellWidget(row, 4)
        if ignore is None:  # kept from one refresh to the next: it may be the one typed in
            ignore = QSpinBox()
            ignore.setRange(0, 1_000_000)
            ignore.setToolTip("stop only after the condition held this many times")
            ignore.valueChanged.connect(lambda n, r=row: self._ignore_typed(r, n))
            self.table.setCellWidget(row, 4, ignore)
        ignore.blockSignals(True)
        ignore.setValue(spec.ignore_count if spec else 0)
        ignore.blockSignals(False)
        ignore.setEnabled(spec is not None)

    def show_targets(self, keys):
        """The choices of the form's target: "" (anywhere), the layers, then the node keys."""
        current = self.target.currentText()
        scopes = sorted({k.partition("/")[0] for k in keys if k.partition("/")[0]},
                        key=lambda s: (len(s), s))
        self.target.blockSignals(True)
        self.target.clear()
        self.target.addItems([""] + scopes + list(keys))
        self.target.setCurrentText(current)
        self.target.blockSignals(False)

    def show_counts(self, counts):
        """Hit counts: {spec index: n} and {F9 target: n}."""
        self.counts = dict(counts)
        for row, (index, toggled) in enumerate(self.rows()):
            item = self.table.item(row, 3)
            text = str(counts.get(index if index is not None else toggled, 0))
            if item is not None and item.text() != text:
                item.setText(text)

    def show_problem(self, text):
        """Why the last edit was refused ("" clears it)."""
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # ---- editing -----------------------------------------------------------------------------
    def _edited(self, description, change, merge=""):
        specs = copy.deepcopy(self.specs)
        change(specs)
        self.breakpoints_edited.emit(specs, description, merge)
        return not self.message.text()

    def set_enabled(self, index, on):
        """Enable or disable the project's breakpoint `index` (undoable)."""
        def change(bps):
            bps[index].enabled = bool(on)
        return self._edited(f"{'enable' if on else 'disable'} breakpoint {index}", change)

    def set_ignore_count(self, index, n):
        """Ignore the first `n` hits of breakpoint `index` (undoable; typing merges)."""
        if index is None or self._filling:
            return False

        def change(bps):
            bps[index].ignore_count = int(n)
        return self._edited(f"ignore count of breakpoint {index}", change, f"ignore_{index}")

    def _ignore_typed(self, row, n):
        rows = self.rows()
        if row < len(rows):
            self.set_ignore_count(rows[row][0], n)

    def delete_row(self, row):
        rows = self.rows()
        if not 0 <= row < len(rows):
            return False
        index, toggled = rows[row]
        if toggled is not None:
            self.toggle_removed.emit(toggled)
            return True
        return self._edited(f"delete breakpoint {index}", lambda bps: bps.pop(index))

    def add_condition(self, target, phase, field, value=None):
        """Add a breakpoint on `target` ("" anywhere, a layer, a node key) in `phase` with the
        condition `field` (a BreakpointSpec field, None: every time it runs)."""
        if field is None and not target:
            self.show_problem("'every time it runs' needs a node or a layer")
            return False
        spec = BreakpointSpec(target, phase)
        if field == "non_finite":
            spec.non_finite = True
        elif field is not None:
            integer = field in ("loss_up", "iteration")
            setattr(spec, field, int(value) if integer else float(value))
        return self._edited(f"add breakpoint on {target or 'anywhere'}",
                            lambda bps: bps.append(spec))

    def prepare(self, target):
        """Fill the form's target (the graph's "Add condition...") and focus the condition."""
        self.target.setCurrentText(target)
        if self.condition.currentIndex() == 0:
            self.condition.setCurrentIndex(2)
        self.condition.setFocus()

    def _add_from_form(self):
        _, field, _ = CONDITIONS[self.condition.currentIndex()]
        self.add_condition(self.target.currentText().strip(), self.phase.currentText(), field,
                           self.value.value())

    def _condition_chosen(self, index):
        _, field, default = CONDITIONS[index]
        self.value.setEnabled(default is not None)
        integer = field in ("loss_up", "iteration")
        self.value.setDecimals(0 if integer else 3)
        self.value.setMaximum(1.0 if field == "dead_relu_above" else 1e9)
        if default is not None:
            self.value.setValue(default)

    def _item_changed(self, item):
        if self._filling or item.column() != 0:
            return
        index, toggled = self.rows()[item.row()]
        on = item.checkState() == Qt.Checked
        if toggled is not None:
            if not on:
                self.toggle_removed.emit(toggled)
            return
        self.set_enabled(index, on)
