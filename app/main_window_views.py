"""Feeding the computation-graph view and the tensor inspector from the session, and their
intents (select a node, toggle a breakpoint) back to it. Heavy views refresh at once after a
manual step and at most every REFRESH_S while running."""
import time

REFRESH_S = 0.5


class GraphFeed:
    def __init__(self, session, graph_view):
        self.session, self.view = session, graph_view
        graph_view.node_selected.connect(session.select)
        graph_view.breakpoint_toggled.connect(self._toggled)
        session.subscribe(self._changed)

    def _toggled(self, key, kind):
        if (key in self.session.breakpoint_targets) != (key in self.view.breakpoints):
            self.session.toggle_breakpoint(key)

    def _changed(self, changes):
        session, view = self.session, self.view
        if changes & {"graph", "project"}:
            state = session.state
            view.set_graph(session.graph, state.new_keys if state else ())
        if changes & {"stats", "project"}:
            for kind, (keys, rows) in session.latest_stats.items():
                view.set_stats(kind, keys, rows)
                if kind == "grad":
                    view.set_gradient_reached(keys)
        if changes & {"state", "project"}:
            view.set_current(session.state.key if session.state else None)
        if changes & {"breakpoints", "project"}:
            view.set_breakpoints(session.breakpoint_targets)
        if "selection" in changes and session.selected in view.items:
            view.select_node(session.selected)


class InspectorFeed:
    def __init__(self, session, inspector):
        self.session, self.view = session, inspector
        self._shown_at = 0.0
        session.subscribe(self._changed)

    def _changed(self, changes):
        state = self.session.state
        running = state is not None and state.status == "running"
        if "selection" in changes or "project" in changes:
            self.refresh()
        elif changes & {"stats", "state"} and (
                not running or time.perf_counter() - self._shown_at >= REFRESH_S):
            self.refresh()

    def refresh(self):
        session, key = self.session, self.session.selected
        self._shown_at = time.perf_counter()
        if key is None or "/" not in key:
            return
        value, grad = session.value(key), session.grad(key)
        message = None if value is not None else "not computed in this iteration yet"
        device = session.project.train.device if session.project else "cpu"
        self.view.show_node(key, value, grad, session.stats.get(key),
                            session.history_series(key), message=message, device=device)
