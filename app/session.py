"""What the views show, and the one object widgets read: the project and its validation
report, the built run and its debugger, the latest debugger state, the graph, the selected
node, per-node statistics, loss/accuracy curves and breakpoint hits.

Headless (no Qt): the main window calls `pump()` from a UI timer (~30 Hz); it drains the
debugger's records in batches (records of older generations are already dropped by the
debugger) and tells subscribers what changed. Widgets send intents back through the
methods (step, run, pause, reset, toggle_breakpoint, select). Training never runs on the
caller's thread: the debugger's worker does it.

Session is one class cut by concern: the project, its run and the intents here; what views
read in app/session_reads.py; the worker's reports and the drain in app/session_pump.py;
live edits and run-to-iteration in app/debugging/session_controls.py.
"""
import copy
import threading
import time
from collections import deque

from engine.backend import cuda_status

from app.debugging.breakpoints import Breakpoint, Hit
from app.project.build import BuildError
from app.project.build_job import BuildJob
from app.debugging.breakpoints import make_breakpoints
from app.debugging.session_controls import DebuggingControls
from app.debugging.debugger import Debugger
from app.debugging.faults import current_fault, failure_message, on_cpu
from app.project import ProjectError, load_weights, validate, weights_path
from app.project.script_guard import interrupt_if_still_running
from app.project.script_model import ScriptError
from app.debugging.static_debugger import StaticDebugger
from app.session_pump import SessionPump
from app.session_reads import SessionReads

STEP_COMMANDS = ("op", "layer", "out", "phase", "iteration")
BUILD_FAILURES = (BuildError, ScriptError, ValueError, RuntimeError, MemoryError)
TIMING_WINDOW = 20  # iterations averaged for the time per step


def gpu_status():
    """(available, reason shown when it is not)."""
    available, reason = cuda_status()
    return available, "" if available else (reason or "no CUDA device")


