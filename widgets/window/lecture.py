"""The lecture views in the main window: the 2-D decision view beside the curves, the
narration beside the inspector, Debug > Check gradient (widgets/window/gradient_check.py,
also the inspector's button), and File > Export (PyTorch code, ONNX, the graph as PNG or
SVG)."""
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog

from widgets.decision_view import DecisionView
from widgets.narration_panel import NarrationPanel

from app.project.build import BuildError
from widgets.window.decision_feed import DecisionFeed
from app.exports.export import ExportError, export_onnx, export_pytorch_files
from widgets.window.gradient_check import GradientCheckRunner, check_selected_gradient  # noqa: F401 (re-exported)


def add_lecture_views(window):
    """Create the decision view and the narration panel with their feeds; the caller places
    them (they are returned as (title, widget) pairs for the bottom and right tab groups)."""
    window.decision_view = DecisionView()
    window.decision_feed = DecisionFeed(window.session, window.decision_view)
    window.narration = NarrationPanel(window.session)
    window.gradient_checks = GradientCheckRunner(window)
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
            lambda: window.gradient_checks.start(),
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
        paths = export_pytorch_files(session.project, directory, session.built,
                                     session.weights(timeout=10.0))
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
        session = window.session
        export_onnx(session.project, path, session.built, session.weights(timeout=10.0))
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
