"""What the two debuggers (dynamic: app/debugging/debugger.py, static:
app/debugging/static_debugger.py) share: the commands any thread may send to the training
worker, the subscribers, the records the views drain, and the snapshot of a run's start that
Reset returns to. What the session reads of them is declared in app/debugging/interface.py.

The worker thread's loop is here too (`_worker`: wait for a command, hand it to `_train`);
a subclass provides `_train(command)` (train until the command is done or a breakpoint
stops it; True when closing), `_fail(exc)`, `_reset_now()` and `_state_unlocked()` (both
called with the lock held)."""
import copy
import threading
from collections import deque
from typing import NamedTuple

import numpy as np

from engine.tensor import default_generator

from app.debugging.breakpoints import BreakpointSet


class Record(NamedTuple):
    """A compact record for the views: kind "value"/"grad" (keys, stats), "graph" (nodes,
    new_keys, absent_keys), "iteration" (loss) or "stopped" (hit, position)."""

    kind: str
    generation: int
    iteration: int
    data: dict


class WorkerCommands:
    """Commands (step_op, step_layer, step_out, step_phase, step_iteration, run, pause, stop,
    reset, close) may be called from any thread; none waits for the worker. Every command
    bumps the generation: `drain()` drops the records of older ones."""

    thread_name = "stepgraph-debugger"

    def __init__(self, buffer_size=4096):
        self._cv = threading.Condition()
        self._records = deque(maxlen=buffer_size)
        self._listeners = {"stopped": [], "state_changed": [], "iteration_finished": [],
                           "error": []}
        self._breakpoints = BreakpointSet()
        self._thread = None
        self._generation = 0
        self._status = "stopped"
        self._command = None  # a step mode, "run" or "pause", for the worker to adopt
        self._abort = None  # "stop", "reset" or "close"
        self._boundary_calls = []  # _BoundaryCalls waiting for the end of an iteration

    # ---- commands (any thread) ----------------------------------------------------------
    def step_op(self):
        """Step to the next op event (forward or backward)."""
        self._send("op")

    def step_layer(self):
        """Step to the end of the current layer's forward or backward."""
        self._send("layer")

    def step_out(self):
        """Step out to the end of the enclosing layer."""
        self._send("out")

    def step_phase(self):
        """Step to the end of forward, backward or the update."""
        self._send("phase")

    def step_iteration(self):
        """Step to the end of the iteration (its update done)."""
        self._send("iteration")

    def run(self):
        """Run until a breakpoint (or a pause)."""
        self._send("run")

    def pause(self):
        """Pause at the next stop point."""
        self._send("pause")

    def stop(self):
        """Abandon the iteration in progress before its update: the weights stay as the last
        update left them."""
        self._send("stop")

    def reset(self):
        """Stop, then restore the initial weights, optimizer state and data order."""
        self._send("reset")

    def close(self, timeout=5.0):
        """Stop and end the worker thread."""
        self._send("close")
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def wait(self, timeout=5.0):
        """Block until the worker is paused or stopped with no command pending; False when
        `timeout` seconds passed first."""
        with self._cv:
            return self._cv.wait_for(lambda: self._command is None and self._abort is None
                                     and self._status != "running", timeout)

    def _send(self, command):
        with self._cv:
            self._generation += 1
            idle = self._status == "stopped"
            if command in ("stop", "reset", "close"):
                self._command = None
                if idle and command == "reset":
                    self._reset_now()
                elif command == "close" or not idle:
                    self._abort = command
            elif command == "pause" and idle:
                self._command = None
            else:
                self._command = command
                if idle and (self._thread is None or not self._thread.is_alive()):
                    self._thread = threading.Thread(target=self._worker, daemon=True,
                                                    name=self.thread_name)
                    self._thread.start()
            self._cv.notify_all()

    # ---- the worker thread --------------------------------------------------------------
    def _worker(self):
        try:
            while True:
                with self._cv:
                    self._cv.wait_for(lambda: self._command is not None or self._abort is not None)
                    if self._abort == "close":
                        self._abort = None
                        return
                    command = None
                    if self._abort is not None:
                        self._handle_abort()
                    else:
                        command, self._command = self._command, None
                        if command != "pause":  # a pause here: already paused or stopped
                            self._status, self._error = "running", None
                    state = self._state_unlocked()
                    self._cv.notify_all()
                self._emit("state_changed", state)
                if command not in (None, "pause") and self._train(command):
                    return
        except BaseException as exc:  # the worker never dies silently
            self._fail(exc)

    def _handle_abort(self):
        """Stop (or reset) now; called with the lock held."""
        if self._abort == "reset":
            self._reset_now()
        self._status, self._abort = "stopped", None

    # ---- what the views read (any thread) -----------------------------------------------
    def between_updates(self, fn, timeout=2.0):
        """fn()'s result, called where no update is under way: now when the worker is not
        running (it is blocked: paused, stopped or idle), else by the worker at the end of
        its current iteration. Weights read this way are never half-updated. Raises
        TimeoutError when no iteration ended within `timeout` seconds."""
        with self._cv:
            if self._status != "running" or threading.current_thread() is self._thread:
                return fn()
            call = _BoundaryCall(fn)
            self._boundary_calls.append(call)
            ended = self._cv.wait_for(lambda: call.done or self._status != "running", timeout)
            if not call.done:
                self._boundary_calls.remove(call)
                if not ended:
                    raise TimeoutError(f"the training worker finished no iteration within "
                                       f"{timeout:g} s: pause it and try again")
                return fn()  # the worker stopped or paused meanwhile
        return call.result()

    def breakpoints(self):
        """The breakpoints set."""
        with self._cv:
            return list(self._breakpoints.items)

    def hit_counts(self):
        """How often each breakpoint's condition held ({Breakpoint.counter: n})."""
        with self._cv:
            return dict(self._breakpoints.counts)

    def reset_hit_counts(self):
        """Forget how often the breakpoints' conditions held."""
        with self._cv:
            self._breakpoints.counts = {}

    def subscribe(self, stopped=None, state_changed=None, iteration_finished=None, error=None):
        """Callbacks, run on the worker thread: stopped(hit), state_changed(state),
        iteration_finished(iteration, loss), error(message)."""
        for name, fn in (("stopped", stopped), ("state_changed", state_changed),
                         ("iteration_finished", iteration_finished), ("error", error)):
            if fn is not None:
                self._listeners[name].append(fn)

    def state(self):
        """A consistent snapshot (DebuggerState)."""
        with self._cv:
            return self._state_unlocked()

    def drain(self, limit=None):
        """The records appended since the last drain (current generation only), oldest first."""
        with self._cv:
            batch = list(self._records) if limit is None else [
                self._records.popleft() for _ in range(min(limit, len(self._records)))]
            if limit is None:
                self._records.clear()
            generation = self._generation
        return [r for r in batch if r.generation == generation]

    # ---- helpers (called with the lock held unless said otherwise) ----------------------
    def _push(self, kind, iteration, **data):
        self._records.append(Record(kind, self._generation, iteration, data))

    def _end_of_iteration(self):
        """Serve the between_updates calls waiting for an iteration boundary (lock held)."""
        if self._boundary_calls:
            for call in self._boundary_calls:
                call.run()
            self._boundary_calls.clear()
            self._cv.notify_all()

    def _emit(self, name, *args):
        for fn in self._listeners[name]:
            fn(*args)


