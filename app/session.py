"""What the views show, and the one object widgets read: the project and its validation
report, the built run and its debugger, the latest debugger state, the graph, the selected
node, per-node statistics, loss/accuracy curves and breakpoint hits.

Headless (no Qt): the main window calls `pump()` from a UI timer (~30 Hz); it drains the
debugger's records in batches (records of older generations are already dropped by the
debugger) and tells subscribers what changed. Widgets send intents back through the
methods (step, run, pause, reset, toggle_breakpoint, select). Training never runs on the
caller's thread: the debugger's worker does it.
"""
import copy
import threading
import time
from collections import deque

import numpy as np

import engine as sg
from engine.backend import cuda_status

from app.debugging.breakpoints import Breakpoint, Hit
from app.project.build import BuildError, build
from app.debugging.breakpoints import make_breakpoints
from app.debugging.debugger import Debugger
from app.debugging.faults import current_fault, failure_message
from app.debugging.history import STAT_NAMES, NotKept, stats_dict
from app.project import ProjectError, load_weights, validate, weights_path
from app.project.script_model import ScriptError
from app.debugging.static_debugger import StaticDebugger

STEP_COMMANDS = ("op", "layer", "out", "phase", "iteration")
ACCURACY_EVERY = 10  # iterations between two test-accuracy evaluations
TIMING_WINDOW = 20  # iterations averaged for the time per step
HISTORY_EVERY_S = 0.25  # while running, the recorded iterations are announced at most this often


def gpu_status():
    """(available, reason shown when it is not)."""
    available, reason = cuda_status()
    return available, "" if available else (reason or "no CUDA device")


def _kib(nbytes):
    return f"{nbytes / 1024:.1f} KiB"


def test_accuracy(built, loss_name):
    """Accuracy of the model on the test split (classification losses), else None."""
    test = built.test_set
    if loss_name not in ("CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss") or not len(test):
        return None
    model = built.model
    was_training = model.training
    model.eval()
    try:
        with sg.no_grad():
            out = model(sg.tensor(test.X, device=built.device)).numpy()
    finally:
        model.train(was_training)
    y = np.asarray(test.y)
    if loss_name == "CrossEntropyLoss":
        predicted = out.argmax(axis=-1)
    else:
        predicted = (out > (0.0 if loss_name == "BCEWithLogitsLoss" else 0.5)).astype(y.dtype)
    if predicted.size != y.size:
        return None
    return float(np.mean(predicted.reshape(y.shape) == y))


