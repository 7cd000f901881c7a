"""The main window: every panel a dock (left: layer palette, network builder, training
configuration; centre: the graph with the timeline below it; right: the inspector; bottom:
curves and breakpoint hits),
the debugger toolbar, the menus, the UI timer that drains the debugger into the session, and
autosave with recovery. The layout is kept in QSettings."""
import gc
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, Qt, QTimer
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (QDockWidget, QMainWindow, QMessageBox, QTabWidget, QVBoxLayout,
                               QWidget)

from widgets.breakpoint_log import BreakpointLog
from widgets.curves import CurvesView
from widgets.debugger_toolbar import DebuggerActions, DebuggerToolbar
from widgets.graph_view import GraphView
from widgets.layer_palette import LayerPalette
from widgets.network_builder import NetworkBuilder
from widgets.node_table import NodeTable
from widgets.status import DebuggerStatus
from widgets.tensor_inspector import TensorInspector
from widgets.timeline import Timeline
from widgets.training_config import TrainingConfig

from widgets.window.compare_tab import add_compare_view
from widgets.window.lecture import add_lecture_views
from widgets.window.menus import build_menus
from widgets.window.script_tab import add_script_tab
from widgets.window.feeds import GraphFeed, InspectorFeed, TimelineFeed
from app.project import ProjectError, load_project, save_project
from app.project.recent import Autosave, RecentFiles
from app.session import Session
from widgets.window.undo import ProjectEdit

PUMP_MS = 33  # ~30 Hz
GIL_SWITCH_S = 0.001  # the UI thread waits at most this long for the GIL held by the worker
AUTOSAVE_MS = 30_000
STYLESHEET = Path(__file__).resolve().parents[2] / "resources" / "styles" / "dark.qss"
LAYOUT_VERSION = 1


def default_data_dir():
    return Path(QStandardPaths.writableLocation(QStandardPaths.AppDataLocation) or
                Path.home() / ".stepgraph")


