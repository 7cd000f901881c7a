"""File > Export: PyTorch code, ONNX, the computation graph as PNG or SVG."""
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog

from app.exports.export import ExportError
from app.project.build import BuildError


class Exports:
    """The window's exports: `add_to(menu)` adds the File > Export submenu; each `*_to`
    method writes without a dialog and returns False (error shown) on failure."""

    def __init__(self, window):
        self.window = window

    def add_to(self, file_menu):
        """Add the Export submenu to `file_menu`."""
        export = file_menu.addMenu("&Export")
        _action(self.window, export, "PyTorch code...", self.pytorch_dialog,
                "A runnable PyTorch script (model, optimizer, training loop) with the current "
                "weights and the training data beside it")
        _action(self.window, export, "ONNX...", self.onnx_dialog,
                "The network as an ONNX file (needs the 'onnx' package)")
        _action(self.window, export, "Graph as PNG...", lambda: self.graph_dialog("png"),
                "The computation graph as a picture")
        _action(self.window, export, "Graph as SVG...", lambda: self.graph_dialog("svg"),
                "The computation graph as a vector drawing")

    def pytorch_dialog(self):
        """File > Export > PyTorch code: choose a folder and write there."""
        directory = QFileDialog.getExistingDirectory(self.window, "Export PyTorch code to")
        if directory:
            self.pytorch_to(directory)

    def pytorch_to(self, directory):
        """Write model.py, data.npz and weights.npz into `directory`; False on failure."""
        window, session = self.window, self.window.session
        try:
            paths = session.export_pytorch(directory)
        except (BuildError, ExportError, OSError) as exc:
            window.show_error("Cannot export PyTorch code", str(exc))
            return False
        window.show_message(f"exported {', '.join(p.name for p in paths)} to {directory}")
        return True

    def onnx_dialog(self):
        """File > Export > ONNX: choose a file and write it."""
        path, _ = QFileDialog.getSaveFileName(self.window, "Export ONNX", "",
                                              "ONNX model (*.onnx)")
        if path:
            self.onnx_to(path)

    def onnx_to(self, path):
        """Write the network as an ONNX file at `path`; False on failure."""
        window, session = self.window, self.window.session
        try:
            session.export_onnx(path)
        except (BuildError, ExportError, OSError) as exc:
            window.show_error("Cannot export ONNX", str(exc))
            return False
        window.show_message(f"exported {path}")
        return True

    def graph_dialog(self, kind):
        """File > Export > Graph as PNG/SVG: choose a file and write it."""
        path, _ = QFileDialog.getSaveFileName(self.window,
                                              f"Export the graph as {kind.upper()}", "",
                                              f"{kind.upper()} (*.{kind})")
        if path:
            self.graph_to(path, kind)

    def graph_to(self, path, kind):
        """Write the computation graph as `kind` ("png" or "svg") to `path`; False on
        failure."""
        view = self.window.graph_view
        write = view.export_png if kind == "png" else view.export_svg
        try:
            write(path)
        except OSError as exc:
            self.window.show_error("Cannot export the graph", f"{path}: {exc}")
            return False
        self.window.show_message(f"exported {path}")
        return True


def _action(window, menu, text, slot, tip):
    action = QAction(text, window)
    action.setStatusTip(tip)
    action.setToolTip(tip)
    action.triggered.connect(lambda checked=False: slot())
    menu.addAction(action)
    return action
