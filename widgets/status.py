"""Status bar fields: debugger status, iteration, phase, current node, time per step."""
from PySide6.QtWidgets import QLabel


class DebuggerStatus:
    """Permanent labels added to a QStatusBar, refreshed from the session."""

    def __init__(self, session, status_bar):
        self.session = session
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


def _timing(session, state):
    if state is not None and state.status == "running" and session.seconds_per_iteration:
        return f"{session.seconds_per_iteration * 1e3:.2f} ms/iteration"
    if session.seconds_per_step is not None:
        return f"last step {session.seconds_per_step * 1e3:.1f} ms"
    return "last step -"
