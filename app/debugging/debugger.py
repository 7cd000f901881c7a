"""The step debugger: runs one training run in a worker thread and stops it where asked.

Commands (step_op, step_layer, step_out, step_phase, step_iteration, run, pause, stop,
reset) may be called from any thread; none of them waits for the worker. The worker stops by
blocking inside an observer callback (engine.Observer), so a pause can land on any op event,
layer end or phase end. Stopping or resetting mid-iteration raises out of the callback and
abandons the iteration before the optimizer step: the model is never half-updated, and the
abandoned iteration is redone with the same batch.

Node keys stay the same from one iteration to the next: `<scope>/<op>#<k>`, k counting that
op within that scope in one forward ("0/linear#0", "loss/cross_entropy#0"); backward events
carry the key of their forward node; edges from leaves name the parameter ("0.weight"),
"input", "target" or "const" (app/debugging/node_keys.py). When the graph changes between
iterations, `state().new_keys` and `state().absent_keys` say how. The loss is computed inside
`scope("loss")`. Iterations count from 0.

Every command bumps a generation counter; views take compact records with `drain()`
(records of older generations are dropped) and read a consistent `state()` snapshot, node
values and gradients of the current iteration while paused, and the `history`. Callbacks
(`subscribe`) run on the worker thread; the session (app/session.py) hands them to the views.
"""
import numpy as np

from engine import Tensor, observe, scope, tensor
from engine.backend import device_of, to_numpy
from engine.tensor import default_generator

from app.debugging.blame import blame_backward
from app.debugging.breakpoints import Hit, has_non_finite
from app.debugging.eager_statistics import EagerStatistics
from app.debugging.faults import failure_message
from app.debugging.history import History
from app.debugging.statistics import stats_dict, summarize
from app.debugging.node_keys import NodeKeys
from app.debugging.stepping import STEP_HITS, Position, step_target
from app.debugging.interface import LOSS_SCOPE, BaseDebugger, DebuggerState
from app.debugging.recorder import Frame, Recorder, memory_root
from app.debugging.worker_commands import Record, capture_start, restore_start

class _Abort(BaseException):
    """Raised inside the worker to abandon the iteration (stop, reset or close)."""


