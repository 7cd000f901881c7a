"""The lecture views in the main window: the 2-D decision view beside the curves, the
narration beside the inspector, Check gradient (the inspector's button and the Debug menu;
a selected parameter is shown in the inspector while the run is paused), and File > Export
(PyTorch code, ONNX, the graph as PNG or SVG)."""
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QFileDialog

from widgets.decision_view import DecisionView
from widgets.narration_panel import NarrationPanel

from .builder import BuildError
from .decision_feed import DecisionFeed
from .export import ExportError, export_onnx, export_pytorch_files
from .gradient_check import check_parameter_gradient
from .main_window_views import running

GRADIENT_CHECK_BATCH = 32
GRADIENT_CHECK_SAMPLES = 64


def add_lecture_views(window):
    """Create the decision view and the narration panel with their feeds; the caller places
    them (they are returned as (title, widget) pairs for the bottom and right tab groups)."""
    window.decision_view = DecisionView()
    window.decision_feed = DecisionFeed(window.session, window.decision_view)
    window.narration = NarrationPanel(window.session)
    window.inspector.gradient_check_requested.connect(lambda key: check_selected_gradient(window))
    window.session.subscribe(lambda changes: _parameter_changed(window, changes))
    return ("Decision boundary", window.decision_view), ("Narration", window.narration)


def add_export_menu(window, file_menu):
    export = file_menu.addMenu("&Export")
    _action(window, export, "PyTorch code...", lambda: export_pytorch_dialog(window),
            "A runnable PyTorch script (model, optimizer, training loop) with the current "
            "weights and the training data beside it")
    _action(window, export, "ONNX...", lambda: export_onnx_dialog(window),
            "The network as an ONNX file (needs the 'onnx' package)")
    _action(window, export, "Graph as PNG...", lambda: export_graph_dialog(window, "png"),
            "The computation graph as a picture")
    _action(window, export, "Graph as SVG...", lambda: export_graph_dialog(window, "svg"),
            "The computation graph as a vector drawing")


def add_gradient_check_action(window, debug_menu):
    debug_menu.addSeparator()
    _action(window, debug_menu, "Check &gradient of the selected parameter",
            lambda: check_selected_gradient(window),
            "Compare the engine's gradient of the selected parameter with central "
            "finite differences (float64, on a copy of the model)")


def _action(window, menu, text, slot, tip):
    action = QAction(text, window)
    action.setStatusTip(tip)
    action.setToolTip(tip)
    action.triggered.connect(lambda checked=False: slot())
    menu.addAction(action)
    return action


def export_pytorch_dialog(window):
    directory = QFileDialog.getExistingDirectory(window, "Export PyTorch code to")
    if directory:
        export_pytorch_to(window, directory)


def export_pytorch_to(window, directory):
    """Write model.py, data.npz and weights.npz into `directory`; False on failure."""
    session = window.session
    try:
        paths = export_pytorch_files(session.project, directory, session.built)
    except (BuildError, ExportError, OSError) as exc:
        window.show_error("Cannot export PyTorch code", str(exc))
        return False
    window.show_message(f"exported {', '.join(p.name for p in paths)} to {directory}")
    return True


def export_onnx_dialog(window):
    path, _ = QFileDialog.getSaveFileName(window, "Export ONNX", "", "ONNX model (*.onnx)")
    if not path:
        return
    try:
        export_onnx(window.session.project, path, window.session.built)
    except (BuildError, ExportError, OSError) as exc:
        window.show_error("Cannot export ONNX", str(exc))
        return
    window.show_message(f"exported {path}")


def export_graph_dialog(window, kind):
    path, _ = QFileDialog.getSaveFileName(window, f"Export the graph as {kind.upper()}", "",
                                          f"{kind.upper()} (*.{kind})")
    if path:
        export_graph(window, path, kind)


def export_graph(window, path, kind):
    write = window.graph_view.export_png if kind == "png" else window.graph_view.export_svg
    try:
        write(path)
    except OSError as exc:
        window.show_error("Cannot export the graph", f"{path}: {exc}")
        return False
    window.show_message(f"exported {path}")
    return True


def _selected_parameter(session):
    built = session.built
    if built is None or session.selected is None or "/" in session.selected:
        return None
    return dict(built.model.named_parameters()).get(session.selected)


def _parameter_changed(window, changes):
    """Enable the inspector's Check gradient for a selected parameter, and show its value and
    gradient there, while the run is paused or stopped (the worker does not touch them)."""
    if not changes & {"selection", "state", "project"}:
        return
    session, inspector = window.session, window.inspector
    param = _selected_parameter(session)
    if param is None:
        inspector.set_gradient_check_target(None)
    elif running(session) or (session.debugger is not None and not session.debugger.wait(0)):
        inspector.set_gradient_check_target(None, "pause the run to check a gradient")
    else:
        inspector.set_gradient_check_target(session.selected)
        grad = param.grad.numpy() if param.grad is not None else None
        inspector.show_node(session.selected, param.numpy(), grad,
                            message="parameter: its current weights and last gradient")


def check_selected_gradient(window):
    """Check the selected parameter's gradient on the first training samples; the result
    goes to the status bar and the inspector. Returns the check."""
    session = window.session
    name, built = session.selected, session.built
    if built is None:
        window.show_message("Check gradient: the network does not build yet")
        return None
    names = dict(built.model.named_parameters())
    if name not in names:
        window.show_message("Check gradient: select a parameter node (e.g. 0.weight) "
                            "in the graph first")
        return None
    if session.debugger is not None and not session.debugger.wait(0):
        window.show_message("Check gradient: pause the run first")
        return None
    x = built.train_set.X[:GRADIENT_CHECK_BATCH]
    y = built.train_set.y[:GRADIENT_CHECK_BATCH]
    QApplication.setOverrideCursor(Qt.WaitCursor)  # up to ~2.5 s for the CNN preset's conv
    try:
        check = check_parameter_gradient(built.model, built.loss_fn, x, y, name,
                                         samples=GRADIENT_CHECK_SAMPLES)
    except (KeyError, ValueError) as exc:
        window.show_error("Check gradient", str(exc))
        return None
    finally:
        QApplication.restoreOverrideCursor()
    verdict = "agrees" if check.passed() else "DISAGREES"
    window.show_message(f"gradient of {name} {verdict} with finite differences: max relative "
                        f"error {check.max_relative_error:.2e} over {len(check.indices)} "
                        "entries", 0)
    window.inspector.show_gradient_check(
        f"{name}: max rel. error {check.max_relative_error:.1e} over {len(check.indices)} "
        f"sampled entries \u2014 {'OK' if check.passed() else 'DISAGREES'}", check.passed())
    return check

