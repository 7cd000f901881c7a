"""The main window: every panel a dock (left: layer palette, network builder, training
configuration; centre: the graph, the node table, the compare view and the script editor as
tabs, with the timeline below them; right: the inspector; bottom: curves and breakpoint hits),
the debugger toolbar, the menus, the UI timer that drains the debugger into the session, and
autosave with recovery. The layout is kept in QSettings per screen size (widgets/window/fit.py),
the theme too (themes.py)."""
import functools
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
from widgets.compare_view import CompareView
from widgets.control_flow_panel import ControlFlowPanel
from widgets.decision_view import DecisionView
from widgets.narration_panel import NarrationPanel
from widgets.script_editor import ScriptEditor

from widgets.window.breakpoints_controller import BreakpointsController
from widgets.window.compare_tab import CompareController
from widgets.window.decision_feed import DecisionFeed
from widgets.window.exports import Exports
from widgets.window.file_actions import FileActions
from widgets.window.fit import ScreenFit
from widgets.window.feeds import (CurvesFeed, GraphFeed, HitLogFeed, InspectorFeed,
                                  NarrationFeed, NodeTableFeed, ProjectFeed, TimelineFeed)
from widgets.window.gradient_check import GradientChecks
from widgets.window.help import Help
from widgets.window.menus import Menus
from widgets.window.presentation import Presentation
from widgets.window.room import TabRoom
from widgets.window.script_tab import ScriptTab, script_page
from widgets.window.themes import Themes
from app.project import ProjectError, load_project
from app.project.recent import Autosave, RecentFiles
from app.session import Session
from widgets.window.ui_gc import UiThreadCollector
from widgets.window.undo import ProjectEdit

PUMP_MS = 33  # ~30 Hz
AUTOSAVE_MS = 30_000
LAYOUT_VERSION = 1


def default_data_dir():
    """Where settings, recent files and autosaves live (the platform's app data folder)."""
    return Path(QStandardPaths.writableLocation(QStandardPaths.AppDataLocation) or
                Path.home() / ".stepgraph")


UI_BUILD_WAIT_S = 0.1  # longer builds end on their worker while the window stays live


