"""Status bar fields: debugger status, iteration, phase, current node, time per step, and
a device fault (GPU unavailable, out of memory) with its one-click "Run on CPU" offer."""
from PySide6.QtWidgets import QLabel, QPushButton

from app.debugging.faults import switch_to_cpu


class DebuggerStatus:
    """Permanent labels added to a QStatusBar, refreshed from the session."""

    def __init__(self, session, status_bar, edit=None):
        """`edit(project, description, merge)` applies the CPU offer (the window's undoable
        edit); without it the offer is not shown."""
        self.session = session
        self.edit = edit
        self.fault = QLabel()
        self.fault.setObjectName("status_fault")
        self.fault.setStyleSheet("color: #e0a030;")
        self.cpu_offer = QPushButton()
        self.cpu_offer.setObjectName("status_cpu_offer")
        self.cpu_offer.setToolTip("Set the training device to CPU, keeping the trained weights")
        self.cpu_offer.clicked.connect(lambda: switch_to_cpu(self.session, self.edit))
        status_bar.addPermanentWidget(self.fault)
        status_bar.addPermanentWidget(self.cpu_offer)
        self.labels = {}
        for name in ("status", "iteration", "phase", "node", "time"):
            label = QLabel()
            label.setObjectName(f"status_{name}")
            label.setMinimumWidth(80)
            status_bar.addPermanentWidget(label)
            self.labels[name] = label
        session.subscribe(lambda changes: changes & {"state", "project"} and self.refresh())
        self.refresh()

    def refresh(self):
        session, state = self.session, self.session.state
        blocker = session.run_blocker()
        texts = {
            "status": "invalid network" if blocker and session.project else
                      (state.status if state else "stopped"),
            "iteration": f"iteration {state.iteration}" if state else "iteration -",
            "phase": f"phase {state.phase or '-'}" if state else "phase -",
            "node": f"node {state.key or '-'}" if state else "node -",
            "time": _timing(session, state),
        }
        for name, text in texts.items():
            self.labels[name].setText(text)
        self.labels["status"].setToolTip(blocker or "debugger status")
        fault = session.fault
        message = fault.message if fault else ""
        self.fault.setText(_shortened(message))
        self.fault.setToolTip(message)
        self.fault.setVisible(bool(message))
        self.cpu_offer.setText(fault.offer if fault else "")
        self.cpu_offer.setVisible(bool(fault and fault.offer and self.edit is not None))


def _shortened(text, limit=90):
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _timing(session, state):
    if state is not None and state.status == "running" and session.seconds_per_iteration:
        return f"{session.seconds_per_iteration * 1e3:.2f} ms/iteration"
    if session.seconds_per_step is not None:
        return f"last step {session.seconds_per_step * 1e3:.1f} ms"
    return "last step -"
