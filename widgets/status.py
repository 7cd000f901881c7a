"""Status bar fields: debugger status, iteration, phase, current node, time per step, the
progress of Run N iterations (a bar and a Stop button, which pauses where it is), and a
device fault (GPU unavailable, out of memory) with its one-click "Run on CPU" offer."""
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton


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
        self.cpu_offer.clicked.connect(lambda: self.session.switch_to_cpu(self.edit))
        self.progress = QProgressBar()
        self.progress.setObjectName("status_progress")
        self.progress.setMaximumWidth(180)
        self.progress.setFormat("%v / %m iterations")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("status_stop")
        self.stop_button.setToolTip("Stop the run where it is (a pause: the state is kept)")
        self.stop_button.clicked.connect(self._stop)
        status_bar.addPermanentWidget(self.fault)
        status_bar.addPermanentWidget(self.cpu_offer)
        status_bar.addPermanentWidget(self.progress)
        status_bar.addPermanentWidget(self.stop_button)
        self.labels = {}
        for name in ("status", "iteration", "phase", "node", "time"):
            label = QLabel()
            label.setObjectName(f"status_{name}")
            label.setMinimumWidth(80)
            status_bar.addPermanentWidget(label)
            self.labels[name] = label
        session.subscribe(lambda changes: changes & {"state", "project", "progress"}
                          and self.refresh())
        self.refresh()

    def refresh(self):
        session, state = self.session, self.session.state
        blocker = session.run_blocker()
        texts = {
            "status": "building…" if session.building else
                      "invalid network" if blocker and session.project else
                      (state.status if state else "stopped"),
            "iteration": f"iteration {state.iteration}" if state else "iteration -",
            "phase": f"phase {state.phase or '-'}" if state else "phase -",
            "node": f"node {state.key or '-'}" if state else "node -",
            "time": _timing(session, state),
        }
        for name, text in texts.items():
            self.labels[name].setText(text)
        progress = session.run_progress()
        running = session.building or (progress is not None and state is not None
                                       and state.status == "running")
        if progress is not None:
            self.progress.setRange(0, progress[1])
            self.progress.setValue(progress[0])
        self.progress.setVisible(progress is not None)
        self.stop_button.setVisible(running)
        self.labels["status"].setToolTip(
            "building the model on a worker thread (Stop interrupts a script)"
            if session.building else blocker or "debugger status")
        fault = session.fault
        message = fault.message if fault else ""
        self.fault.setText(_shortened(message))
        self.fault.setToolTip(message)
        self.fault.setVisible(bool(message))
        self.cpu_offer.setText(fault.offer if fault else "")
        self.cpu_offer.setVisible(bool(fault and fault.offer and self.edit is not None))


    def _stop(self):
        try:
            self.session.stop() if self.session.building else self.session.pause()
        except RuntimeError:  # nothing to stop any more
            pass


def _shortened(text, limit=90):
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


STEP_KINDS = ("step_op", "step_layer", "step_out", "step_phase", "step_iteration")


def _timing(session, state):
    """Time per iteration while running (and after a run); one step's time after a step."""
    stepped = state is not None and state.last_hit is not None and \
        state.last_hit.kind in STEP_KINDS
    if state is not None and state.status != "running" and stepped and \
            session.seconds_per_step is not None:
        return f"last step {session.seconds_per_step * 1e3:.1f} ms"
    if session.seconds_per_iteration:
        return f"{session.seconds_per_iteration * 1e3:.2f} ms/iteration"
    return "last step -"