class Session:
    """See the module docstring. `subscribe(fn)`: fn(changes) with changes a set among
    "project", "state", "graph", "stats", "curves", "hits", "selection", "breakpoints",
    "history" (the recorded iterations; throttled while running) and "viewed" (an older
    iteration is shown from the history, or live again)."""

    def __init__(self):
        self.project = None
        self.path = None  # the file the project was opened from or saved to
        self.report = None
        self.built = None
        self._weights_from = None  # the project file whose weights the next build loads
        self.weights_error = None
        self.build_error = None  # message when the project does not build
        self.script_error = None  # ScriptError of a script project's last build, if it failed
        self.debugger = None
        self.state = None
        self.graph = ()
        self.selected = None  # a node key, or a layer scope ("0", "1", ...)
        self.stats = {}  # node key -> {"value": {stat: x}, "grad": {stat: x}}
        self.latest_stats = {}  # "value"/"grad" -> (keys, rows) of the latest record
        self.losses = []  # (iteration, loss)
        self.accuracies = []  # (iteration, test accuracy)
        self.hits = []  # Hits in order
        self.breakpoint_targets = set()  # nodes and layers toggled with F9
        self.seconds_per_iteration = None  # while running: mean over the last iterations
        self.seconds_per_step = None  # the last command, from sending it to the stop
        self.viewed = None  # an older recorded iteration shown from the history; None: live
        self._history_at = 0.0  # when "history" was last announced
        self._sent_at = None
        self._listeners = []
        self._worker_lock = threading.Lock()
        self._worker_accuracies = deque()
        self._worker_losses = deque()
        self._worker_hits = deque()
        self._finish_times = deque(maxlen=TIMING_WINDOW + 1)

    # ---- subscribers -----------------------------------------------------------------------
    def subscribe(self, fn):
        self._listeners.append(fn)

    def _notify(self, changes):
        if changes:
            for fn in list(self._listeners):
                fn(set(changes))

    # ---- the project -----------------------------------------------------------------------
    def set_project(self, project, path=None, keep_path=False, weights_from=None):
        """Show `project` (a copy is kept): validate it and, when valid, build a fresh run (a
        script project is built on the first Run/Step instead: its script is user code).
        `weights_from`: the project file whose weights (.npz beside it, saved with it) are
        loaded into the built model, when there are any: the run starts from them and Reset
        returns to them; weights that do not fit leave the fresh ones, `weights_error` says why."""
        self.project = copy.deepcopy(project)
        if not keep_path:
            self.path = path
        self._weights_from, self.weights_error = weights_from, None
        self.report = validate(self.project)
        self._close_debugger()
        self._clear_run()
        self.built, self.build_error, self.script_error = None, None, None
        if self.report.ok and not self._script_waits():
            try:
                self.built = build(self.project)
            except (BuildError, ValueError, RuntimeError, MemoryError) as exc:
                self.build_error = (failure_message(exc, self.project.train.device, True)
                                    if isinstance(exc, MemoryError) else str(exc))
        elif self.report.errors:
            self.build_error = self.report.errors[0].message
        else:
            self.build_error = "a script is built on the first Run or Step"
        self._load_weights()
        self._start_debugger()
        self._notify({"project", "state", "graph", "curves", "hits", "stats", "selection",
                      "breakpoints", "history", "viewed"})

    def _script_waits(self):
        """A script project whose script has not run: it runs on the first Run/Step
        (_run_script), never when a project is set or loaded."""
        return bool(self.project.network.script) and self.report.ok and self.debugger is None

    def _run_script(self):
        """Build the script project now that the user asked to run it; False (with
        `script_error` set and an error hit) when the script fails."""
        try:
            self.built = build(self.project)
        except (ScriptError, BuildError, ValueError, RuntimeError, MemoryError) as exc:
            self.script_error = exc if isinstance(exc, ScriptError) else ScriptError(str(exc))
            self.build_error = f"the script failed: {self.script_error}"
            self.hits.append(Hit("error", None, None, 0, f"script: {self.script_error}"))
            self._notify({"hits"})
            return False
        self.script_error = self.build_error = None
        self._load_weights()
        self._start_debugger()
        if self.debugger is None:  # static mode could not compile the script's model
            self.script_error = ScriptError(self.build_error)
            self.hits.append(Hit("error", None, None, 0, self.build_error))
            self._notify({"hits"})
            return False
        self._notify({"project", "state", "graph", "stats", "breakpoints", "history"})
        return True

    def _load_weights(self):
        source, self._weights_from = self._weights_from, None
        if source is None or self.built is None or not weights_path(source).exists():
            return
        try:
            load_weights(weights_path(source), self.built.model, source)
        except ProjectError as exc:
            self.weights_error = f"the saved weights were not loaded: {exc}"

    def _start_debugger(self):
        """The debugger (dynamic or static) of `built`, subscribed, with the breakpoints."""
        if self.built is not None and self.project.train.mode == "static":
            try:
                self.debugger = StaticDebugger(self.built, self.project)
            except BuildError as exc:
                self.built, self.build_error = None, str(exc)
        elif self.built is not None:
            self.debugger = Debugger(self.built)
        if self.debugger is not None:
            self.debugger.subscribe(iteration_finished=self._on_iteration, stopped=self._on_stop)
            self._apply_breakpoints()
            self.state = self.debugger.state()

    @property
    def fault(self):
        """The device fault to show, with its offer (app/debugging/faults.py), or None."""
        error = self.state.error if self.state is not None else None
        return current_fault(self.project, error or self.build_error)

    def run_blocker(self):
        """Why Run and the step commands are disabled, or "" when they are enabled."""
        if self.project is None:
            return "no project is open"
        if self.debugger is None and not self._script_waits():
            return f"the network is invalid: {self.build_error or 'it does not build'}"
        return ""

    def close(self):
        self._close_debugger()

    def _close_debugger(self):
        if self.debugger is not None:
            self.debugger.close()
            self.debugger = None

    def _clear_run(self):
        self.state = None
        self.graph = ()
        self.stats = {}
        self.latest_stats = {}
        self.losses, self.accuracies, self.hits = [], [], []
        self.seconds_per_iteration = None
        self.viewed = None
        with self._worker_lock:
            for pending in (self._worker_accuracies, self._worker_losses, self._worker_hits,
                            self._finish_times):
                pending.clear()

    # ---- intents ---------------------------------------------------------------------------
    def step(self, mode):
        if mode not in STEP_COMMANDS:
            raise ValueError(f"step mode must be one of {STEP_COMMANDS}, got {mode!r}")
        self._command(f"step_{mode}")

    def run(self):
        self._command("run")

    def pause(self):
        self._command("pause")

    def stop(self):
        self._command("stop")

    def reset(self):
        """Stop and restore the initial weights; curves and hits start again."""
        if self.debugger is None:
            return
        self.debugger.reset()
        self.debugger.wait()
        self._clear_run()
        self.state = self.debugger.state()
        self._notify({"state", "graph", "curves", "hits", "stats", "history", "viewed"})

    def _command(self, name):
        if self._script_waits() and not self._run_script():
            raise RuntimeError(f"cannot {name.replace('_', ' ')}: {self.build_error}")
        if self.debugger is None:
            raise RuntimeError(f"cannot {name.replace('_', ' ')}: {self.run_blocker()}")
        self.pump()  # what the views show now belongs to the generation this command ends
        self.view_iteration(None)  # any command returns to live
        if name != "pause":
            with self._worker_lock:
                self._finish_times.clear()
                self._sent_at = time.perf_counter()
        getattr(self.debugger, name)()

    def select(self, key):
        if key != self.selected:
            self.selected = key
            self._notify({"selection"})

    def toggle_breakpoint(self, target=None):
        """Toggle a breakpoint on `target` (default: the selection): a node key
        ("<scope>/<op>#<k>") or a layer scope; returns whether it is set now."""
        target = self.selected if target is None else target
        if target is None:
            raise ValueError("select a node or a layer to toggle a breakpoint on it")
        if target in self.breakpoint_targets:
            self.breakpoint_targets.discard(target)
        else:
            self.breakpoint_targets.add(target)
        self._apply_breakpoints()
        self._notify({"breakpoints"})
        return target in self.breakpoint_targets

    def _apply_breakpoints(self):
        if self.debugger is None:
            return
        toggled = [Breakpoint.node(t) if "/" in t else Breakpoint.layer(t)
                   for t in sorted(self.breakpoint_targets)]
        self.debugger.set_breakpoints(make_breakpoints(self.project.breakpoints) + toggled)

    # ---- what the worker reports (worker thread): kept whatever the generation ---------------
    def _on_stop(self, hit):
        now = time.perf_counter()
        with self._worker_lock:
            self._worker_hits.append(hit)
            if self._sent_at is not None:
                self.seconds_per_step, self._sent_at = now - self._sent_at, None

    def _on_iteration(self, iteration, loss):
        now = time.perf_counter()
        built, loss_name = self.built, self.project.train.loss
        accuracy = None
        if iteration % ACCURACY_EVERY == 0 and built is not None:
            accuracy = test_accuracy(built, loss_name)
        with self._worker_lock:
            self._finish_times.append(now)
            self._worker_losses.append((iteration, loss))
            if accuracy is not None:
                self._worker_accuracies.append((iteration, accuracy))
        time.sleep(0)  # hand the GIL to the UI thread if it waits: one per iteration

    # ---- the UI timer ----------------------------------------------------------------------
    def pump(self):
        """Drain the debugger's records into the session and notify; returns the changes."""
        if self.debugger is None:
            return set()
        changes = set()
        for record in self.debugger.drain():
            changes |= self._apply(record)
        with self._worker_lock:
            for pending, into, change in ((self._worker_losses, self.losses, "curves"),
                                          (self._worker_accuracies, self.accuracies, "curves"),
                                          (self._worker_hits, self.hits, "hits")):
                if pending:
                    into += pending
                    pending.clear()
                    changes.add(change)
            times = list(self._finish_times)
        if len(times) > 1:
            self.seconds_per_iteration = (times[-1] - times[0]) / (len(times) - 1)
        state = self.debugger.state()
        if state != self.state:
            if self.state is None or state.graph != self.state.graph:
                self.graph = state.graph
                changes.add("graph")
            self.state = state
            changes.add("state")
        if changes & {"curves", "state"}:
            now = time.perf_counter()
            running = self.state is not None and self.state.status == "running"
            if not running or now - self._history_at >= HISTORY_EVERY_S:
                self._history_at = now
                changes.add("history")
        self._notify(changes)
        return changes

    def _apply(self, record):
        data = record.data
        if record.kind in ("values", "grads"):
            kind = "value" if record.kind == "values" else "grad"
            self.latest_stats[kind] = (data["keys"], data["stats"])
            for key, row in zip(data["keys"], data["stats"]):
                self.stats.setdefault(key, {})[kind] = stats_dict(row)
            return {"stats"}
        if record.kind == "graph":
            self.graph = data["nodes"]
            return {"graph"}
        return set()

    # ---- reads for the views ---------------------------------------------------------------
    def weights(self, timeout=2.0):
        """A copy of the model's state dict (None without a model), never half-updated: read
        between two iterations while the debugger runs (TimeoutError, an OSError, when none
        ended within `timeout` seconds)."""
        if self.built is None:
            return None
        if self.debugger is None:
            return self.built.model.state_dict()
        return self.debugger.between_updates(self.built.model.state_dict, timeout)

    def value(self, key):
        """The selected node's value (host numpy array) in the current iteration, or None."""
        return self._read(key, "value")

    def grad(self, key):
        return self._read(key, "grad")

    def history_series(self, key, kind="value"):
        """The node's statistics over the recorded iterations (app.debugging.history.History.stats)."""
        return self.debugger.history.stats(key, kind) if self.debugger is not None else None

    def missing_message(self, key):
        """Why the node `key` has no value now (static mode: it is not fetched)."""
        explain = getattr(self.debugger, "missing_message", None)
        return explain(key) if explain is not None else "not computed in this iteration yet"

    def can_fetch(self, key):
        """Whether `key` is a node the static graph can be recompiled to fetch (static mode)."""
        build = getattr(self.debugger, "build", None)
        return build is not None and key in build.fetchable_keys()

    def add_fetch(self, key):
        """Static mode: recompile fetching `key` too, so the inspector shows it from the next
        step; returns what it cost, in words (recompile time, peak memory before -> after)."""
        if not self.can_fetch(key):
            raise ValueError(f"{key} cannot be added to the fetch list (static mode only, "
                             "a node of the compiled graph not fetched yet)")
        before = self.debugger.build
        build = self.debugger.set_fetches(before.fetch_keys + (key,))
        self._notify({"graph", "selection"})
        return (f"fetching {key}: recompiled in {build.recompile_seconds * 1e3:.1f} ms, peak "
                f"memory {_kib(before.peak_bytes_after)} -> {_kib(build.peak_bytes_after)}; "
                f"its value shows from the next step")

    def _read(self, key, what):
        if self.debugger is None:
            return None
        try:
            return getattr(self.debugger, what)(key)
        except KeyError:
            return None

    # ---- the history: the timeline and older iterations --------------------------------------
    def recorded_iterations(self):
        """(recorded iterations, those whose full tensors are still kept). Kept means the
        value of the inspected node (without one, of the graph's last node) is kept; the
        budget drops the oldest first, so the newest are checked until one is dropped."""
        if self.debugger is None:
            return [], set()
        history = self.debugger.history
        iterations = history.iterations()
        key = self.selected if self.selected and "/" in self.selected else (
            self.graph[-1].key if self.graph else None)
        kept = set()
        for it in reversed(iterations):
            if key is None or not history.is_kept(key, it):
                break
            kept.add(it)
        return iterations, kept

    def view_iteration(self, iteration):
        """Show `iteration` from the history (None or the newest recorded: live again)."""
        if iteration is not None and self.debugger is not None:
            iterations = self.debugger.history.iterations()
            if iterations and iteration == iterations[-1]:
                iteration = None
        if iteration != self.viewed:
            self.viewed = iteration
            self._notify({"viewed"})

    def shown_stats(self, kind):
        """(keys, rows in STAT_NAMES order) of every graph node's statistics in the viewed
        iteration, or the latest known ones when live."""
        keys, rows = [], []
        older = (self.debugger.history.stats_of_iteration(self.viewed, kind)
                 if self.viewed is not None and self.debugger is not None else None)
        for node in self.graph:
            if older is None:
                found = self.stats.get(node.key, {}).get(kind)
            else:
                found = older.get(node.key)
            if found is not None:
                keys.append(node.key)
                rows.append([found[name] for name in STAT_NAMES])
        return keys, rows

    def stats_at(self, key, iteration):
        """{"value": {...}, "grad": {...}}: the node's statistics recorded at `iteration`."""
        out = {}
        for kind in ("value", "grad"):
            try:
                out[kind] = self.debugger.history.stats_at(key, iteration, kind)
            except KeyError:
                pass
        return out

    def tensors_at(self, key, iteration):
        """(value, grad, statistics, message) of a node at an older iteration: the full
        tensors where the history kept them (else None), and a message when it did not."""
        history, arrays = self.debugger.history, {}
        for kind in ("value", "grad"):
            try:
                arrays[kind] = history.tensor(key, iteration, kind)
            except NotKept:
                arrays[kind] = None
        stats = self.stats_at(key, iteration)
        message = None
        if not stats:
            message = f"node {key} was not recorded in iteration {iteration}"
        elif arrays["value"] is None and arrays["grad"] is None:
            message = (f"statistics only: full tensors of iteration {iteration} were dropped "
                       f"(memory budget)")
        return arrays["value"], arrays["grad"], stats, message
