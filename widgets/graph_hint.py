"""The first-run hint on the empty graph: a card centred on the view saying which keys train
and step, shown while the graph has no node (before the first run) and hidden once it has."""
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLabel


def hint_text(run_keys, step_keys, iteration_keys=""):
    """The hint, naming the keys of Run, Step op and Step iteration (QKeySequences or text)."""
    def keys(k):
        return k.toString(QKeySequence.NativeText) if isinstance(k, QKeySequence) else str(k)
    lines = [f"Press <b>{keys(run_keys)}</b> to train, <b>{keys(step_keys)}</b> to step one op"]
    if iteration_keys:
        lines.append(f"<b>{keys(iteration_keys)}</b>: one whole iteration")
    lines.append("The graph of the network appears here as it runs.")
    return "<br>".join(lines)


class FirstRunHint(QObject):
    """Keeps `label` (a card over `view`'s viewport) centred and shown while `is_empty()`."""

    def __init__(self, view, text, is_empty):
        super().__init__(view)
        self.view, self.is_empty = view, is_empty
        self.label = QLabel(text, view.viewport())
        self.label.setObjectName("firstRunHint")
        self.label.setTextFormat(Qt.RichText)
        self.label.setAlignment(Qt.AlignCenter)
        self.label.setWordWrap(True)
        self.label.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.label.setStyleSheet("QLabel#firstRunHint { background: #ffffff; color: #1d2330; "
                                 "border: 1px solid #aeb7c6; border-radius: 6px; "
                                 "padding: 10px 14px; }")  # the canvas is light in both themes
        view.viewport().installEventFilter(self)
        self.update()

    def update(self):
        """Show the hint when the graph is empty (call on a graph change)."""
        self.label.setVisible(bool(self.is_empty()))
        self._place()

    def _place(self):
        area = self.view.viewport().rect()
        width = min(area.width() - 20, 460)
        self.label.setFixedWidth(max(width, 80))
        self.label.adjustSize()
        self.label.move(area.center().x() - self.label.width() // 2,
                        area.center().y() - self.label.height() // 2)

    def eventFilter(self, watched, event):
        if event.type() in (QEvent.Resize, QEvent.Show, QEvent.StyleChange):
            self._place()
        return False
