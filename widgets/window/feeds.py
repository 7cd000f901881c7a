"""How every view that shows the session is fed: by a feed (one per view; the two project
editors share one). A feed subscribes to the session, calls its view's setters when what the
view shows changed, and connects the view's signals (select a node, toggle a breakpoint, view
an older iteration) back to the session's intents; views never hold the session
(DecisionFeed, widgets/window/decision_feed.py, and BreakpointsFeed are feeds too).
Controllers that send intents (the debugger toolbar's actions, the status bar's offers) hold
the session. The graph and the inspector refresh at once after a manual step; while the
debugger free-runs they wait for the next stop (repainting them on every update would stall
the UI thread), the curves, the node table, the status bar and the timeline (a few times a
second) show the progress. When the timeline shows an older iteration, the graph and the
inspector show it as it was then, from the debugger history."""
import time


class GraphFeed:
    """The computation graph: the session's graph, statistics, current node, breakpoints and
    selection; clicks select, F9 toggles a breakpoint."""

    def __init__(self, session, graph_view):
        self.session, self.view = session, graph_view
        self._document = None  # (path, name) of the project shown: another one starts afresh
        graph_view.node_selected.connect(session.select)
        graph_view.breakpoint_toggled.connect(self._toggled)
        session.subscribe(self._changed)

    def _toggled(self, key, kind):
        if (key in self.session.breakpoint_targets) != (key in self.view.breakpoints):
            self.session.toggle_breakpoint(key)

    def _show_stats(self):
        for kind, (keys, rows) in self.session.latest_stats.items():
            self.view.set_stats(kind, keys, rows)
            if kind == "grad":
                self.view.set_gradient_reached(keys)

    def _show_iteration(self):
        """Every node's statistics of the viewed iteration (or the latest ones, live)."""
        for kind in ("value", "grad"):
            keys, rows = self.session.shown_stats(kind)
            self.view.replace_stats(kind, keys, rows)
            if kind == "grad":
                self.view.set_gradient_reached(keys)

    def _changed(self, changes):
        session, view = self.session, self.view
        if session.running and not changes & {"graph", "project"}:
            return  # a repaint per update would stall the UI thread; shown at the next stop
        if changes & {"graph", "project"}:
            state = session.state
            document = (session.path, session.project.name if session.project else None)
            fresh, self._document = document != self._document, document
            view.set_graph(session.graph, state.new_keys if state else (), fresh=fresh,
                           absent=state.absent_keys if state else None)
        if "viewed" in changes:
            self._show_iteration()
        elif changes & {"stats", "project", "state"} and session.viewed is None:
            self._show_stats()
        if changes & {"state", "project"}:
            state = session.state
            view.set_current(state.key if state else None, state.phase if state else None)
        if changes & {"breakpoints", "project"}:
            view.set_breakpoints(session.breakpoint_targets)
        if "selection" in changes and session.selected in view.items:
            view.select_node(session.selected)


class InspectorFeed:
    """The selected node in the inspector; in static mode, "Add to fetch list" recompiles
    the graph to fetch a node that is not fetched (the cost is said in the status bar)."""

    def __init__(self, session, inspector, show_message=None):
        self.session, self.view = session, inspector
        self.show_message = show_message or (lambda text, timeout_ms=0: None)
        self._stale = False
        session.subscribe(self._changed)
        inspector.fetch_requested.connect(self._fetch)

    def _fetch(self, key):
        try:
            self.show_message(self.session.add_fetch(key), 15000)
        except (ValueError, KeyError) as exc:
            self.show_message(str(exc), 15000)

    def _changed(self, changes):
        if changes & {"selection", "project", "stats", "state", "viewed"}:
            self._stale = True
        if self._stale and not self.session.running:
            self.refresh()

    def refresh(self):
        """Show the selected node now (a layer scope leaves the inspector as it is)."""
        session, key = self.session, self.session.selected
        self._stale = False
        if key is None or "/" not in key:
            return
        node = session.node_view(key)
        self.view.set_fetch_target(key if node.value is None and session.can_fetch(key) else None)
        self.view.show_node(key, node.value, node.grad, node.stats, node.series,
                            message=node.message, device=node.device)


