"""Feeding the computation-graph view, the tensor inspector and the timeline from the session,
and their intents (select a node, toggle a breakpoint, view an older iteration) back to it.
The graph and the inspector refresh at once after a manual step; while the debugger free-runs
they wait for the next stop (repainting them on every update would stall the UI thread), the
curves, the status bar and the timeline (a few times a second) show the progress. When the
timeline shows an older iteration, both show it as it was then, from the debugger history."""


def running(session):
    return session.state is not None and session.state.status == "running"


class GraphFeed:
    def __init__(self, session, graph_view):
        self.session, self.view = session, graph_view
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
        if running(session) and not changes & {"graph", "project"}:
            return  # a repaint per update would stall the UI thread; shown at the next stop
        if changes & {"graph", "project"}:
            state = session.state
            view.set_graph(session.graph, state.new_keys if state else ())
        if "viewed" in changes:
            self._show_iteration()
        elif changes & {"stats", "project", "state"} and session.viewed is None:
            self._show_stats()
        if changes & {"state", "project"}:
            view.set_current(session.state.key if session.state else None)
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
        if self._stale and not running(self.session):
            self.refresh()

    def refresh(self):
        session, key = self.session, self.session.selected
        self._stale = False
        if key is None or "/" not in key:
            return
        device = session.project.train.device if session.project else "cpu"
        if session.viewed is not None:
            value, grad, stats, message = session.tensors_at(key, session.viewed)
            message = f"iteration {session.viewed}" + (f": {message}" if message else "")
            device = "cpu"  # the history's host copy
        else:
            value, grad, stats = session.value(key), session.grad(key), session.stats.get(key)
            message = None if value is not None else session.missing_message(key)
        self.view.set_fetch_target(key if value is None and session.can_fetch(key) else None)
        self.view.show_node(key, value, grad, stats, session.history_series(key),
                            message=message, device=device)


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