class Session(SessionReads, SessionPump, DebuggingControls):
    """See the module docstring. `subscribe(fn)`: fn(changes) with changes a set among
    "project", "state", "graph", "stats", "curves", "hits", "selection", "breakpoints",
    "history" (the recorded iterations; throttled while running) and "viewed" (an older
    iteration is shown from the history, or live again)."""

    def __init__(self, build_wait_s=None):
        """`build_wait_s`: how long set_project and Run wait for a build before going on
        (the build then ends on its worker and `pump()` installs it); None: until it ends."""
        self.project = None
        self.path = None  # the file the project was opened from or saved to
        self.report = None
        self.built = None
        self._weights_from = None  # the project file whose weights the next build loads
        self.script_consent = None  # callable(source) -> bool, asked before a script runs
        self.weights_error = None
        self.build_error = None  # message when the project does not build
        self.script_error = None  # ScriptError of a script project's last build, if it failed
        self.debugger = None
        self.run_id = 0  # changes whenever another model (and its debugger) is in place
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
        self.build_wait_s = build_wait_s
        self._job = None  # the BuildJob under way (one dropped is never installed)
        self._queued = None  # the command sent while building

    # ---- subscribers -----------------------------------------------------------------------
    def subscribe(self, fn):
        """Call fn(changes) after each change (see the class docstring)."""
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
        if not keep_path:  # another document: nothing of the previous one carries over
            self.path, self.selected, self.breakpoint_targets = path, None, set()
        if not keep_path or weights_from is not None:  # an edit keeps weights not loaded yet
            self._weights_from = weights_from
        self.weights_error = None
        self.report = validate(self.project)
        self._close_debugger()
        self._clear_run()
        self.built, self.build_error, self.script_error = None, None, None
        self._drop_build()
        if self.report.ok and not self._script_waits():
            self._start_build()
        elif self.report.errors:
            self.build_error = self.report.errors[0].message
        else:
            self.build_error = "a script is built on the first Run or Step"
        self._notify({"project", "state", "graph", "curves", "hits", "stats", "selection",
                      "breakpoints", "history", "viewed"})

    # ---- building (on a worker thread: app/project/build_job.py) -----------------------------
    @property
    def building(self):
        """Whether the project is being built now (Run and the steps wait for it)."""
        return self._job is not None

    def _start_build(self):
        """Build the project on a worker thread; wait for it up to `build_wait_s` (None:
        until it ends), then let `pump()` (or `wait()`) install it when it ends. The
        changes when it was installed at once."""
        self._job = BuildJob(copy.deepcopy(self.project))
        return self._settle_build() if self._job.wait(self.build_wait_s) else set()

    def _install_build(self):
        """The ended build in place: its model, the saved weights, a debugger; then the
        command sent while it was building. The changes."""
        job, self._job = self._job, None
        queued, self._queued = self._queued, None
        built, exc = job.outcome()
        script = bool(self.project.network.script)
        if exc is not None:
            message = (failure_message(exc, self.project.train.device, True)
                       if isinstance(exc, MemoryError) else str(exc))
            if script:
                self.script_error = exc if isinstance(exc, ScriptError) else ScriptError(message)
                self.build_error = f"the script failed: {self.script_error}"
                self.hits.append(Hit("error", None, None, 0, f"script: {self.script_error}"))
            else:
                self.build_error = (message if isinstance(exc, BUILD_FAILURES)
                                    else f"{type(exc).__name__}: {message}")
            return {"project", "state", "hits"}
        self.built, self.script_error, self.build_error = built, None, None
        self._load_weights()
        self._start_debugger()
        if self.debugger is None and script:  # static mode could not compile the script's model
            self.script_error = ScriptError(self.build_error)
            self.hits.append(Hit("error", None, None, 0, self.build_error))
        if queued is not None and self.debugger is not None:
            self._send(queued)
        return {"project", "state", "graph", "stats", "breakpoints", "history", "hits"}

    def _settle_build(self):
        """Install the build once it has ended (UI thread); the changes."""
        if self._job is not None and self._job.done.is_set():
            return self._install_build()
        return set()

    def _drop_build(self, why="another project replaced it"):
        """Forget the build under way (a script still running in it is interrupted)."""
        if self._job is not None:
            self._job.cancel(f"building stopped: {why}")
            self._job, self._queued = None, None

    def _script_waits(self):
        """A script project whose script has not run: it runs on the first Run/Step
        (_run_script), never when a project is set or loaded."""
        return bool(self.project.network.script) and self.report.ok and self.debugger is None

    def _run_script(self):
        """Build the script project now that the user asked to run it (on the build worker);
        False (`build_error` set) when the user does not allow it to run
        (`script_consent(source)`, set by the window, says False)."""
        if self.script_consent is not None and not self.script_consent(self.project.network.script):
            self.build_error = "the script was not allowed to run (it came from a file)"
            return False
        self._notify(self._start_build() or {"state"})
        return True

    @property
    def pending_weights(self):
        """The project file whose saved weights are not loaded yet (the project is not
        built: a script before its first Run, a dataset file that moved), or None."""
        return self._weights_from

    def _load_weights(self):
        """Load the weights saved with `_weights_from` once the model is built."""
        source = self._weights_from
        if source is None or self.built is None:
            return
        self._weights_from = None
        found = weights_path(source)
        if found is None:
            return
        try:
            load_weights(found, self.built.model, source)
        except ProjectError as exc:
            self.weights_error = f"the saved weights were not loaded: {exc}"

    def _start_debugger(self):
        """The debugger (dynamic or static) of `built`, subscribed, with the breakpoints."""
        self.run_id += 1
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
        if self.debugger is None and self._job is None and not self._script_waits():
            return f"the network is invalid: {self.build_error or 'it does not build'}"
        return ""

    def on_iteration_finished(self, fn):
        """Call fn(iteration, loss) on the worker thread after each optimizer step of the
        current run (the model may be read in place there); forgotten when another model
        is built (`run_id` changes). Nothing happens without a run."""
        if self.debugger is not None:
            self.debugger.subscribe(iteration_finished=fn)

    def switch_to_cpu(self, edit):
        """Apply the CPU offer (app/debugging/faults.py): `edit(project, description, merge)`
        (the window's undoable edit) with the project on CPU, then the weights trained so far
        loaded into the new build (the optimizer state starts again). False without a
        project."""
        if self.project is None:
            return False
        weights = self.weights(timeout=10.0)
        edit(on_cpu(self.project), "run on CPU", "")
        if weights is not None and self.built is not None:
            self.built.model.load_state_dict(weights)
        return True

    def close(self):
        """End the run and its worker thread (and a build under way)."""
        self._drop_build("the window closed")
        self._close_debugger()

    def _close_debugger(self):
        if self.debugger is not None:
            self._interrupt_script_later()
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
        """Step (one of STEP_COMMANDS: op, layer, out, phase, iteration)."""
        if mode not in STEP_COMMANDS:
            raise ValueError(f"step mode must be one of {STEP_COMMANDS}, got {mode!r}")
        self._command(f"step_{mode}")

    def run(self):
        """Run until a breakpoint, a pause or an error."""
        self._command("run")

    def pause(self):
        """Pause where the worker is."""
        self._command("pause")

    def stop(self):
        """Abandon the iteration in progress (the weights stay as the last update left them);
        while a script is being built, interrupt it (the next Run builds it again)."""
        if self._job is not None and self.project.network.script:
            self._drop_build("stopped by the user (Stop)")
            self.build_error = "building the script was stopped (Stop): Run builds it again"
            self._notify({"project", "state"})
            return
        self._command("stop")
        self._interrupt_script_later()

    def _interrupt_script_later(self):
        """Stop, Reset and close reach a script's pure-Python loop too: the worker is
        interrupted when it has not stopped shortly after (app/project/script_guard.py)."""
        debugger = self.debugger
        if debugger is not None and self.project.network.script:
            interrupt_if_still_running(lambda: debugger.state().status == "running")

    def reset(self):
        """Stop and restore the initial weights; curves and hits start again."""
        if self.debugger is None:
            return
        self.debugger.reset()
        self._interrupt_script_later()
        self.debugger.wait()
        self.debugger.reset_hit_counts()
        self.run_target = None
        self._apply_breakpoints()
        self._clear_run()
        self.state = self.debugger.state()
        self._notify({"state", "graph", "curves", "hits", "stats", "history", "viewed"})

    def _command(self, name):
        self._notify(self._settle_build())
        if self._job is None and self._script_waits():
            if not self._run_script():
                raise RuntimeError(f"cannot {name.replace('_', ' ')}: {self.build_error}")
            if self.debugger is None and self._job is None:  # the script failed at once
                raise RuntimeError(f"cannot {name.replace('_', ' ')}: {self.build_error}")
        if self._job is not None:  # sent once the build ends (pause, stop: nothing runs yet)
            self._queued = None if name in ("pause", "stop") else name
            self._notify({"state"})
            return
        if self.debugger is None:
            raise RuntimeError(f"cannot {name.replace('_', ' ')}: {self.run_blocker()}")
        self._send(name)

    def _send(self, name):
        """Send a command to the debugger, the views brought up to date first."""
        self.pump()  # what the views show now belongs to the generation this command ends
        self.view_iteration(None)  # any command returns to live
        if name != "pause":
            with self._worker_lock:
                self._finish_times.clear()
                self._sent_at = time.perf_counter()
        getattr(self.debugger, name)()

    def select(self, key):
        """Select a node key or a layer scope (None: nothing)."""
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
        until = [Breakpoint.run_to(self.run_target[1])] if self.run_target else []
        self.debugger.set_breakpoints(make_breakpoints(self.project.breakpoints) + toggled + until)