class _BoundaryCall:
    """A function to call on the worker at an iteration boundary, and its outcome."""

    def __init__(self, fn):
        self.fn = fn
        self.done = False
        self._outcome = None

    def run(self):
        try:
            self._outcome = (self.fn(), None)
        except Exception as exc:  # noqa: BLE001 - raised again on the caller's thread
            self._outcome = (None, exc)
        self.done = True

    def result(self):
        value, error = self._outcome
        if error is not None:
            raise error
        return value


def capture_start(model, optimizer, data):
    """What Reset returns to: weights, optimizer state, the engine's random state and the
    random generators of the data loader."""
    loader_rngs = [v for v in getattr(data, "__dict__", {}).values()
                   if isinstance(v, np.random.Generator)]
    return dict(weights=model.state_dict(), optimizer=copy.deepcopy(optimizer.state),
                steps=optimizer.step_count, rng=default_generator().bit_generator.state,
                loader_rngs=[(g, g.bit_generator.state) for g in loader_rngs])


def restore_start(start, model, optimizer):
    """Return to what `capture_start` captured (Reset)."""
    model.load_state_dict(start["weights"])
    optimizer.state = copy.deepcopy(start["optimizer"])
    optimizer.step_count = start["steps"]
    optimizer.zero_grad()
    default_generator().bit_generator.state = start["rng"]
    for generator, state in start["loader_rngs"]:
        generator.bit_generator.state = state
