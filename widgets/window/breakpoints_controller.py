"""The main window's debugging controller: the Breakpoints dock (the breakpoints panel and the
log of hits, as tabs) fed by BreakpointsFeed, "Add condition..." from the graph's context
menu, and what a stop shows: the node where it happened is selected (the graph scrolls to it
and outlines it, the inspector shows it), the inspector lists its inputs, each a click away,
and, while backward runs, the gradient edges it has reached so far are lit."""
import copy

from PySide6.QtWidgets import QTabWidget

from app.project import validate
from widgets.breakpoints_panel import BreakpointsPanel

PLAIN_STOPS = ("step_op", "step_layer", "step_out", "step_phase", "step_iteration", "pause",
               "run_to")


class BreakpointsFeed:
    """The breakpoints panel shows the project's breakpoints, the F9 toggles and their hit
    counts; its edits become undoable project edits through `edit(project, text, merge)`."""

    def __init__(self, session, panel, edit):
        self.session, self.view, self.edit = session, panel, edit
        panel.breakpoints_edited.connect(self._edited)
        panel.toggle_removed.connect(session.toggle_breakpoint)
        session.subscribe(self._changed)
        self._changed({"project"})

    def _changed(self, changes):
        session = self.session
        if session.project is not None and changes & {"project", "config", "breakpoints"}:
            self.view.show_breakpoints(session.project.breakpoints,
                                       session.breakpoint_targets, session.hit_counts())
        if changes & {"project", "graph"}:
            self.view.show_targets([n.key for n in session.graph])
        if changes & {"hits", "state"}:
            self.view.show_counts(session.hit_counts())

    def _edited(self, specs, description, merge):
        project = copy.deepcopy(self.session.project)
        project.breakpoints = specs
        problems = [i.message for i in validate(project).errors if i.section == "breakpoints"]
        self.view.show_problem(problems[0] if problems else "")
        if not problems:
            self.edit(project, description, merge)


class BreakpointsController:
    def __init__(self, window):
        self.window, self.session = window, window.session
        self.panel = BreakpointsPanel()
        self.feed = BreakpointsFeed(self.session, self.panel, window.edit)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.panel, "Breakpoints")
        self.tabs.addTab(window.hit_log, "Hits")
        self.dock = window.docks["hits"]
        self.dock.setWidget(self.tabs)
        self.dock.setWindowTitle("Breakpoints")
        self._hits_seen = 0
        window.graph_view.condition_requested.connect(self.add_condition_on)
        window.inspector.input_chosen.connect(self.session.select)
        window.graph_view.options_changed.connect(self.show_flow)
        self.session.subscribe(self._changed)

    def add_condition_on(self, target):
        """Show the panel with its form ready for a condition on `target`."""
        self.dock.show()
        self.dock.raise_()
        self.tabs.setCurrentWidget(self.panel)
        self.panel.prepare(target)

    def _changed(self, changes):
        if "hits" in changes:
            self._show_stop()
        session = self.session
        if session.running:
            return
        if changes & {"selection", "state", "project", "viewed"}:
            self.show_inputs()
        if changes & {"state", "graph", "project", "stats"}:
            self.show_flow()

    def show_flow(self):
        """Light the gradient edges of this iteration while backward runs (always with the
        backward graph shown: what backward computed), and mark the current node."""
        session, view, state = self.session, self.window.graph_view, self.session.state
        if session.running or session.viewed is not None:
            return
        in_backward = state is not None and state.phase == "backward"
        lit = in_backward or view.show_backward
        view.set_gradient_reached(session.gradient_keys() if lit else [])
        view.set_current(state.key if state else None, state.phase if state else None)

    def _show_stop(self):
        """A breakpoint hit or an error selects the node where it happened."""
        hits = self.session.hits
        if len(hits) < self._hits_seen:
            self._hits_seen = 0
        new, self._hits_seen = hits[self._hits_seen:], len(hits)
        stops = [h for h in new if h.kind not in PLAIN_STOPS and h.key]
        if stops:
            self.session.select(stops[-1].key)

    def show_inputs(self):
        """The selected node's inputs in the inspector (name, shape, statistics)."""
        key = self.session.selected
        live = key and "/" in key and self.session.viewed is None
        self.window.inspector.show_inputs(self.session.input_rows(key) if live else [])
