"""The debugger's Qt face: a QObject whose signals carry the debugger's callbacks from the
worker thread to the UI thread (queued connections). No logic of its own."""
from PySide6.QtCore import QObject, Signal


class DebuggerSignals(QObject):
    """stopped(Hit), state_changed(DebuggerState), iteration_finished(iteration, loss),
    error(message); emitted from the worker thread, delivered on the receivers' threads."""

    stopped = Signal(object)
    state_changed = Signal(object)
    iteration_finished = Signal(int, float)
    error = Signal(str)

    def __init__(self, debugger, parent=None):
        super().__init__(parent)
        self.debugger = debugger
        debugger.subscribe(stopped=self.stopped.emit, state_changed=self.state_changed.emit,
                           iteration_finished=self.iteration_finished.emit,
                           error=self.error.emit)
