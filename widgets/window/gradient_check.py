"""Check gradient in the main window: the inspector's button and Debug > Check gradient run
off the UI thread on a copy of the model (`GradientChecks.check_now` checks at once). A
selected parameter is shown in the inspector, with the button enabled, while the run is
paused or stopped (the worker touches no weight then)."""
import threading

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction

from app.teaching.gradient_check import check_parameter_gradient

GRADIENT_CHECK_BATCH = 32
GRADIENT_CHECK_SAMPLES = 64


class GradientChecks(QObject):
    """Checks the selected parameter's gradient: `start()` (the inspector's button, Debug >
    Check gradient) in a thread, the result reaching the UI thread through `finished` (a
    queued signal; dropped when the project changed meanwhile); `check_now()` at once."""

    finished = Signal(object)  # (generation, parameter name, GradientCheck or error)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.busy = False
        self._generation = 0  # bumped when the project changes: older results are dropped
        self.finished.connect(self._finished)
        window.inspector.gradient_check_requested.connect(lambda key: self.start())
        window.session.subscribe(self._session_changed)

    def add_to(self, debug_menu):
        """Add Debug > Check gradient to `debug_menu`."""
        debug_menu.addSeparator()
        tip = ("Compare the engine's gradient of the selected parameter with central "
               "finite differences (float64, on a copy of the model)")
        action = QAction("Check &gradient of the selected parameter", self.window)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(lambda checked=False: self.start())
        debug_menu.addAction(action)

    def start(self):
        """Start checking the selected parameter; False (reason shown) when it cannot."""
        inputs = self._inputs()
        if inputs is None or self.busy:
            return False
        name = inputs[0]
        self.busy = True
        self.window.inspector.check_button.setEnabled(False)
        self.window.inspector.show_gradient_check(f"{name}: checking\u2026", True)
        threading.Thread(target=self._run, args=(self._generation, inputs),
                         name="gradient-check", daemon=True).start()
        return True

    def check_now(self):
        """Check the selected parameter's gradient on the first training samples, here and
        now; the result goes to the status bar and the inspector. Returns the check."""
        inputs = self._inputs()
        if inputs is None:
            return None
        name, model, loss_fn, x, y = inputs
        try:
            check = check_parameter_gradient(model, loss_fn, x, y, name,
                                             samples=GRADIENT_CHECK_SAMPLES)
        except (KeyError, ValueError) as exc:
            self.window.show_error("Check gradient", str(exc))
            return None
        self._report(name, check)
        return check

    def _inputs(self):
        """(name, model copy, loss_fn, x, y) for the selected parameter, or None with the
        reason in the status bar."""
        session = self.window.session
        try:
            return (session.selected,
                    *session.gradient_check_inputs(session.selected, GRADIENT_CHECK_BATCH))
        except ValueError as exc:
            self.window.show_message(f"Check gradient: {exc}")
            return None

    def _run(self, generation, inputs):
        name, model, loss_fn, x, y = inputs
        try:
            result = check_parameter_gradient(model, loss_fn, x, y, name,
                                              samples=GRADIENT_CHECK_SAMPLES)
        except (KeyError, ValueError) as exc:
            result = str(exc)
        try:
            self.finished.emit((generation, name, result))
        except RuntimeError:  # the window was closed meanwhile
            pass

    def _finished(self, outcome):
        generation, name, result = outcome
        self.busy = False
        self._update_parameter_view(show=False)
        if generation != self._generation or self.window.session.selected != name:
            return  # another project or parameter by now
        if isinstance(result, str):
            self.window.inspector.show_gradient_check(f"{name}: {result}", False)
        else:
            self._report(name, result)

    def _session_changed(self, changes):
        if "project" in changes:
            self._generation += 1
        if changes & {"selection", "state", "project"}:
            self._update_parameter_view(show=True)
            if self.busy:
                self.window.inspector.check_button.setEnabled(False)

    def _update_parameter_view(self, show):
        """Enable Check gradient for a selected parameter while the run is idle; with `show`,
        put the parameter's weights and last gradient in the inspector."""
        session, inspector = self.window.session, self.window.inspector
        param = session.parameter(session.selected)
        if param is None:
            inspector.set_gradient_check_target(None)
        elif not session.is_idle():
            inspector.set_gradient_check_target(None, "pause the run to check a gradient")
        else:
            inspector.set_gradient_check_target(session.selected)
            if show:
                inspector.show_node(session.selected, param.value, param.grad, param.stats,
                                    message=param.message)

    def _report(self, name, check):
        ok = check.passed()
        errors = f"{check.max_relative_error:.1e} over {len(check.indices)}"
        self.window.show_message(f"gradient of {name} {'agrees' if ok else 'DISAGREES'} with "
                                 f"finite differences: max relative error {errors} entries", 0)
        self.window.inspector.show_gradient_check(
            f"{name}: max rel. error {errors} sampled entries \u2014 "
            f"{'OK' if ok else 'DISAGREES'}", ok)
