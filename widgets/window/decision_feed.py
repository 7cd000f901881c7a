"""Feeds a DecisionView from a Session: `DecisionFeed(session, view)` is the whole wiring.

Where the surface is computed (the model must never run on the UI thread while the worker
trains it):
- while training runs, in the debugger's worker, from its `iteration_finished` hook, at most
  `max_fps` times a second: the optimizer step is done, nothing else touches the model, and
  the model is used in place (no copy of the weights). A 2-layer MLP on an 80x80 grid costs a
  few milliseconds, so training barely slows down;
- when the worker is idle (a new project, a reset, a pause or a stop; checked with
  `debugger.wait(0)`, and only the UI thread sends commands), on the UI thread, once per
  debugger state. A pause lands only between updates, so the surface is always that of the
  weights of the last completed iteration.
Results reach the view on the UI thread, from the session's notifications (its pump).
"""
import threading
import time

from app.teaching.decision_surface import NotPlanar, compute_surface, planar_problem
from app.project.script_model import ScriptError


class DecisionFeed:
    """`view` needs `show_surface(surface, iteration)` and `show_message(text)`."""

    def __init__(self, session, view, max_fps=5, resolution=80):
        self.session = session
        self.view = view
        self.resolution = resolution
        self.min_interval = 1.0 / max_fps
        self._lock = threading.Lock()
        self._pending = None  # (debugger, surface, iteration) from the worker
        self._hooked = None  # the debugger whose worker computes surfaces
        self._shown = None  # (debugger id, generation, completed) last computed when idle
        self._active = False  # the open project can have a surface (2-D inputs, builds)
        self._checked = None  # the BuiltProject `_active` was decided for
        session.subscribe(self._changed)
        self._changed({"project"})

    def _changed(self, changes):
        session, debugger = self.session, self.session.debugger
        # a listener notified before this one may cause a nested notification (e.g. a
        # selection) in which the new project is already in place but "project" not yet seen
        new_project = "project" in changes or session.built is not self._checked
        if new_project:
            self._checked = session.built
            self._shown = None
            self._active = not self._blocked_by_project()
        if not self._active:
            return
        if new_project:
            if debugger is not self._hooked:
                self._hooked = debugger
                debugger.subscribe(iteration_finished=self._worker_hook(debugger))
        if debugger is None or session.built is None:
            return
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is not None and pending[0] is debugger:
            self.view.show_surface(pending[1], pending[2])
        if debugger.wait(0):
            state = debugger.state()
            key = (id(debugger), state.generation, state.completed)
            if key != self._shown:
                self._shown = key
                with self._lock:
                    self._pending = None  # the worker is idle: what it left is not newer
                try:
                    self.view.show_surface(self._compute(), state.completed)
                except ScriptError as exc:  # a script's forward that fails on the grid
                    self.view.show_message(f"no decision surface: {exc}")

    def _blocked_by_project(self):
        """Show why there is no surface (True), or nothing when there can be one (False)."""
        session = self.session
        if session.project is None:
            self.view.show_message("no project is open")
            return True
        if session.built is None or session.debugger is None:
            self.view.show_message(f"the network does not build: {session.build_error}")
            return True
        try:
            planar_problem(session.built.train_set)
        except NotPlanar as exc:
            self.view.show_message(str(exc))
            return True
        return False

    def _compute(self):
        return compute_surface(self.session.built, self.session.project.train.loss,
                               self.resolution)

    def _worker_hook(self, debugger):
        built, loss_name = self.session.built, self.session.project.train.loss
        last = [0.0]

        def on_iteration(iteration, loss):  # the worker thread, after the optimizer step
            now = time.perf_counter()
            if now - last[0] < self.min_interval:
                return
            last[0] = now
            try:
                surface = compute_surface(built, loss_name, self.resolution)
            except ScriptError:  # shown by the next idle recompute; training goes on
                return
            with self._lock:
                self._pending = (debugger, surface, iteration + 1)
        return on_iteration