class ProjectFeed:
    """The project's editors (the network builder, the training configuration) show the
    session's project; their edits reach the window's undo stack through `edit_requested`."""

    def __init__(self, session, builder, config):
        self.session, self.builder, self.config = session, builder, config
        session.subscribe(self._changed)
        self._changed({"project"})

    def _changed(self, changes):
        if changes & {"project", "config"}:  # "config": edited in place, the run kept
            self.builder.show_project(self.session.project, self.session.report)
            self.config.show_project(self.session.project)


class CurvesFeed:
    """The loss and accuracy curves, redrawn at most `max_fps` times a second (and at once
    when the project changes)."""

    def __init__(self, session, curves, max_fps=2):
        self.session, self.view = session, curves
        self.min_interval = 1.0 / max_fps
        self._drawn_at = 0.0
        session.subscribe(self._changed)

    def _changed(self, changes):
        if "project" in changes:
            self.redraw()
        elif "curves" in changes and time.perf_counter() - self._drawn_at >= self.min_interval:
            self.redraw()

    def redraw(self):
        """Draw every point now (also used by the screenshot and after a manual step)."""
        self._drawn_at = time.perf_counter()
        session = self.session
        loss = session.project.train.loss if session.project is not None else ""
        self.view.show_curves(session.losses, session.accuracies, loss)


class NodeTableFeed:
    """The node table lists the graph with the latest statistics; while the debugger runs it
    refreshes at most every `refresh_s`. A click selects the node."""

    def __init__(self, session, table, refresh_s=0.5):
        self.session, self.view, self.refresh_s = session, table, refresh_s
        self._shown_at = 0.0
        table.node_selected.connect(session.select)
        session.subscribe(self._changed)

    def _changed(self, changes):
        if self.session.running and not changes & {"graph", "project"}:
            if time.perf_counter() - self._shown_at < self.refresh_s:
                return
        if changes & {"graph", "stats", "state", "breakpoints", "project", "selection"}:
            self.refresh()

    def refresh(self):
        """Show the session's graph now."""
        session = self.session
        self._shown_at = time.perf_counter()
        current = session.state.key if session.state else None
        self.view.show_nodes(session.graph, session.stats, current, session.breakpoint_targets,
                             session.selected)


class HitLogFeed:
    """The log of breakpoint hits; a click on one selects its node."""

    def __init__(self, session, log):
        self.session, self.view = session, log
        log.node_selected.connect(session.select)
        session.subscribe(self._changed)

    def _changed(self, changes):
        if "hits" in changes or "project" in changes:
            self.view.show_hits(self.session.hits)


class NarrationFeed:
    """The narration panel narrates the session's current node."""

    def __init__(self, session, panel):
        self.session, self.view = session, panel
        session.subscribe(self._changed)

    def _changed(self, changes):
        if changes & {"state", "graph", "selection", "project"}:
            self.view.show_state(self.session.state, self.session.parameter_shapes())


class TimelineFeed:
    """The timeline lists the recorded iterations (and which still have full tensors);
    choosing one shows it in the graph and the inspector, the newest returns to live."""

    def __init__(self, session, timeline, show_message):
        self.session, self.view, self.show_message = session, timeline, show_message
        self._viewing = False
        timeline.iteration_chosen.connect(self._chosen)
        session.subscribe(self._changed)

    def _changed(self, changes):
        if changes & {"history", "selection", "project"}:
            self.view.set_iterations(*self.session.recorded_iterations())
        if "viewed" in changes:
            self._show_viewed()

    def _show_viewed(self):
        viewed, was_viewing = self.session.viewed, self._viewing
        self._viewing = viewed is not None
        if viewed is None:
            if self.view.iterations:
                self.view.show_newest()
            if was_viewing:
                self.show_message("back to live", 3000)
            return
        what = ("full tensors" if viewed in self.view.kept else
                "statistics only, its full tensors were dropped (memory budget)")
        self.show_message(f"viewing iteration {viewed} from the history: {what}; "
                          f"a step command returns to live", 0)

    def _chosen(self, iteration):
        self.session.view_iteration(iteration)
