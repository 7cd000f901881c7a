"""Feeding the computation-graph view and the tensor inspector from the session, and their
intents (select a node, toggle a breakpoint) back to it. Both refresh at once after a manual
step; while the debugger free-runs they wait for the next stop (repainting them on every
update would stall the UI thread), the curves and the status bar show the progress."""


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

    def _changed(self, changes):
        session, view = self.session, self.view
        if running(session) and not changes & {"graph", "project"}:
            return  # a repaint per update would stall the UI thread; shown at the next stop
        if changes & {"graph", "project"}:
            state = session.state
            view.set_graph(session.graph, state.new_keys if state else ())
        if changes & {"stats", "project", "state"}:
            self._show_stats()
        if changes & {"state", "project"}:
            view.set_current(session.state.key if session.state else None)
        if changes & {"breakpoints", "project"}:
            view.set_breakpoints(session.breakpoint_targets)
        if "selection" in changes and session.selected in view.items:
            view.select_node(session.selected)


class InspectorFeed:
    def __init__(self, session, inspector):
        self.session, self.view = session, inspector
        self._stale = False
        session.subscribe(self._changed)

    def _changed(self, changes):
        if changes & {"selection", "project", "stats", "state"}:
            self._stale = True
        if self._stale and not running(self.session):
            self.refresh()

    def refresh(self):
        session, key = self.session, self.session.selected
        self._stale = False
        if key is None or "/" not in key:
            return
        value, grad = session.value(key), session.grad(key)
        message = None if value is not None else "not computed in this iteration yet"
        device = session.project.train.device if session.project else "cpu"
        self.view.show_node(key, value, grad, session.stats.get(key),
                            session.history_series(key), message=message, device=device)
