"""The Script tab in the main window: the script editor over the control-flow contrast, and
the controller between them and the session.

Apply stores the editor's text into the project through the undo stack (like any edit); the
script runs only on Run/Step (the session builds it then) or when the user asks for the
contrast. Errors of the script (building it, or in forward during a step) highlight their
line in the editor with the message under it. While the debugger is paused in forward, the
line of the script that ran the op is marked. Edits not applied yet are flagged (the tab's
title gets a dot) and a save asks whether to apply them first.
"""
import copy

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QSplitter

from app.teaching.control_flow import cond_example, contrast_for_project
from app.debugging.script_position import paused_script_line
from app.project.script_model import ScriptError, parse_error

UNAPPLIED_MARK = " \u25cf"  # after the tab's title while edits are not applied


def script_page(editor, panel):
    """The Script tab's page: the editor over the control-flow panel."""
    splitter = QSplitter(Qt.Vertical)
    splitter.addWidget(editor)
    splitter.addWidget(panel)
    splitter.setStretchFactor(0, 2)
    splitter.setStretchFactor(1, 1)
    splitter.setSizes([700, 300])
    return splitter


class ScriptTab:
    """The controller between the script editor, the control-flow panel and the session."""

    def __init__(self, window, editor, panel):
        self.window, self.editor, self.panel = window, editor, panel
        self._shown_error = None
        self._cond_shown = False
        editor.apply_requested.connect(self.apply)
        editor.modified_changed.connect(self._flag)
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

    def ready_to_save(self):
        """Before a save: with edits not applied yet, ask whether to apply them (and save
        them with the project), to save without them, or to cancel (False)."""
        if not self.editor.is_modified() or self.window.session.project is None:
            return True
        answer = QMessageBox.question(
            self.window, "Stepgraph", "The script has edits that are not applied yet. Apply "
            "them, so that they are saved with the project?",
            QMessageBox.Yes | QMessageBox.No | QMessageBox.Cancel, QMessageBox.Yes)
        if answer == QMessageBox.Cancel:
            return False
        if answer == QMessageBox.Yes:
            self.apply(self.editor.text())
        return True

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
        if not self.window.file_actions.allow_script("Trace"):
            self.panel.show_message("The script was not traced: it was not allowed to run.")
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
        if changes & {"project", "state"}:
            script = session.project.network.script
            self.editor.set_current_line(
                paused_script_line(session.debugger, session.state) if script else None)

    def _flag(self, modified):
        """Mark the tab's title while the editor holds edits not applied yet."""
        tabs = self.window.graph_tabs
        tabs.setTabText(tabs.indexOf(self.window.script_page),
                        "Script" + (UNAPPLIED_MARK if modified else ""))

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
