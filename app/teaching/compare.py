"""Dynamic against static mode for one project, side by side (headless, no Qt).

`Comparison(project, weights)` builds two private copies of the project's model (the user's
run is never touched): one trained eagerly, one compiled into a static graph
(app.debugging.static_build). It holds the figures the compare view shows: the graph as written (the
dynamic graph of one training iteration, keyed as the debugger keys it) and as compiled
(fused nodes marked), the passes with their node counts and times, the compile time, the peak
memory of intermediates before and after memory planning, and what each mode lets the user
inspect. `add_fetch(key)` recompiles with one more fetched tensor and says what it costs.

`LiveTiming(comparison, on_update)` measures the time per iteration of both modes in a worker
thread: short bursts of dynamic and static steps, alternated so that both see the same load
on the machine, each mode's figure the best of its recent bursts (as benchmarks time: other
work on the machine only ever adds); fetch requests are served between bursts. Results go to `on_update` (called
on the worker thread) as Timings and FetchCost objects.
"""
import copy
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Optional

from engine import Observer, observe, scope

from app.project.build import build
from app.debugging.interface import LOSS_SCOPE
from app.debugging.node_keys import NodeKeys
from app.debugging.static_build import compile_project

BURST_SECONDS = 0.03  # each burst of steps lasts about this long
BURSTS_KEPT = 15  # the time per iteration is the best of this many recent bursts
PAUSE_SECONDS = 0.005  # between bursts: the UI thread and the user's run get the GIL
FETCH_BURST_STEPS = 20  # steps per burst timed before and after a recompile
FETCH_BURSTS = 3  # the best of this many bursts


@dataclass(frozen=True)
class Timings:
    """Seconds per training iteration of each mode (None until measured) and the steps run."""

    dynamic_seconds: Optional[float]
    static_seconds: Optional[float]
    dynamic_steps: int
    static_steps: int

    @property
    def speedup(self):
        """How many times faster static mode is (dynamic / static), or None."""
        if not self.dynamic_seconds or not self.static_seconds:
            return None
        return self.dynamic_seconds / self.static_seconds


@dataclass(frozen=True)
class FetchCost:
    """What adding `key` to the fetch list cost: the recompile and its effect on the peak
    memory of intermediates and on the static time per iteration."""

    key: str
    recompile_seconds: float
    peak_bytes_before: int
    peak_bytes_after: int
    static_seconds_before: float
    static_seconds_after: float


class Comparison:
    """See the module docstring. `weights` (a state_dict) start both copies from the user's
    current weights; without it they start from the project's initial weights."""

    def __init__(self, project, weights=None, fetch_keys=()):
        self.project = copy.deepcopy(project)
        self.dynamic = _copy_of_run(self.project, weights)
        x, y = next(iter(self.dynamic.data))
        self.batch = (x, y)
        self.written = record_dynamic_graph(self.dynamic, x, y)
        self.static_run = _copy_of_run(self.project, weights)
        self.static = compile_project(self.static_run, self.project.train, tuple(fetch_keys))
        self.fetch_costs = []
        self._stepping = threading.RLock()  # one step or recompile at a time, whichever thread

    # ---- the figures -----------------------------------------------------------------------
    @property
    def passes(self):
        return self.static.passes

    @property
    def compile_seconds(self):
        return self.static.compile_seconds

    @property
    def peak_bytes(self):
        """(before, after) memory planning: bytes of intermediates alive at the peak."""
        return self.static.peak_bytes_before, self.static.peak_bytes_after

    def compiled_nodes(self):
        return self.static.graph_nodes("compiled")

    def written_static_nodes(self):
        """The static graph as written, before any pass."""
        return self.static.graph_nodes("written")

    def inspectable(self, mode):
        """(key, what can be seen) pairs: in dynamic mode every node's value and gradient and
        every parameter; in static mode the loss and the fetched tensors (one value each
        step, no gradient) and the parameters (variables)."""
        params = [(name, "value and gradient" if mode == "dynamic" else "value (variable)")
                  for name, _ in self.dynamic.model.named_parameters()]
        if mode == "dynamic":
            return [(n.key, "value and gradient") for n in self.written] + params
        if mode != "static":
            raise ValueError(f"mode must be 'dynamic' or 'static', got {mode!r}")
        return ([("loss", "value (fetched)")] +
                [(key, "value (fetched)") for key in self.static.fetch_keys] + params)

    # ---- stepping (never on the UI thread) -------------------------------------------------
    def dynamic_step(self):
        run, (x, y) = self.dynamic, self.batch
        with self._stepping:
            run.optimizer.zero_grad()
            out = run.model(x)
            with scope(LOSS_SCOPE):
                loss = run.loss_fn(out, y)
            loss.backward()
            run.optimizer.step()
        return loss

    def static_step(self):
        with self._stepping:
            return self.static.step(self.batch[0].array, self.batch[1].array)

    def add_fetch(self, key):
        """Recompile with `key` fetched each step too; returns (and keeps) its FetchCost.
        A key already fetched raises ValueError, one that is no value node KeyError."""
        with self._stepping:
            return self._add_fetch(key)

    def _add_fetch(self, key):
        before = self.static
        if key in before.fetch_keys:
            raise ValueError(f"{key} is already fetched")
        if key not in before.fetchable_keys():
            raise KeyError(f"{key} is not a node of the compiled graph that can be fetched")
        seconds_before = best_time(self.static_step)
        after = before.with_fetches(tuple(before.fetch_keys) + (key,))
        self.static = after
        seconds_after = best_time(self.static_step)
        cost = FetchCost(key, after.recompile_seconds, before.peak_bytes_after,
                         after.peak_bytes_after, seconds_before, seconds_after)
        self.fetch_costs.append(cost)
        return cost


