"""The compare view in the main window: a "Dynamic vs static" tab beside the graph, and the
controller that feeds it.

Nothing heavy runs on the UI thread: Compare builds the Comparison (two copies of the model,
one compiled) in a thread, LiveTiming measures both modes in its worker, and a fetch request
recompiles there too. Results are handed over under a lock and shown by a UI timer
(REFRESH_MS), so the view is updated at most a few times a second. Timing stops while the tab
is hidden and when the project changes (the figures are then marked stale).
"""
import threading

from PySide6.QtCore import QObject, QTimer

from app.teaching.compare import Comparison, FetchCost, LiveTiming, Timings

REFRESH_MS = 250


def _compiled_caption(comparison):
    nodes = comparison.compiled_nodes()
    fused = len(comparison.static.fused_keys)
    return (f"{comparison.passes[-1].nodes_after} nodes, {len(nodes)} ops, {fused} fused "
            f"(purple outline)")


class CompareController(QObject):
    """Feeds the compare view: builds the comparison in a thread on Compare, times both modes
    while the tab is visible, recompiles for a fetch request; `close()` stops it all."""

    def __init__(self, session, view, parent=None):
        super().__init__(parent)
        self.session = session
        self.view = view
        self.comparison = None
        self.timing = None
        self._lock = threading.Lock()
        self._arrived = []  # Comparison, Timings, FetchCost or exceptions, from threads
        self._building = False
        self._generation = 0  # bumped when the project changes: older builds are dropped
        self._timing_wanted = True
        view.refresh_requested.connect(self.refresh)
        view.timing_toggled.connect(self._timing_toggled)
        view.fetch_requested.connect(self.add_fetch)
        session.subscribe(self._session_changed)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.poll)
        self.timer.start()

    # ---- intents --------------------------------------------------------------------------------
    def refresh(self):
        """Compile the session's project and start timing (the work runs in a thread)."""
        session = self.session
        if not session.has_model or self._building:
            self.view.show_message(f"Cannot compare: {session.run_blocker() or 'building…'}")
            return
        self.stop_timing()
        try:
            weights = session.weights()
        except TimeoutError as exc:
            self.view.show_message(f"Cannot compare now: {exc}")
            return
        self._building = True
        self.view.refresh_button.setEnabled(False)
        self.view.show_message("Compiling the project and building a dynamic copy…")
        threading.Thread(target=self._build, args=(session.project, weights, self._generation),
                         name="compare-build", daemon=True).start()

    def add_fetch(self, key):
        """Fetch node `key` too: on the timing worker, else recompiled in a thread."""
        if self.timing is not None and self.timing.running:
            self.timing.request_fetch(key)
        elif self.comparison is not None:
            threading.Thread(target=self._fetch_now, args=(self.comparison, key),
                             name="compare-fetch", daemon=True).start()

    def stop_timing(self):
        """Stop timing both modes (the figures stay shown)."""
        if self.timing is not None:
            self.timing.stop()
            self.timing = None
        self.view.set_timing_running(False, enabled=self.comparison is not None)

    def close(self):
        """Stop the UI timer and the timing worker (the window is closing)."""
        self.timer.stop()
        self.stop_timing()

    # ---- threads --------------------------------------------------------------------------------
    def _build(self, project, weights, generation):
        try:
            result = Comparison(project, weights)
        except Exception as exc:  # a thread's end: shown in the view, the app stays up
            result = exc
        self._hand_over((generation, result))

    def _fetch_now(self, comparison, key):
        try:
            self._hand_over(comparison.add_fetch(key))
        except (KeyError, ValueError) as exc:
            self._hand_over(exc)

    def _hand_over(self, item):
        with self._lock:
            self._arrived.append(item)

    # ---- the UI timer ---------------------------------------------------------------------------
    def poll(self):
        """Show what the threads handed over (the latest timings only)."""
        with self._lock:
            arrived, self._arrived = self._arrived, []
        timings = None
        for item in arrived:
            if isinstance(item, tuple):  # (generation, Comparison or error) from a build
                self._built(*item)
            elif isinstance(item, FetchCost):
                self.view.show_fetch_cost(item)
                self._show_static(self.comparison)
            elif isinstance(item, Timings):
                timings = item
            elif isinstance(item, Exception):
                self._show_error(item)
        if timings is not None:
            self.view.show_timings(timings.dynamic_seconds, timings.static_seconds,
                                   timings.dynamic_steps, timings.static_steps)
        self._keep_timing()

    def _built(self, generation, result):
        self._building = False
        self.view.refresh_button.setEnabled(True)
        if generation != self._generation:
            return  # built for a project that has changed since
        if isinstance(result, Exception):
            self.view.show_message(f"Cannot compare: {result}")
        else:
            self._show_comparison(result)

    def _show_comparison(self, comparison):
        self.comparison = comparison
        view = self.view
        static_written = comparison.written_static_nodes()
        written_count = comparison.passes[0].nodes_before
        view.show_graphs(
            [("Static graph, before the passes", f"{written_count} nodes, {len(static_written)} "
              "ops (forward, backward, update)", static_written),
             ("Dynamic graph of one iteration", f"{len(comparison.written)} forward ops "
              "recorded (backward runs from the tape)", comparison.written)],
            comparison.compiled_nodes(), _compiled_caption(comparison))
        self._show_static(comparison)
        view.show_timings(None, None)
        view.show_message(f"{comparison.project.name}: both modes timed on copies of the model")

    def _show_static(self, comparison):
        view, static = self.view, comparison.static
        if comparison.fetch_costs:  # a recompile may have kept more nodes
            view.show_compiled(comparison.compiled_nodes(), _compiled_caption(comparison),
                               fit=False)
        view.show_passes(comparison.passes)
        view.show_compile(comparison.compile_seconds, *comparison.peak_bytes)
        view.show_inspectable(comparison.inspectable("dynamic"), comparison.inspectable("static"))
        view.set_fetchable(static.fetchable_keys(), static.fetch_keys)

    def _show_error(self, exc):
        self.view.show_message(f"Compare: {exc}")
        if self.comparison is not None:
            self._show_static(self.comparison)

    def _keep_timing(self):
        """Timing runs while wanted, the view is visible and a comparison is shown."""
        want = self._timing_wanted and self.comparison is not None and self.view.isVisible()
        running = self.timing is not None and self.timing.running
        failed = self.timing is not None and self.timing.error is not None
        if want and not running and not failed:
            self.timing = LiveTiming(self.comparison, self._hand_over)
            self.timing.start()
            self.view.set_timing_running(True)
        elif not want and self.timing is not None:
            self.stop_timing()

    def _timing_toggled(self, on):
        self._timing_wanted = on
        self._keep_timing()

    def _session_changed(self, changes):
        if "project" in changes:
            self._generation += 1
        if "project" in changes and self.comparison is not None:
            self.stop_timing()
            self.comparison = None
            self.view.show_message("The project changed: press Compare to compile it again.")