class MainWindow(QMainWindow):
    """The main window (see the module docstring); it owns its views, their feeds and its
    controllers (script tab, compare, gradient checks, presentation, exports, menus)."""

    def __init__(self, session=None, data_dir=None, restore_layout=True, parent=None):
        super().__init__(parent)
        self.setObjectName("stepgraphMainWindow")
        self.session = session or Session(build_wait_s=UI_BUILD_WAIT_S)
        self.data_dir = Path(data_dir) if data_dir else default_data_dir()
        self.settings = QSettings(str(self.data_dir / "settings.ini"), QSettings.IniFormat)
        self.recent = RecentFiles(self.data_dir)
        self.autosave = Autosave(self.data_dir)
        self._closed = False
        self.undo_stack = QUndoStack()  # no Qt parent: it outlives the window's C++ teardown
        self.resize(1400, 900)
        self.setDockOptions(QMainWindow.AllowNestedDocks | QMainWindow.AllowTabbedDocks)
        self._make_views()
        self._make_docks()
        self._make_controllers()
        self._start_timers()
        if restore_layout:
            self.restore_layout()

    def _make_views(self):
        """The views and the feeds and controllers between them and the session."""
        self.palette_view = LayerPalette()
        self.builder = NetworkBuilder()
        self.config = TrainingConfig()
        self.project_feed = ProjectFeed(self.session, self.builder, self.config)
        self.graph_view = GraphView()
        self.inspector = TensorInspector()
        self.graph_feed = GraphFeed(self.session, self.graph_view)
        self.inspector_feed = InspectorFeed(self.session, self.inspector, self.show_message)
        self.timeline = Timeline()
        self.timeline_feed = TimelineFeed(self.session, self.timeline, self.show_message)
        self.nodes = NodeTable()
        self.nodes_feed = NodeTableFeed(self.session, self.nodes)
        self.curves = CurvesView()
        self.curves_feed = CurvesFeed(self.session, self.curves)
        self.hit_log = BreakpointLog()
        self.hit_log_feed = HitLogFeed(self.session, self.hit_log)
        self.palette_view.add_requested.connect(self.builder.add)
        self.builder.edit_requested.connect(self.edit)
        self.config.edit_requested.connect(self.edit)
        self.builder.row_selected.connect(
            lambda row: self.session.select(str(row)) if row >= 0 else None)

        self.script_editor, self.control_flow = ScriptEditor(), ControlFlowPanel()
        self.script_tab = ScriptTab(self, self.script_editor, self.control_flow)
        self.compare_view = CompareView()
        self.compare = CompareController(self.session, self.compare_view, self)
        self.decision_view = DecisionView()
        self.decision_feed = DecisionFeed(self.session, self.decision_view)
        self.narration = NarrationPanel()
        self.narration_feed = NarrationFeed(self.session, self.narration)

    def _make_docks(self):
        """Every panel in a dock: left palette and project, centre graph, right inspector,
        bottom curves and breakpoint hits."""
        self.docks = {}
        # Tabs inside docks rather than tabified docks: Qt 6 leaves stray tab bars behind
        # when several dock groups are tabified.
        self.script_page = script_page(self.script_editor, self.control_flow)
        self.project_tabs = _tabs(("Network", self.builder), ("Training", self.config))
        self.graph_tabs = _tabs(("Graph", self.graph_view), ("Node table", self.nodes),
                                ("Dynamic vs static", self.compare_view),
                                ("Script", self.script_page))
        palette = self._dock("palette", "Layers", self.palette_view, Qt.LeftDockWidgetArea)
        graph = self._dock("graph", "Computation graph", _stacked(self.graph_tabs, self.timeline),
                           Qt.RightDockWidgetArea)
        self.bottom_tabs = _tabs(("Loss and accuracy", self.curves),
                                 ("Decision boundary", self.decision_view))
        self.inspector_tabs = _tabs(("Inspector", self.inspector), ("Narration", self.narration))
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

    def _make_controllers(self):
        """The toolbar, the status bar, the window's controllers and the menus."""
        self.debug_actions = DebuggerActions(self.session, self.show_message, self)
        self.toolbar = DebuggerToolbar(self.debug_actions, self)
        self.addToolBar(Qt.TopToolBarArea, self.toolbar)
        self.status = DebuggerStatus(self.session, self.statusBar(),
                                     functools.partial(self.edit, confirmed=True))
        self.gradient_checks = GradientChecks(self)
        self.breakpoints = BreakpointsController(self)
        self.presentation = Presentation(self)
        self.exports = Exports(self)
        self.file_actions = FileActions(self)
        self.fit = ScreenFit(self, LAYOUT_VERSION)  # after the controllers that fill docks
        self.themes = Themes(self)
        self.help = Help(self)
        self.room = TabRoom(self, self.graph_tabs, (self.compare_view, self.script_page))
        self.menus = Menus(self)  # after the controllers: it adds their actions
        self.help.fill_tooltips()
        self.session.subscribe(self._session_changed)
        self.undo_stack.cleanChanged.connect(self._clean_changed)

    def _start_timers(self):
        """The UI timer that drains the debugger into the session, and autosave's."""
        self.pump_timer = QTimer(self)
        self.pump_timer.setInterval(PUMP_MS)
        self.pump_timer.timeout.connect(self.session.pump)
        self.pump_timer.start()
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.write_autosave)
        self.autosave_timer.start()
        self.collector = UiThreadCollector(self)

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
        self.file_actions.project_replaced()

    def edit(self, project, description, merge="", confirmed=False):
        """A user edit: applied through the undo stack. Optimizer settings and breakpoints
        change the run in place; an edit that rebuilds asks first once training ran, unless
        the user already chose it (`confirmed`: the CPU offer keeps the weights)."""
        state = self.session.state
        if not confirmed and state is not None and state.completed and \
                self.session.needs_rebuild(project) and \
                not self.ask(f"{description}: this resets training (iteration "
                             f"{state.completed} and the curves are lost). Reset?"):
            session = self.session  # cancelled: the editors show the project as it is
            self.builder.show_project(session.project, session.report)
            self.config.show_project(session.project)
            return
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
        saved = self.file_actions.save_to(path)
        self._update_title()
        return saved

    def write_autosave(self):
        """Autosave unsaved work with the current weights; a failure (disk full, folder
        not writable) is a status message, and the next autosave tries again."""
        session = self.session
        if session.project is None or self.undo_stack.isClean():
            return
        try:
            self.autosave.write(session.project, session.path, session.weights(),
                                keep_weights_of=session.pending_weights)
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
        if project.network.script and not recovery.source:  # typed or imported: ask first
            self.file_actions.script_origin = "the autosaved copy"
        self.undo_stack.resetClean()
        return True

    # ---- feedback -------------------------------------------------------------------------
    def show_message(self, text, timeout_ms=8000):
        """A message in the status bar for `timeout_ms` (0: until replaced)."""
        self.statusBar().showMessage(text, timeout_ms)

    def show_error(self, title, message):
        """An error: in the status bar and in a message box."""
        self.show_message(message)
        QMessageBox.warning(self, title, message)

    def ask(self, question):
        """A yes/no question; True for yes."""
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
        """The docks' layout and the window's geometry kept for this screen size, if any."""
        self.fit.restore()

    def save_layout(self):
        """Keep the docks' layout and the window's geometry for this screen size."""
        self.fit.save()

    def closeEvent(self, event):
        """Leave presentation mode, keep the layout, stop the timers, the compare worker and
        the run, and mark a clean exit (no recovery offered next time)."""
        if not self._closed and not self.file_actions.close_requested():
            event.ignore()  # Cancel in Save / Discard / Cancel
            return
        if not self._closed:
            self._closed = True
            self.presentation.set_active(False)  # the normal layout is the one kept
            self.save_layout()
            self.compare.close()  # its timing worker
            self.undo_stack.cleanChanged.disconnect(self._clean_changed)
            self.pump_timer.stop()
            self.autosave_timer.stop()
            self.session.close()
            self.autosave.clean_exit()
            self.collector.stop()
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
