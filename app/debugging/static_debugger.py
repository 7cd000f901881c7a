"""The debugger of static mode: the same public face as app.debugging.debugger.Debugger, over a
project compiled by app.debugging.static_build.

A compiled graph runs as one `Session.run` per training iteration: there is no op, layer or
phase to stop at inside it, so every step command runs exactly one whole iteration (the hit
says so), and Run runs iterations in a worker thread until a pause, a stop or a breakpoint.
Breakpoints that a whole iteration can check still work: iteration n (before it runs), a
non-finite loss or fetched tensor, and a loss spike (both after the step, its update
included); node, layer, gradient-norm and dead-ReLU breakpoints are listed as not available.

Only fetched tensors have values: the loss and the keys of `fetch_keys` (node keys of the
compiled graph, see app.debugging.static_build); `value(key)` of any other node raises a
KeyError that says to add it to the fetch list, and `set_fetches(keys)` recompiles (between
iterations). `state().graph` is the compiled graph. Reset restores the initial weights,
optimizer state and batch order, as Debugger.reset does.
"""
import numpy as np

from app.debugging.breakpoints import Hit
from app.debugging.faults import failure_message
from app.debugging.history import History
from app.debugging.interface import BaseDebugger, DebuggerState
from app.debugging.static_build import compile_project
from app.debugging.stepping import STEP_HITS, Position
from app.debugging.worker_commands import capture_start, restore_start

_UNAVAILABLE_KINDS = ("node", "layer", "grad_norm", "dead_relu")


def not_fetched_message(key):
    """Why static mode shows no value of `key`: it is not fetched."""
    return (f"static mode: only fetched tensors can be inspected; add {key} to the fetch "
            "list")


