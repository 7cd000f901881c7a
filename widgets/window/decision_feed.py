"""Feeds a DecisionView from a Session: `DecisionFeed(session, view)` is the whole wiring.

Where the surface is computed (the model must never run on the UI thread while the worker
trains it):
- while training runs, in the debugger's worker, from its `iteration_finished` hook, at most
  `max_fps` times a second: the optimizer step is done, nothing else touches the model, and
  the model is used in place (no copy of the weights; Session.on_iteration_finished). A
  2-layer MLP on an 80x80 grid costs a few milliseconds, so training barely slows down;
- when the worker is idle (a new project, a reset, a pause or a stop; checked with
  `Session.is_idle()`, and only the UI thread sends commands), on the UI thread, once per
  debugger state. A pause lands only between updates, so the surface is always that of the
  weights of the last completed iteration.
Results reach the view on the UI thread, from the session's notifications (its pump).
"""
import threading
import time

from app.project.script_model import ScriptError


class DecisionFeed:
    """`view` needs `show_surface(surface, iteration)` and `show_message(text)`."""

    def __init__(self, session, view, max_fps=5, resolution=80):
        self.session = session
        self.view = view
        self.resolution = resolution
        self.min_interval = 1.0 / max_fps
        self._lock = threading.Lock()
        self._pending = None  # (run id, surface, iteration) from the worker
        self._shown = None  # (run id, generation, completed) last computed when idle
        self._active = False  # the open project can have a surface (2-D inputs, builds)
        self._run = None  # the session's run_id `_active` was decided for
        self._hooked = None  # the run_id whose worker computes surfaces
        session.subscribe(self._changed)
        self._changed({"project"})

    def _changed(self, changes):
        session = self.session
        # a listener notified before this one may cause a nested notification (e.g. a
        # selection) in which the new project is already in place but "project" not yet seen
        new_run = "project" in changes or session.run_id != self._run
        if new_run:
            self._run = session.run_id
            self._shown = None
            blocker = session.surface_blocker()
            self._active = not blocker
            if blocker:
                self.view.show_message(blocker)
            elif self._hooked != session.run_id:
                self._hooked = session.run_id
                session.on_iteration_finished(self._worker_hook(session.run_id))
        if not self._active:
            return
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is not None and pending[0] == session.run_id:
            self.view.show_surface(pending[1], pending[2])
        if session.is_idle() and session.state is not None:
            state = session.state
            key = (session.run_id, state.generation, state.completed)
            if key != self._shown:
                self._shown = key
                with self._lock:
                    self._pending = None  # the worker is idle: what it left is not newer
                try:
                    self.view.show_surface(session.decision_surface(self.resolution),
                                           state.completed)
                except ScriptError as exc:  # a script's forward that fails on the grid
                    self.view.show_message(f"no decision surface: {exc}")

    def _worker_hook(self, run_id):
        last = [0.0]

        def on_iteration(iteration, loss):  # the worker thread, after the optimizer step
            now = time.perf_counter()
            if now - last[0] < self.min_interval:
                return
            last[0] = now
            try:
                surface = self.session.decision_surface(self.resolution)
            except ScriptError:  # shown by the next idle recompute; training goes on
                return
            with self._lock:
                self._pending = (run_id, surface, iteration + 1)
        return on_iteration
