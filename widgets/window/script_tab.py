"""The Script tab in the main window: the script editor over the control-flow contrast, and
the controller between them and the session.

Apply stores the editor's text into the project through the undo stack (like any edit); the
script runs only on Run/Step (the session builds it then) or when the user asks for the
contrast. Errors of the script (building it, or in forward during a step) highlight their
line in the editor with the message under it.
"""
import copy

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QSplitter

from widgets.control_flow_panel import ControlFlowPanel
from widgets.script_editor import ScriptEditor

from app.teaching.control_flow import cond_example, contrast_for_project
from app.project.script_model import ScriptError, parse_error


def add_script_tab(window):
    """Create the Script tab and its controller; returns the (title, widget) tab."""
    window.script_editor = ScriptEditor()
    window.control_flow = ControlFlowPanel()
    splitter = QSplitter(Qt.Vertical)
    splitter.addWidget(window.script_editor)
    splitter.addWidget(window.control_flow)
    splitter.setStretchFactor(0, 2)
    splitter.setStretchFactor(1, 1)
    splitter.setSizes([700, 300])
    window.script_tab = ScriptTab(window, window.script_editor, window.control_flow)
    return ("Script", splitter)


class ScriptTab:
    def __init__(self, window, editor, panel):
        self.window, self.editor, self.panel = window, editor, panel
        self._shown_error = None
        self._cond_shown = False
        editor.apply_requested.connect(self.apply)
        panel.trace_requested.connect(self.trace)
        window.session.subscribe(self._changed)

    def apply(self, text):
        """Make `text` the project's script (an undoable edit); it runs on the next Run/Step."""
        session = self.window.session
        if session.project is None:
            return
        project = copy.deepcopy(session.project)
        project.network.script = text
        self.window.edit(project, "Edit the script")

    def trace(self):
        """Trace the applied script's model and compare it with eager runs (the user asked:
        the script runs here, on a fresh build)."""
        project = self.window.session.project
        if not self._cond_shown:
            self.panel.show_cond(cond_example())
            self._cond_shown = True
        if project is None or not project.network.script:
            self.panel.show_message("The project has no script: write one and Apply it.")
            return
        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            contrast = contrast_for_project(project)
        except Exception as exc:  # user code may raise anything; the app stays up
            error = exc if isinstance(exc, ScriptError) else None
            self.panel.show_message(f"Cannot trace the script: {exc}")
            if error is not None:
                self._show_error((error.line, error.message))
            return
        finally:
            QApplication.restoreOverrideCursor()
        self.panel.show_contrast(contrast)
        if self.editor.is_modified():
            self.window.show_message("traced the applied script: Apply to trace your edits")

    def _changed(self, changes):
        session = self.window.session
        if session.project is None:
            return
        if "project" in changes:
            self.editor.set_applied(session.project.network.script)
        if changes & {"project", "state", "hits"}:
            self._show_error(self._current_error())

    def _current_error(self):
        """(line, message) of the script's error in the session, or None."""
        session = self.window.session
        if session.script_error is not None:
            return session.script_error.line, session.script_error.message
        if session.state is not None and session.state.error:
            return parse_error(session.state.error)
        return None

    def _show_error(self, error):
        if error == self._shown_error:
            return
        self._shown_error = error
        if error is None:
            self.editor.clear_error()
        else:
            self.editor.show_error(*error)
