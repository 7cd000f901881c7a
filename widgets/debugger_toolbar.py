"""The debugger's commands as actions (toolbar buttons, Debug menu entries and shortcuts),
enabled or disabled with the reason from the session. "Run N" runs `iterations` more
iterations (the spin box beside it), "Run to epoch end" to the end of the epoch; the status
bar shows their progress."""
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QSpinBox, QToolBar

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"

# (name, label, shortcut, tip); name is a session intent ("step_op" -> session.step("op"))
COMMANDS = (
    ("run", "Run", "F5", "Run until a breakpoint"),
    ("run_n", "Run N", "Ctrl+F5", "Run N iterations (unless a breakpoint stops first)"),
    ("run_epoch", "Run to epoch end", "Ctrl+Shift+F5", "Run to the end of the epoch"),
    ("pause", "Pause", "F6", "Pause at the next op"),
    ("step_op", "Step op", "F11", "To the next forward or backward op"),
    ("step_layer", "Step layer", "F10", "To the end of the current layer's forward or backward"),
    ("step_out", "Step out", "Shift+F11", "To the end of the current layer"),
    ("step_phase", "Step phase", "Ctrl+F11", "To the end of forward, backward or the update"),
    ("step_iteration", "Step iteration", "Ctrl+F10", "To the end of the training iteration"),
    ("reset", "Stop/Reset", "Shift+F5", "Stop and restore the initial weights"),
    ("toggle_breakpoint", "Toggle breakpoint", "F9",
     "Toggle a breakpoint on the selected node or layer"),
)


class DebuggerActions(QObject):
    """One QAction per command in `actions` (by name); `error(message)` reports a command
    that could not run."""

    def __init__(self, session, report, parent=None):
        super().__init__(parent)
        self.session = session
        self.report = report  # fn(message), e.g. the status bar
        self.iterations = 100  # of Run N
        self.actions = {}
        for name, label, shortcut, tip in COMMANDS:
            action = QAction(QIcon(str(ICONS / f"{name}.svg")), label, parent)
            action.setObjectName(f"action_{name}")
            action.setShortcut(QKeySequence(shortcut))
            action.setData(f"{tip} ({shortcut})")
            action.setToolTip(action.data())
            action.triggered.connect(lambda checked=False, name=name: self.trigger(name))
            self.actions[name] = action
        session.subscribe(lambda changes: changes & {"project", "selection"}
                          and self.update_enabled())
        self.update_enabled()

    def trigger(self, name):
        session = self.session
        try:
            if name.startswith("step_"):
                session.step(name[len("step_"):])
            elif name == "toggle_breakpoint":
                on = session.toggle_breakpoint()
                where = session.selected
                where = where if "/" in where else f"layer '{where}'"
                self.report(f"breakpoint {'set on' if on else 'removed from'} {where}")
            elif name == "run_n":
                session.run_iterations(self.iterations)
            elif name == "run_epoch":
                session.run_to_epoch_end()
            else:
                getattr(session, name)()
        except (RuntimeError, ValueError) as exc:
            self.report(str(exc))

    def update_enabled(self):
        blocker = self.session.run_blocker()
        for name, action in self.actions.items():
            reason = blocker
            if not reason and name == "toggle_breakpoint" and self.session.selected is None:
                reason = "select a node or a layer first"
            action.setEnabled(not reason)
            action.setToolTip(action.data() + (f"\nDisabled: {reason}" if reason else ""))
            action.setStatusTip(f"Disabled: {reason}" if reason else action.data())


class DebuggerToolbar(QToolBar):
    def __init__(self, actions, parent=None):
        super().__init__("Debugger", parent)
        self.setObjectName("debuggerToolbar")
        self.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.iterations = QSpinBox()
        self.iterations.setObjectName("run_n_iterations")
        self.iterations.setRange(1, 1_000_000)
        self.iterations.setValue(actions.iterations)
        self.iterations.setToolTip("N: iterations that Run N runs")
        self.iterations.valueChanged.connect(lambda n: setattr(actions, "iterations", n))
        for name, action in actions.actions.items():
            if name in ("reset", "toggle_breakpoint"):
                self.addSeparator()
            self.addAction(action)
            if name == "run_n":
                self.addWidget(self.iterations)
