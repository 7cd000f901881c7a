"""What the session offers the views to read (the reads half of app.session.Session):
values, gradients and statistics of the current iteration, a selected parameter, the inputs
a gradient check needs, the decision surface, exports, static mode's fetch list, and the
history (the timeline and older iterations). Debuggers are told apart by their declared capabilities
(app/debugging/interface.py), never by probing them.
"""
import copy
import time
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from app.debugging.history import NotKept
from app.debugging.statistics import STAT_NAMES, stats_dict, summarize
from app.exports.export import export_onnx, export_pytorch_files
from app.teaching.decision_surface import NotPlanar, compute_surface, planar_problem
from app.teaching.narration import parameter_shapes


@dataclass
class NodeView:
    """What the inspector shows of one node (or parameter): host arrays (None when there is
    none), their statistics ({"value": {...}, "grad": {...}}), a message saying why a tensor
    is missing, the device the tensors live on, and the statistics over the recorded
    iterations."""

    value: Optional[np.ndarray]
    grad: Optional[np.ndarray]
    stats: dict = field(default_factory=dict)
    message: Optional[str] = None
    device: str = "cpu"
    series: Optional[dict] = None


def _kib(nbytes):
    return f"{nbytes / 1024:.1f} KiB"


def array_stats(array):
    """The statistics (a STAT_NAMES dict) of one host array."""
    return stats_dict(summarize([np.asarray(array)])[0])