class Debugger(BaseDebugger):
    """Drives a TrainingRun in a worker thread (see the module docstring)."""

    sees_every_op = True

    def __init__(self, run, history=None, buffer_size=4096):
        super().__init__(buffer_size)
        self.training = run
        self.history = history if history is not None else History()
        self._recorder = Recorder(self)
        self.statistics = EagerStatistics()  # large tensors' rows, on a helper thread
        self._params = list(run.model.parameters())
        self._param_names = {id(p): name for name, p in run.model.named_parameters()}
        self._key_names = {}  # NodeKeys' cache of key strings, shared by iterations
        self._initial = capture_start(run.model, run.optimizer, run.data)
        self._target = None  # predicate over positions where the current step stops
        self._target_hit = None
        self._clear_run()

    # ---- breakpoints --------------------------------------------------------------------
    def set_breakpoints(self, breakpoints):
        """Replace the breakpoints (app.debugging.breakpoints.Breakpoint)."""
        with self._cv:
            self._breakpoints = self._breakpoints.replaced(breakpoints)

    # ---- what the views read (any thread) -----------------------------------------------
    def value(self, key):
        """A host copy of a node's output in the current iteration."""
        return self._tensor_of(key, "values")

    def grad(self, key):
        """A host copy of the gradient reaching a node's output in the current iteration."""
        return self._tensor_of(key, "grads")

    def _tensor_of(self, key, store):
        with self._cv:
            f = self._frame
            a = getattr(f, store).get(key) if f is not None else None
            if a is None:
                what = "value" if store == "values" else "gradient"
                if f is None:
                    raise KeyError(f"no iteration has run yet: no {what} of {key!r}")
                if key in self._absent_keys:
                    raise KeyError(f"node {key!r} is absent from iteration {f.iteration}'s graph")
                raise KeyError(f"no {what} of node {key!r} in iteration {f.iteration} (yet)")
            return np.array(to_numpy(a), copy=True)

    def gradient_keys(self):
        """Keys of the nodes backward has reached so far in the current iteration."""
        with self._cv:
            return list(self._frame.grads) if self._frame is not None else []

    def source_value(self, source):
        """A host copy of an edge's source in the current iteration: a node's value, a
        parameter (by name) or the batch ("input", "target"); None when unknown."""
        with self._cv:
            f = self._frame
            if f is not None and source in f.values:
                return np.array(to_numpy(f.values[source]), copy=True)
            batch = dict(zip(("input", "target"), self._pending_batch or ()))
            params = {self._param_names[id(p)]: p for p in self._params}
            found = batch.get(source, params.get(source))
            return None if found is None else np.array(to_numpy(found.array), copy=True)

    # ---- the worker ---------------------------------------------------------------------
    def _memory_roots(self):
        """ids of the arrays that own the parameters' memory (a view of one is copied)."""
        return {id(memory_root(p.array)) for p in self._params}

    def _free_running(self):
        """True when no command, abort or step target needs this event (read without lock:
        a command set meanwhile is seen at the next event)."""
        return self._command is None and self._abort is None and self._target is None

    def _train(self, command):
        """Run iterations until stopped; True when the debugger is closing."""
        with self._cv:
            self._aim(command, None)
        try:
            while True:
                self._iteration()
        except _Abort as abort:
            self._abandon()
            with self._cv:
                if abort.args[0] == "reset":
                    self._reset_now()
            self._set_stopped()
            return abort.args[0] == "close"
        except Exception as exc:
            self._abandon()
            self._fail(exc)
            return False

    def _iteration(self):
        run = self.training
        if self._pending_batch is None:
            self._pending_batch = self._next_batch()
        x, y = self._pending_batch
        self._generator_state = default_generator().bit_generator.state
        frame = Frame(self._completed, NodeKeys(self._param_names, (x, y), self._key_names,
                                                  self._previous_graph or ()))
        with self._cv:
            self._frame = frame
            self._breakpoints.reset_iteration()
        run.optimizer.zero_grad()
        with observe(self._recorder):
            out = run.model(x)
            with scope(LOSS_SCOPE):
                loss = run.loss_fn(out, y)
            loss_value = float(to_numpy(loss.array))
            self._end_forward(frame, loss, loss_value)
            frame.phase = "backward"
            loss.backward()
            self._end_backward(frame)
        frame.phase = "update"
        run.optimizer.step()  # all or nothing: an error in it changes no weight
        with self._cv:
            frame.done = True
            self._completed += 1
            self._pending_batch = None
            self._losses.append(loss_value)
            self._push("iteration", frame.iteration, loss=loss_value)
            self._end_of_iteration()
        self._emit("iteration_finished", frame.iteration, loss_value)
        if not self._free_running():
            self._reached(Position(frame.iteration, "update", "phase_end"))

    def _next_batch(self):
        if self._batches is None:
            self._batches = self._batch_stream()
        batch = next(self._batches)
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise TypeError(f"the data must yield (x, y) pairs, got {type(batch).__name__}")
        return tuple(b if isinstance(b, Tensor) else tensor(b) for b in batch)

    def _batch_stream(self):
        data = self.training.data
        while True:
            empty = True
            for batch in data:
                empty = False
                yield batch
            if empty:
                raise ValueError("the data yielded no batch (an exhausted iterator cannot start "
                                 "a new epoch: pass a re-iterable loader)")

    def _end_forward(self, frame, loss, loss_value):
        with self._cv:
            nodes = tuple(frame.nodes)
            if nodes != self._previous_graph:
                old = {n.key for n in self._previous_graph or ()}
                new = {n.key for n in nodes}
                self._new_keys = frozenset(new - old) if self._previous_graph else frozenset()
                self._absent_keys = frozenset(old - new)
                self._previous_graph = nodes
                self._push("graph", frame.iteration, nodes=nodes, new_keys=self._new_keys,
                           absent_keys=self._absent_keys)
            found = self._breakpoints.check_loss(loss_value, self._losses)
        self._record(frame, "value")
        if found is not None or not self._free_running():
            creator = loss.creator
            self._reached(Position(frame.iteration, "forward", "phase_end",
                                   frame.keys.key(creator) if creator else None,
                                   creator.op if creator else None, LOSS_SCOPE), found)

    def _end_backward(self, frame):
        self._record(frame, "grad")
        bps = self._breakpoints
        names = [self._param_names[id(p)] for p in self._params if p.grad is not None]
        grads = [p.grad.array for p in self._params if p.grad is not None]
        found = (bps.check_parameter_grads(grads, names)
                 if bps.global_grad_norms or bps.non_finite else None)
        if found is not None or not self._free_running():
            receiver = next((n for n, g in zip(names, grads) if has_non_finite(g)), None) \
                if found is not None and found[0] == "non_finite" else None
            self._reached(Position(frame.iteration, "backward", "phase_end", frame.last_key),
                          found, receiver=receiver)

    def _record(self, frame, kind):
        """The values or gradients into the history, and statistics into the records: for
        this phase when stepping, for the newest iteration of each batch when running."""
        store = frame.values if kind == "value" else frame.grads
        self.statistics.drain()
        flushed = self.history.record(frame.iteration, kind, tuple(store), list(store.values()),
                                      flush=not self._free_running(), known=frame.known[kind])
        for iteration, phase_kind, keys, stats in flushed:
            self._records.append(Record(phase_kind, self._generation, iteration,
                                        dict(keys=list(keys), stats=stats)))

    def _reached(self, pos, found=None, array=None, inputs=(), receiver=None):
        """A stop point: stop here if a breakpoint hit (`found`), a pause or the step target
        says so, then block until the next command. A non-finite gradient is blamed on the
        op whose backward made it (the hit's key), not on `receiver` (default: pos.key)."""
        details = (self._details(found, array, inputs, pos, receiver or pos.key)
                   if found is not None else {})
        with self._cv:
            if self._abort is not None:
                raise _Abort(self._abort)
            pause = self._command is not None and self._adopt(pos)
            if found is not None:
                hit = Hit(found[0], details.pop("blamed", pos.key), pos.phase, pos.iteration,
                          details.pop("message", found[1]), details)
            elif pause:
                hit = Hit("pause", pos.key, pos.phase, pos.iteration, f"paused at {_where(pos)}")
            elif self._target is not None and self._target(pos):
                hit = Hit(self._target_hit, pos.key, pos.phase, pos.iteration,
                          f"{self._target_hit.replace('_', ' ')}: {_where(pos)}")
            else:
                return
            self._status, self._position, self._last_hit = "paused", pos, hit
            self._target = None
            self._push("stopped", pos.iteration, hit=hit, position=pos)
            state = self._state_unlocked()
            self._cv.notify_all()
        self._emit("stopped", hit)
        self._emit("state_changed", state)
        with self._cv:
            while True:
                self._cv.wait_for(lambda: self._command is not None or self._abort is not None)
                if self._abort is not None:
                    raise _Abort(self._abort)
                if not self._adopt(pos):
                    break
            self._status = "running"
            state = self._state_unlocked()
        self._emit("state_changed", state)

    def _adopt(self, pos):
        """Take the pending command as the target relative to `pos`; True for a pause."""
        command, self._command = self._command, None
        return self._aim(command, pos)

    def _aim(self, command, pos):
        """Take `command` as the target relative to `pos`; True for a pause."""
        if command == "pause":
            return True
        if command == "run":
            self._target = None
        else:
            f = self._frame
            opened = tuple(f.open_modules) if f is not None and pos is not None else ()
            self._target = step_target(command, pos, opened, f.left_in if f else None)
            self._target_hit = STEP_HITS[command]
        return False

    def _details(self, found, array, inputs, pos, receiver):
        """Statistics that explain a hit: the tensor's, and its node's inputs' for NaN blame
        (in backward: the blamed op's inputs and incoming gradient, app/debugging/blame.py)."""
        details = {"stats": stats_dict(summarize([array])[0])} if array is not None else {}
        if found[0] == "non_finite" and pos.phase == "backward":
            key, message, blame = blame_backward(self._frame.nodes, receiver, self._frame.grads,
                                                 self.source_value)
            details.update(blame, blamed=key, message=f"iteration {pos.iteration}: {message}")
        elif array is not None and found[0] == "non_finite" and inputs:
            rows = summarize([t.array for t in inputs])
            source = self._frame.keys.source
            details["inputs"] = [dict(key=source(t), shape=tuple(t.shape), **stats_dict(r))
                                 for t, r in zip(inputs, rows)]
        return details

    def _abandon(self):
        """Forget an unfinished iteration; its batch and random state are used again."""
        with self._cv:
            f = self._frame
            if f is not None and not f.done:
                self.history.discard(f.iteration)
                default_generator().bit_generator.state = self._generator_state

    def _set_stopped(self):
        with self._cv:
            self._status, self._abort, self._target = "stopped", None, None
            state = self._state_unlocked()
            self._cv.notify_all()
        self._emit("state_changed", state)

    def _fail(self, exc):
        message = failure_message(exc, device_of(self._params[0].array) if self._params else "cpu")
        with self._cv:
            f = self._frame
            pos = self._position
            self._error = message
            self._last_hit = Hit("error", f.last_key if f else None, f.phase if f else None,
                                 f.iteration if f else self._completed, message)
            self._push("stopped", self._last_hit.iteration, hit=self._last_hit, position=pos)
        self._set_stopped()
        self._emit("error", message)
        self._emit("stopped", self._last_hit)

    # ---- helpers (called with the lock held unless said otherwise) ----------------------
    def _state_unlocked(self):
        f = self._frame
        return DebuggerState(
            self._generation, self._status, f.iteration if f and not f.done else self._completed,
            self._completed, self._position, self._last_hit,
            self._losses[-1] if self._losses else None, tuple(f.nodes) if f else (),
            self._new_keys, self._absent_keys, self._error)

    def _clear_run(self):
        self._completed = 0
        self._losses = []
        self._frame = None
        self._position = None
        self._last_hit = None
        self._error = None
        self._batches = None
        self._pending_batch = None
        self._generator_state = None
        self._previous_graph = None
        self._new_keys = self._absent_keys = frozenset()

    def _reset_now(self):
        restore_start(self._initial, self.training.model, self.training.optimizer)
        self.history.clear()
        self._clear_run()


def _where(pos):
    if pos.event == "phase_end":
        return f"end of {pos.phase} (iteration {pos.iteration})"
    if pos.event == "layer_end":
        layer = f"layer '{pos.scope}'" if pos.scope else "the model"
        return f"end of {layer} forward (iteration {pos.iteration})"
    done = f", end of layer '{pos.layer_done}' backward" if pos.layer_done is not None else ""
    return f"{pos.key} {pos.phase}{done} (iteration {pos.iteration})"
