"""Check gradient in the main window: the inspector's button and Debug > Check gradient run
off the UI thread on a copy of the model (`check_selected_gradient` checks at once). A
selected parameter is shown in the inspector, with the button enabled, while the run is
paused or stopped (the worker touches no weight then)."""
import copy
import threading

from PySide6.QtCore import QObject, Signal

from app.teaching.gradient_check import check_parameter_gradient
from widgets.window.feeds import running

GRADIENT_CHECK_BATCH = 32
GRADIENT_CHECK_SAMPLES = 64


class GradientCheckRunner(QObject):
    """Runs the inspector's checks in a thread; the result reaches the UI thread through
    `finished` (a queued signal) and is dropped when the project changed meanwhile."""

    finished = Signal(object)  # (built project checked, parameter name, GradientCheck or error)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.busy = False
        self.finished.connect(self._finished)
        window.inspector.gradient_check_requested.connect(lambda key: self.start())
        window.session.subscribe(self._session_changed)

    def start(self):
        """Start checking the selected parameter; False (reason shown) when it cannot."""
        inputs = gradient_check_inputs(self.window)
        if inputs is None or self.busy:
            return False
        name, model, loss_fn, x, y = inputs
        built = self.window.session.built
        model = copy.deepcopy(model)  # the worker may train the original once this returns
        self.busy = True
        self.window.inspector.check_button.setEnabled(False)
        self.window.inspector.show_gradient_check(f"{name}: checking\u2026", True)
        threading.Thread(target=self._run, args=(built, name, model, loss_fn, x, y),
                         name="gradient-check", daemon=True).start()
        return True

    def _run(self, built, name, model, loss_fn, x, y):
        try:
            result = check_parameter_gradient(model, loss_fn, x, y, name,
                                              samples=GRADIENT_CHECK_SAMPLES)
        except (KeyError, ValueError) as exc:
            result = str(exc)
        try:
            self.finished.emit((built, name, result))
        except RuntimeError:  # the window was closed meanwhile
            pass

    def _finished(self, outcome):
        built, name, result = outcome
        self.busy = False
        window = self.window
        update_parameter_view(window, show=False)
        if built is not window.session.built or window.session.selected != name:
            return  # another project or parameter by now
        if isinstance(result, str):
            window.inspector.show_gradient_check(f"{name}: {result}", False)
        else:
            report_check(window, name, result)

    def _session_changed(self, changes):
        if changes & {"selection", "state", "project"}:
            update_parameter_view(self.window, show=True)
            if self.busy:
                self.window.inspector.check_button.setEnabled(False)


def selected_parameter(session):
    built = session.built
    if built is None or session.selected is None or "/" in session.selected:
        return None
    return dict(built.model.named_parameters()).get(session.selected)


def _idle(session):
    return not running(session) and (session.debugger is None or session.debugger.wait(0))


def update_parameter_view(window, show):
    """Enable Check gradient for a selected parameter while the run is idle; with `show`,
    put the parameter's weights and last gradient in the inspector."""
    session, inspector = window.session, window.inspector
    param = selected_parameter(session)
    if param is None:
        inspector.set_gradient_check_target(None)
    elif not _idle(session):
        inspector.set_gradient_check_target(None, "pause the run to check a gradient")
    else:
        inspector.set_gradient_check_target(session.selected)
        if show:
            grad = param.grad.numpy() if param.grad is not None else None
            inspector.show_node(session.selected, param.numpy(), grad,
                                message="parameter: its current weights and last gradient")


def gradient_check_inputs(window):
    """(name, model, loss_fn, x, y) for checking the selected parameter, or None with the
    reason in the status bar."""
    session = window.session
    name, built = session.selected, session.built
    if built is None:
        window.show_message("Check gradient: the network does not build yet")
        return None
    if name not in dict(built.model.named_parameters()):
        window.show_message("Check gradient: select a parameter node (e.g. 0.weight) "
                            "in the graph first")
        return None
    if not _idle(session):
        window.show_message("Check gradient: pause the run first")
        return None
    return (name, built.model, built.loss_fn, built.train_set.X[:GRADIENT_CHECK_BATCH],
            built.train_set.y[:GRADIENT_CHECK_BATCH])


def check_selected_gradient(window):
    """Check the selected parameter's gradient on the first training samples, here and now;
    the result goes to the status bar and the inspector. Returns the check."""
    inputs = gradient_check_inputs(window)
    if inputs is None:
        return None
    name = inputs[0]
    try:
        check = check_parameter_gradient(*inputs[1:], name, samples=GRADIENT_CHECK_SAMPLES)
    except (KeyError, ValueError) as exc:
        window.show_error("Check gradient", str(exc))
        return None
    report_check(window, name, check)
    return check


def report_check(window, name, check):
    ok = check.passed()
    errors = f"{check.max_relative_error:.1e} over {len(check.indices)}"
    window.show_message(f"gradient of {name} {'agrees' if ok else 'DISAGREES'} with finite "
                        f"differences: max relative error {errors} entries", 0)
    window.inspector.show_gradient_check(
        f"{name}: max rel. error {errors} sampled entries \u2014 {'OK' if ok else 'DISAGREES'}",
        ok)