class SessionReads:
    """The reads of the Session (a mixin: it reads the Session's `built`, `debugger`,
    `state`, `graph`, `stats`, `selected` and `viewed`)."""

    @property
    def running(self):
        """Whether the last state the views were told about is a running one."""
        return self.state is not None and self.state.status == "running"

    def is_idle(self):
        """Whether no training is under way (so the model may be read on this thread): no
        debugger, or one that is paused or stopped with no command pending."""
        return not self.running and (self.debugger is None or self.debugger.wait(0))

    def wait(self, timeout=5.0):
        """Block until a build under way has ended (and is installed) and the worker is
        paused or stopped; False when `timeout` passed first."""
        start = time.monotonic()
        if self._job is not None:
            if not self._job.wait(timeout):
                return False
            self._notify(self._settle_build())
        left = max(0.0, timeout - (time.monotonic() - start))
        return self.debugger is None or self.debugger.wait(left)

    @property
    def has_model(self):
        """Whether the project is built (a model to train, compare, check and export)."""
        return self.built is not None

    def parameter_shapes(self):
        """{parameter name: shape} of the built model, or None without one."""
        return parameter_shapes(self.built.model) if self.built is not None else None

    def parameter(self, name):
        """NodeView of the parameter `name` (its weights and last gradient, copied), or None
        when `name` is not a parameter of the built model."""
        if self.built is None or name is None or "/" in name:
            return None
        param = dict(self.built.model.named_parameters()).get(name)
        if param is None:
            return None
        value = param.numpy()
        grad = param.grad.numpy() if param.grad is not None else None
        stats = {kind: array_stats(a) for kind, a in (("value", value), ("grad", grad))
                 if a is not None}
        return NodeView(value, grad, stats, "parameter: its current weights and last gradient")

    def gradient_check_inputs(self, name, batch):
        """(model copy, loss function, x, y) to check parameter `name`'s gradient on the
        first `batch` training samples; ValueError saying why not (no model, not a
        parameter, the run is not paused)."""
        built = self.built
        if built is None:
            raise ValueError("the network does not build yet")
        if name not in dict(built.model.named_parameters()):
            raise ValueError("select a parameter node (e.g. 0.weight) in the graph first")
        if not self.is_idle():
            raise ValueError("pause the run first")
        return (copy.deepcopy(built.model), built.loss_fn, built.train_set.X[:batch],
                built.train_set.y[:batch])

    def surface_blocker(self):
        """Why there can be no decision surface (no project, the network does not build, the
        data is not planar), or "" when there can be one."""
        if self.project is None:
            return "no project is open"
        if self.built is None or self.debugger is None:
            return f"the network does not build: {self.build_error}"
        try:
            planar_problem(self.built.train_set)
        except NotPlanar as exc:
            return str(exc)
        return ""

    def decision_surface(self, resolution):
        """The model's decision surface over the 2-D inputs (app/teaching/decision_surface.py),
        computed here: call it where the model is not training (`is_idle()`, or the worker's
        `on_iteration_finished`). ScriptError when a script's forward fails on the grid."""
        return compute_surface(self.built, self.project.train.loss, resolution)

    def export_pytorch(self, directory, timeout=10.0):
        """Write model.py, data.npz and weights.npz (the current weights) into `directory`;
        the paths written. BuildError, ExportError or OSError on failure."""
        return export_pytorch_files(self.project, directory, self.built, self.weights(timeout))

    def export_onnx(self, path, timeout=10.0):
        """Write the network with the current weights as an ONNX file at `path`."""
        export_onnx(self.project, path, self.built, self.weights(timeout))

    def node_view(self, key):
        """NodeView of node `key`: in the viewed older iteration from the history, else
        live (the statistics of the very tensors shown; a missing tensor's message)."""
        if self.viewed is not None:
            value, grad, stats, message = self.tensors_at(key, self.viewed)
            message = f"iteration {self.viewed}" + (f": {message}" if message else "")
            device = "cpu"  # the history's host copy
        else:
            value, grad = self.value(key), self.grad(key)
            stats = dict(self.stats.get(key, {}))
            message = None if value is not None else self.missing_message(key)
            device = self.project.train.device if self.project else "cpu"
        for kind, array in (("value", value), ("grad", grad)):
            if array is None and message is None:
                stats.pop(kind, None)  # live: statistics of an older iteration would be stale
            elif array is not None and (stats.get(kind) is None or message is None):
                stats[kind] = array_stats(array)
        return NodeView(value, grad, stats, message, device, self.history_series(key))

    def gradient_keys(self):
        """Keys of the nodes backward has reached in the current iteration (dynamic mode)."""
        d = self.debugger
        return d.gradient_keys() if d is not None and d.sees_every_op else []

    def node_inputs(self, key):
        """[(source, host array or None)] of the edges into node `key` (values while
        paused or stopped; constants left out)."""
        node = next((n for n in self.graph if n.key == key), None)
        if node is None:
            return []
        d = self.debugger
        readable = d is not None and d.sees_every_op and not self.running
        return [(s, d.source_value(s) if readable else None)
                for s in dict.fromkeys(node.inputs) if s != "const"]

    def input_rows(self, key):
        """The rows the inspector lists for node `key`'s inputs: dicts with "key", "shape"
        and "stats" (None where the value is not known here)."""
        return [dict(key=source, shape=None if array is None else array.shape,
                     stats=array_stats(array) if array is not None else None)
                for source, array in self.node_inputs(key)]

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
        """The node's gradient (host numpy array) in the current iteration, or None."""
        return self._read(key, "grad")

    def history_series(self, key, kind="value"):
        """The node's statistics over the recorded iterations (History.stats, app/debugging/
        history.py)."""
        return self.debugger.history.stats(key, kind) if self.debugger is not None else None

    def missing_message(self, key):
        """Why the node `key` has no value now (static mode: it is not fetched)."""
        if self.debugger is None:
            return "not computed in this iteration yet"
        return self.debugger.missing_message(key)

    def can_fetch(self, key):
        """Whether `key` is a node the static graph can be recompiled to fetch (static mode)."""
        d = self.debugger
        return d is not None and d.fetches and key in d.fetch_plan().fetchable_keys()

    def add_fetch(self, key):
        """Static mode: recompile fetching `key` too, so the inspector shows it from the next
        step; returns what it cost, in words (recompile time, peak memory before -> after)."""
        if not self.can_fetch(key):
            raise ValueError(f"{key} cannot be added to the fetch list (static mode only, "
                             "a node of the compiled graph not fetched yet)")
        before = self.debugger.fetch_plan()
        build = self.debugger.set_fetches(before.fetch_keys + (key,))
        self._notify({"graph", "selection"})
        return (f"fetching {key}: recompiled in {build.recompile_seconds * 1e3:.1f} ms, peak "
                f"memory {_kib(before.peak_bytes_after)} -> {_kib(build.peak_bytes_after)}; "
                f"its value shows from the next step")

    def _read(self, key, what):
        if self.debugger is None:
            return None
        try:
            return self.debugger.value(key) if what == "value" else self.debugger.grad(key)
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