def _copy_of_run(project, weights):
    built = build(project)
    if weights is not None:
        built.model.load_state_dict(weights)
    return built


class _GraphRecorder(Observer):
    """Names the forward nodes of one iteration as the debugger does."""

    def __init__(self, keys):
        self.keys = keys
        self.nodes = []

    def on_forward(self, node):
        out = node.output
        self.nodes.append(self.keys.describe(node, tuple(out.shape), out.dtype,
                                             out.requires_grad))


def record_dynamic_graph(run, x, y):
    """The GraphNodes of one forward and backward on `run` (no optimizer step), as the
    debugger would show them."""
    names = {id(p): name for name, p in run.model.named_parameters()}
    recorder = _GraphRecorder(NodeKeys(names, (x, y)))
    run.optimizer.zero_grad()
    with observe(recorder):
        out = run.model(x)
        with scope(LOSS_SCOPE):
            loss = run.loss_fn(out, y)
    loss.backward()
    run.optimizer.zero_grad()
    return tuple(recorder.nodes)


def best_time(step, n=FETCH_BURST_STEPS, bursts=FETCH_BURSTS):
    """Seconds per call of `step`: the best of `bursts` bursts of `n` calls."""
    return min(time_steps(step, n) for _ in range(bursts))


def time_steps(step, n):
    """Seconds per call of `step` over `n` calls."""
    start = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - start) / n


class LiveTiming:
    """Alternating bursts of dynamic and static steps on the comparison's copies, in one
    worker thread; `on_update(Timings or FetchCost or Exception)` on that thread."""

    def __init__(self, comparison, on_update):
        self.comparison = comparison
        self.on_update = on_update
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._fetches = deque()
        self._samples = {"dynamic": deque(maxlen=BURSTS_KEPT),
                         "static": deque(maxlen=BURSTS_KEPT)}
        self._steps = {"dynamic": 0, "static": 0}
        self._burst = {"dynamic": 1, "static": 1}
        self._thread = None
        self.error = None  # the exception that ended the worker, if one did

    def start(self):
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="compare-timing",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout=5.0):
        """Stop after the burst in progress; True once the worker has ended."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive()

    def request_fetch(self, key):
        """Ask the worker to add `key` to the fetch list between two bursts."""
        with self._lock:
            self._fetches.append(key)

    def timings(self):
        with self._lock:
            dyn, sta = (min(self._samples[m]) if self._samples[m] else None
                        for m in ("dynamic", "static"))
            return Timings(dyn, sta, self._steps["dynamic"], self._steps["static"])

    def _work(self):
        c = self.comparison
        steps = {"dynamic": c.dynamic_step, "static": c.static_step}
        try:
            while not self._stop.is_set():
                self._serve_fetches()
                for mode in ("dynamic", "static"):
                    self._run_burst(mode, steps[mode])
                self.on_update(self.timings())
                self._stop.wait(PAUSE_SECONDS)
        except Exception as exc:  # shown by the view; the user's run is unaffected
            self.error = exc
            self.on_update(exc)

    def _run_burst(self, mode, step):
        n = self._burst[mode]
        seconds = time_steps(step, n)
        with self._lock:
            self._samples[mode].append(seconds)
            self._steps[mode] += n
        self._burst[mode] = max(1, min(1000, round(BURST_SECONDS / max(seconds, 1e-7))))

    def _serve_fetches(self):
        while True:
            with self._lock:
                if not self._fetches:
                    return
                key = self._fetches.popleft()
            try:
                cost = self.comparison.add_fetch(key)
            except (KeyError, ValueError) as exc:
                self.on_update(exc)
                continue
            with self._lock:
                self._samples["static"].clear()  # the static graph changed
            self.on_update(cost)