class MainWindow(QMainWindow):
    def __init__(self, session=None, data_dir=None, restore_layout=True, parent=None):
        super().__init__(parent)
        self.setObjectName("stepgraphMainWindow")
        self.session = session or Session()
        self.data_dir = Path(data_dir) if data_dir else default_data_dir()
        self.settings = QSettings(str(self.data_dir / "settings.ini"), QSettings.IniFormat)
        self.recent = RecentFiles(self.data_dir)
        self.autosave = Autosave(self.data_dir)
        self._closed = False
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_S))
        self.undo_stack = QUndoStack()  # no Qt parent: it outlives the window's C++ teardown
        self.resize(1400, 900)
        self.setDockOptions(QMainWindow.AllowNestedDocks | QMainWindow.AllowTabbedDocks)
        if STYLESHEET.is_file():
            self.setStyleSheet(STYLESHEET.read_text(encoding="utf-8"))

        self.palette_view = LayerPalette()
        self.builder = NetworkBuilder(self.session)
        self.config = TrainingConfig(self.session)
        self.graph_view = GraphView()
        self.inspector = TensorInspector()
        self.graph_feed = GraphFeed(self.session, self.graph_view)
        self.inspector_feed = InspectorFeed(self.session, self.inspector, self.show_message)
        self.timeline = Timeline()
        self.nodes = NodeTable(self.session)
        self.curves = CurvesView(self.session)
        self.hit_log = BreakpointLog(self.session)
        self.palette_view.add_requested.connect(self.builder.add)
        self.builder.edit_requested.connect(self.edit)
        self.config.edit_requested.connect(self.edit)
        self.builder.row_selected.connect(
            lambda row: self.session.select(str(row)) if row >= 0 else None)

        self.docks = {}
        # Tabs inside docks rather than tabified docks: Qt 6 leaves stray tab bars behind
        # when several dock groups are tabified.
        self.project_tabs = _tabs(("Network", self.builder), ("Training", self.config),
                                  add_script_tab(self))
        self.graph_tabs = _tabs(("Graph", self.graph_view), ("Node table", self.nodes),
                                add_compare_view(self))
        palette = self._dock("palette", "Layers", self.palette_view, Qt.LeftDockWidgetArea)
        graph = self._dock("graph", "Computation graph", _stacked(self.graph_tabs, self.timeline),
                           Qt.RightDockWidgetArea)
        decision_tab, narration_tab = add_lecture_views(self)
        self.bottom_tabs = _tabs(("Loss and accuracy", self.curves), decision_tab)
        self.inspector_tabs = _tabs(("Inspector", self.inspector), narration_tab)
        curves = self._dock("curves", "Training", self.bottom_tabs, Qt.BottomDockWidgetArea)
        self.splitDockWidget(palette, self._dock("builder", "Project", self.project_tabs),
                             Qt.Vertical)
        self.splitDockWidget(graph, self._dock("inspector", "Inspector", self.inspector_tabs),
                             Qt.Horizontal)
        self.splitDockWidget(curves, self._dock("hits", "Breakpoint hits", self.hit_log),
                             Qt.Horizontal)
        self.resizeDocks([self.docks["palette"], self.docks["graph"], self.docks["inspector"]],
                         [360, 600, 440], Qt.Horizontal)
        self.resizeDocks([self.docks["palette"], self.docks["builder"]], [200, 560], Qt.Vertical)
        self.resizeDocks([self.docks["curves"], self.docks["hits"]], [900, 500], Qt.Horizontal)
        self.docks["curves"].setMinimumHeight(230)
        self.debug_actions = DebuggerActions(self.session, self.show_message, self)
        self.toolbar = DebuggerToolbar(self.debug_actions, self)
        self.addToolBar(Qt.TopToolBarArea, self.toolbar)
        self.status = DebuggerStatus(self.session, self.statusBar(), self.edit)
        self.timeline_feed = TimelineFeed(self.session, self.timeline, self.show_message)
        build_menus(self)
        self.session.subscribe(self._session_changed)
        self.undo_stack.cleanChanged.connect(self._clean_changed)

        self.pump_timer = QTimer(self)
        self.pump_timer.setInterval(PUMP_MS)
        self.pump_timer.timeout.connect(self.session.pump)
        self.pump_timer.start()
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.write_autosave)
        self.autosave_timer.start()
        if restore_layout:
            self.restore_layout()
        gc.freeze()  # full collections skip the long-lived widgets (a ~70 ms UI stall otherwise)

    def _dock(self, name, title, widget, area=None):
        """A dock for `widget`, added to `area` (else placed by split or tabify after)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        dock.setWidget(widget)
        if area is not None:
            self.addDockWidget(area, dock)
        self.docks[name] = dock
        return dock

    # ---- the project ----------------------------------------------------------------------
    def set_project(self, project, path=None, weights_from=None):
        """Show `project` as a fresh document (the undo history starts again); the weights
        saved with the file `weights_from` are loaded when there are any."""
        self.undo_stack.clear()
        self.session.set_project(project, path, weights_from=weights_from)
        self._update_title()
        if self.session.weights_error:
            self.show_message(self.session.weights_error, 15000)

    def edit(self, project, description, merge=""):
        """A user edit: applied through the undo stack."""
        self.undo_stack.push(ProjectEdit(self.session, project, description, merge))

    def open_file(self, path):
        """Open a project file; False (with the message shown) when it cannot be read."""
        try:
            project = load_project(path)
        except ProjectError as exc:
            self.show_error("Cannot open the project", str(exc))
            self.recent.remove(path)
            return False
        self.set_project(project, Path(path), weights_from=Path(path))
        self.recent.add(path)
        return True

    def save_to(self, path):
        """Save the project (and the current weights) to `path`; False on failure."""
        session = self.session
        try:
            save_project(path, session.project, session.weights(timeout=10.0))
        except (OSError, ProjectError) as exc:
            self.show_error("Cannot save the project", f"{path}: {exc}")
            return False
        session.path = Path(path)
        self.recent.add(path)
        self.autosave.mark_clean_save()
        self.undo_stack.setClean()
        self._update_title()
        self.show_message(f"saved {path}")
        return True

    def write_autosave(self):
        """Autosave unsaved work with the current weights; a failure (disk full, folder
        not writable) is a status message, and the next autosave tries again."""
        session = self.session
        if session.project is None or self.undo_stack.isClean():
            return
        try:
            self.autosave.write(session.project, session.path, session.weights())
        except (OSError, ProjectError) as exc:
            self.show_message(f"autosave failed: {exc}")

    def offer_recovery(self):
        """At start: when the last session ended with unsaved work, offer to restore it."""
        recovery = self.autosave.find_recovery()
        if recovery is None:
            return False
        source = recovery.source or "an unsaved project"
        if not self.ask(f"Stepgraph did not close cleanly. Restore the autosaved copy of "
                        f"{source}?"):
            self.autosave.clean_exit()
            return False
        try:
            project = recovery.load()
        except ProjectError as exc:
            self.show_error("Cannot restore the autosave", str(exc))
            return False
        self.set_project(project, Path(recovery.source) if recovery.source else None,
                         weights_from=recovery.path)
        self.undo_stack.resetClean()
        return True

    # ---- feedback -------------------------------------------------------------------------
    def show_message(self, text, timeout_ms=8000):
        self.statusBar().showMessage(text, timeout_ms)

    def show_error(self, title, message):
        self.show_message(message)
        QMessageBox.warning(self, title, message)

    def ask(self, question):
        return QMessageBox.question(self, "Stepgraph", question) == QMessageBox.Yes

    def _session_changed(self, changes):
        if "project" in changes:
            blocker = self.session.run_blocker()
            if blocker:
                self.show_message(f"Run disabled: {blocker}", 0)
            else:
                self.statusBar().clearMessage()
            self._update_title()
        if "hits" in changes and self.session.hits:
            self.show_message(self.session.hits[-1].message)

    def _clean_changed(self, clean):
        self._update_title()

    def _update_title(self):
        project, path = self.session.project, self.session.path
        name = Path(path).name if path else (project.name if project else "Stepgraph")
        dirty = "*" if not self.undo_stack.isClean() else ""
        self.setWindowTitle(f"{name}{dirty} \u2014 Stepgraph")

    # ---- layout and closing ---------------------------------------------------------------
    def restore_layout(self):
        geometry = self.settings.value("geometry")
        state = self.settings.value("window_state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state, LAYOUT_VERSION)

    def save_layout(self):
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState(LAYOUT_VERSION))
        self.settings.sync()

    def closeEvent(self, event):
        if not self._closed:
            self._closed = True
            self.presentation.set_active(False)  # the normal layout is the one kept
            self.save_layout()
            self.undo_stack.cleanChanged.disconnect(self._clean_changed)
            self.pump_timer.stop()
            self.autosave_timer.stop()
            self.session.close()
            self.autosave.clean_exit()
        super().closeEvent(event)


def _tabs(*pages):
    tabs = QTabWidget()
    tabs.setDocumentMode(True)
    for title, widget in pages:
        tabs.addTab(widget, title)
    return tabs


def _stacked(top, bottom):
    """`top` over `bottom` (kept at its own height) in one widget."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(top, 1)
    layout.addWidget(bottom)
    return box