class StaticDebugger(BaseDebugger):
    """See the module docstring. Raises app.project.build.BuildError when the project cannot be
    compiled (naming the layer)."""

    thread_name = "stepgraph-static-debugger"
    fetches = True

    def __init__(self, built, project, history=None, buffer_size=4096, fetch_keys=()):
        super().__init__(buffer_size)
        self.built = built
        self.project = project
        self.build = compile_project(built, project.train, tuple(fetch_keys))
        self.history = history if history is not None else History()
        self.unavailable_breakpoints = ()
        self._graph = self.build.graph_nodes("compiled")
        self._initial = capture_start(built.model, built.optimizer, built.data)
        self._clear_run()

    @property
    def fetch_keys(self):
        """The node keys fetched each step (besides the loss)."""
        return self.build.fetch_keys

    @property
    def loss_key(self):
        """The compiled graph's key of the loss."""
        return self.build.loss_key

    def stop(self):
        """Stop after the iteration in progress (a Session.run is never cut in two)."""
        self._send("stop")

    # ---- breakpoints and fetches --------------------------------------------------------
    def set_breakpoints(self, breakpoints):
        """Set the breakpoints; those a compiled iteration cannot check are kept apart in
        `unavailable_breakpoints` (and named in the next hit)."""
        breakpoints = list(breakpoints)
        with self._cv:
            self.unavailable_breakpoints = tuple(b for b in breakpoints
                                                 if b.kind in _UNAVAILABLE_KINDS)
            self._breakpoints = self._breakpoints.replaced(
                [b for b in breakpoints if b.kind not in _UNAVAILABLE_KINDS])

    def fetch_plan(self):
        """The current compiled build (app.debugging.static_build.StaticBuild)."""
        return self.build

    def set_fetches(self, keys):
        """Recompile fetching `keys` each step (between two iterations); the new build
        (its `recompile_seconds` and `peak_bytes_change` say what it cost)."""
        build = self.build.with_fetches(keys)
        with self._cv:
            self.build = build
            self._graph = build.graph_nodes("compiled")
            self._push("graph", self._completed, nodes=self._graph, new_keys=frozenset(),
                       absent_keys=frozenset())
        return build

    # ---- what the views read (any thread) -----------------------------------------------
    def value(self, key):
        """A host copy of a fetched tensor (or the loss) of the last iteration."""
        with self._cv:
            array = self._values.get(key)
            if array is None:
                raise KeyError(self._missing_unlocked(key))
            return np.array(array, copy=True)

    def grad(self, key):
        """Gradients are nodes of the compiled graph of their own ("..._grad",
        "grad_select"): fetch those; a forward node has none to read here."""
        raise KeyError(not_fetched_message(key) + " (gradients: fetch their grad_select "
                       "nodes of the compiled graph)")

    def missing_message(self, key):
        """Why `key` has no value now."""
        with self._cv:
            return self._missing_unlocked(key)

    def _missing_unlocked(self, key):
        if key == self.build.loss_key or key in self.build.fetch_keys:
            return f"no iteration has run yet: no value of {key!r}"
        return not_fetched_message(key)

    # ---- the worker ---------------------------------------------------------------------
    def _train(self, command):
        """Iterations until the command's stop; True when the debugger is closing."""
        while True:
            with self._cv:
                if self._abort is not None:
                    closing = self._abort == "close"
                    self._handle_abort()
                    state = self._state_unlocked()
                    self._cv.notify_all()
                    break
                pending, self._command = self._command, None
                if pending == "pause":
                    hit = Hit("pause", None, "forward", self._completed,
                              f"paused before iteration {self._completed}")
                    return self._pause(hit, Position(self._completed, "forward", "op"))
                command = pending or command
                it = self._completed
                begins = None
                if self._iteration_hit != it:
                    self._iteration_hit = it
                    self._breakpoints.reset_iteration()
                    begins = self._breakpoints.check_iteration(it)
            if begins:
                hit = Hit(begins[0], None, "forward", it, begins[1])
                return self._pause(hit, Position(it, "forward", "op"))
            try:
                loss = self._iteration()
            except Exception as exc:
                self._fail(exc)
                return False
            found = self._check(it, loss)
            if found is not None or command != "run":
                kind, message = found or (STEP_HITS[command], self._step_message(command, it))
                return self._pause(Hit(kind, self.build.loss_key, "update", it, message),
                                   Position(it, "update", "phase_end", self.build.loss_key))
        self._emit("state_changed", state)
        return closing

    def _iteration(self):
        """One Session.run on the next batch; the loss."""
        if self._pending_batch is None:
            self._pending_batch = self._next_batch()
        x, y = self._pending_batch
        it = self._completed
        build = self.build
        loss = build.step(getattr(x, "array", x), getattr(y, "array", y))
        values = {build.loss_key: np.asarray(loss, np.float32)}
        values.update(build.fetched)
        flushed = self.history.record(it, "value", list(values), list(values.values()),
                                      flush=True)
        with self._cv:
            self._values = values
            self._completed += 1
            self._pending_batch = None
            self._losses.append(loss)
            self._push("iteration", it, loss=loss)
            for iteration, _, keys, stats in flushed:
                self._push("value", iteration, keys=list(keys), stats=stats)
            self._end_of_iteration()
        self._emit("iteration_finished", it, loss)
        return loss

    def _check(self, it, loss):
        """(kind, message) of a breakpoint the finished iteration hits, or None."""
        bps = self._breakpoints
        if bps.non_finite:
            bad = [k for k, a in self._values.items() if not np.all(np.isfinite(a))]
            found = bad and bps.check_non_finite(
                f"non-finite value in iteration {it}: {', '.join(bad)} (static mode: the whole "
                "step ran, its update included)")
            if found:
                return found
        return bps.check_loss(loss, self._losses[:-1])

    def _step_message(self, command, it):
        text = (f"iteration {it} ran as one Session.run: a compiled graph has no "
                f"{'op' if command == 'op' else command} to stop at inside it"
                if command != "iteration" else f"iteration {it} ran as one Session.run")
        if self.unavailable_breakpoints:
            names = ", ".join(f"{b.kind} {b.target}" if b.target else b.kind
                              for b in self.unavailable_breakpoints)
            text += f"; not available in static mode: {names}"
        return text

    def _next_batch(self):
        if self._batches is None:
            self._batches = self._batch_stream()
        return next(self._batches)

    def _batch_stream(self):
        while True:
            empty = True
            for batch in self.built.data:
                empty = False
                yield batch
            if empty:
                raise ValueError("the data yielded no batch")

    def _pause(self, hit, pos):
        """Pause at `pos` with `hit` (worker thread, lock not held); False (not closing)."""
        with self._cv:
            self._status, self._position, self._last_hit = "paused", pos, hit
            self._push("stopped", pos.iteration, hit=hit, position=pos)
            state = self._state_unlocked()
            self._cv.notify_all()
        self._emit("stopped", hit)
        self._emit("state_changed", state)
        return False

    def _fail(self, exc):
        message = failure_message(exc, self.built.device)
        with self._cv:
            self._error = message
            self._last_hit = Hit("error", None, None, self._completed, message)
            self._push("stopped", self._completed, hit=self._last_hit, position=self._position)
            self._status, self._abort = "stopped", None
            state = self._state_unlocked()
            self._cv.notify_all()
        self._emit("state_changed", state)
        self._emit("error", message)
        self._emit("stopped", self._last_hit)

    # ---- helpers (called with the lock held) --------------------------------------------
    def _state_unlocked(self):
        return DebuggerState(
            self._generation, self._status, self._completed, self._completed, self._position,
            self._last_hit, self._losses[-1] if self._losses else None, self._graph,
            frozenset(), frozenset(), self._error)

    def _clear_run(self):
        self._completed = 0
        self._losses = []
        self._values = {}
        self._position = None
        self._last_hit = None
        self._error = None
        self._batches = None
        self._pending_batch = None
        self._iteration_hit = None
        self._push("graph", 0, nodes=self._graph, new_keys=frozenset(), absent_keys=frozenset())

    def _reset_now(self):
        restore_start(self._initial, self.built.model, self.built.optimizer)
        self.history.clear()
        self._clear_run()
