"""The control-flow contrast under the script editor: what `static.trace` made of the
script's model (its warnings, the one graph it kept) next to the graphs eager runs record,
and the `static.cond` form. It shows results handed to it (`show_contrast`, `show_cond`);
`trace_requested` asks the window to compute them."""
from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout,
                               QWidget)

SAME = 1e-5  # a compiled output this close to the eager one took the same branch


class ControlFlowPanel(QWidget):
    trace_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        intro = QLabel("Control flow: dynamic vs static. A trace runs forward once and keeps "
                       "the ops it saw; an <b>if</b> on a tensor's value is baked in.")
        intro.setWordWrap(True)
        self.trace_button = QPushButton("Trace the model (static.trace)")
        self.trace_button.setToolTip("Run the script on fresh weights, trace it on the first "
                                     "batch, and run the trace and the eager model on the "
                                     "next batches")
        self.trace_button.clicked.connect(self.trace_requested)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.report.setPlaceholderText("Press Trace to compare the traced graph with the "
                                       "graphs of eager runs.")
        row = QHBoxLayout()
        row.addWidget(intro, 1)
        row.addWidget(self.trace_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.report, 1)
        self._cond_text = ""

    def show_message(self, text):
        self.report.setPlainText(text + self._cond_text)

    def show_contrast(self, contrast):
        """A Contrast (app/control_flow_demo): warnings, traced graph, per-batch comparison."""
        lines = []
        if contrast.notes:
            where = ", ".join(str(note.line) for note in contrast.notes)
            lines += [f"static.trace warned (TraceWarning) at script line(s) {where}:",
                      f"  {contrast.notes[0].message}"]
        else:
            lines.append("static.trace gave no warning: no control flow read a tensor value.")
        ops = contrast.traced_ops
        lines += ["", f"Traced on batch 0: {len(ops)} ops ({ops.count('linear')} linear), "
                      f"{contrast.compiled_nodes} nodes compiled. This one graph runs for "
                      "every batch.",
                  f"Eager runs recorded {contrast.dynamic_graphs} different graph(s):", "",
                  f"{'batch':>5}  {'eager ops':>9}  {'linear':>6}  {'max |trace - eager|':>19}"]
        for b in contrast.batches:
            verdict = "" if b.max_difference < SAME else "  <- trace kept another branch"
            lines.append(f"{b.index:>5}  {len(b.dynamic_ops):>9}  "
                         f"{b.dynamic_ops.count('linear'):>6}  {b.max_difference:>19.3g}"
                         f"{verdict}")
        self.report.setPlainText("\n".join(lines) + self._cond_text)

    def show_cond(self, example):
        """A CondExample: the static.cond form and how both compiled versions fare."""
        def verdicts(correct):
            return ", ".join(f"{name} {'right' if ok else 'WRONG'}"
                             for name, ok in zip(("positive batch", "negative batch"), correct))
        self._cond_text = "\n".join([
            "", "", "The static.cond form keeps both branches (a select picks one):", "",
            example.source.rstrip(), "",
            f"traced with_if   ({len(example.if_ops)} ops): {verdicts(example.if_correct)}",
            f"traced with_cond ({len(example.cond_ops)} ops): {verdicts(example.cond_correct)}"])
        text = self.report.toPlainText()
        self.report.setPlainText(text + self._cond_text if text else self._cond_text.lstrip())
