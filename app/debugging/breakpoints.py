"""Breakpoints of the step debugger and the Hit record that says why and where it stopped.

Kinds (build them with the class methods):
- `Breakpoint.node(key, phase)`: at that node's forward and/or backward event.
- `Breakpoint.layer(scope, phase)`: at the first op of that layer (or a layer nested in it)
  in the forward and/or backward pass of each iteration.
- `Breakpoint.iteration(n)`: at the first op of iteration n.
- `Breakpoint.non_finite()`: at the FIRST node of an iteration whose output (forward) or
  gradient (backward) holds NaN or Inf.
- `Breakpoint.grad_norm(above, where=None)`: the gradient norm exceeds `above`; with
  `where` (a node key or a layer) at those nodes' backward events, without it the norm of all
  parameter gradients at the end of backward.
- `Breakpoint.dead_relu(above, where=None)`: the fraction of a relu's units that are 0 for
  every sample of the batch exceeds `above`.
- `Breakpoint.loss_spike(k)`: the loss exceeds the maximum of the last k iterations.
- `Breakpoint.run_to(n)`: where iteration n begins (Run N iterations, to an iteration or to
  the end of an epoch; the session removes it at the next stop).

Each breakpoint counts how often its condition held (`BreakpointSet.counts`, by `spec`: the
index of the project's BreakpointSpec it comes from, else the breakpoint itself) and stops
only once it held more than `ignore` times, as an IDE's "ignore count".
"""
from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np

from engine import get_array_module

from app.debugging.node_keys import in_layer

PHASES = ("forward", "backward", "both")
KINDS = ("node", "layer", "iteration", "non_finite", "grad_norm", "dead_relu", "loss_spike",
         "run_to")


@dataclass(frozen=True)
class Hit:
    """Why the debugger stopped and where: `kind` is a breakpoint kind, a step mode
    ("step_op", "step_layer", "step_out", "step_phase", "step_iteration"), "pause" or
    "error"; `details` holds extra facts (e.g. the inputs' statistics of a non-finite node)."""

    kind: str
    key: Optional[str]
    phase: Optional[str]
    iteration: int
    message: str
    details: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Breakpoint:
    kind: str
    target: Optional[str] = None  # node key, layer scope, or filter of grad_norm / dead_relu
    phase: str = "both"
    threshold: Optional[float] = None  # n, norm, fraction or window k
    ignore: int = 0  # the first `ignore` times the condition holds do not stop
    spec: Optional[int] = None  # index of the project's BreakpointSpec it comes from

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"breakpoint kind must be one of {KINDS}, got {self.kind!r}")
        if self.phase not in PHASES:
            raise ValueError(f"breakpoint phase must be one of {PHASES}, got {self.phase!r}")
        if self.kind in ("node", "layer") and self.target is None:
            raise ValueError(f"a {self.kind} breakpoint needs a target")
        low = 1 if self.kind == "loss_spike" else 0
        if self.kind in ("iteration", "loss_spike", "run_to") and (
                self.threshold is None or self.threshold < low
                or self.threshold != int(self.threshold)):
            raise ValueError(f"{self.kind} breakpoint: expected an integer >= {low}, got "
                             f"{self.threshold!r}")
        if not isinstance(self.ignore, int) or self.ignore < 0:
            raise ValueError(f"ignore count must be an integer >= 0, got {self.ignore!r}")
        if self.kind in ("grad_norm", "dead_relu") and (
                self.threshold is None or not np.isfinite(self.threshold) or self.threshold < 0):
            raise ValueError(f"{self.kind} breakpoint: threshold must be a finite number >= 0, "
                             f"got {self.threshold!r}")

    @classmethod
    def node(cls, key, phase="both"):
        return cls("node", key, phase)

    @classmethod
    def layer(cls, scope, phase="both"):
        return cls("layer", scope, phase)

    @classmethod
    def iteration(cls, n):
        return cls("iteration", threshold=n)

    @classmethod
    def non_finite(cls):
        return cls("non_finite")

    @classmethod
    def grad_norm(cls, above, where=None):
        return cls("grad_norm", where, "backward", above)

    @classmethod
    def dead_relu(cls, above, where=None):
        return cls("dead_relu", where, "forward", above)

    @classmethod
    def loss_spike(cls, k):
        return cls("loss_spike", threshold=k)

    @classmethod
    def run_to(cls, n):
        return cls("run_to", threshold=n)

    @property
    def counter(self):
        """What its hits are counted under: its spec's index, else itself."""
        return self if self.spec is None else self.spec

    def in_phase(self, phase):
        return self.phase == "both" or self.phase == phase

    def covers(self, key, scope):
        """Whether a node (key, scope) is within this breakpoint's target."""
        return self.target is None or key == self.target or in_layer(scope, self.target)


def has_non_finite(array):
    if array.dtype.kind not in "fc":
        return False
    xp = get_array_module(array)
    f = array.ravel()
    if array.dtype.kind == "f":
        with np.errstate(all="ignore"):
            if bool(xp.isfinite(f.dot(f))):  # one fast pass: finite unless it overflowed
                return False
    return not bool(xp.isfinite(f).all())  # the dot may overflow on large finite values


def l2_norm(array):
    f = array.ravel().astype(np.float64)
    return float(get_array_module(array).sqrt(f.dot(f)))


def dead_fraction(array):
    """Fraction of units (all axes but the batch axis) that are 0 for every sample."""
    if array.ndim < 2:
        return 0.0
    return float((array == 0).all(axis=0).mean())


class BreakpointSet:
    """The breakpoints, indexed for quick checks at each event. `reset_iteration()` clears
    what fires once per iteration (layer entries, the first non-finite node). The check
    methods return (kind, message) of the breakpoint that stops, or None."""

    def __init__(self, breakpoints=()):
        self.items = list(dict.fromkeys(breakpoints))
        items = self.items
        self.nodes = {phase: {} for phase in ("forward", "backward")}
        for b in items:
            for phase in ("forward", "backward"):
                if b.kind == "node" and b.in_phase(phase):
                    self.nodes[phase].setdefault(b.target, []).append(b)
        self.layers = {phase: [b for b in items if b.kind == "layer" and b.in_phase(phase)]
                       for phase in ("forward", "backward")}
        self.iterations = {}
        for b in items:
            if b.kind in ("iteration", "run_to"):
                self.iterations.setdefault(int(b.threshold), []).append(b)
        self.non_finite = [b for b in items if b.kind == "non_finite"]
        self.node_grad_norms = [b for b in items if b.kind == "grad_norm" and b.target]
        self.global_grad_norms = [b for b in items if b.kind == "grad_norm" and not b.target]
        self.dead_relus = [b for b in items if b.kind == "dead_relu"]
        self.loss_spikes = [b for b in items if b.kind == "loss_spike"]
        self.counts = {}  # Breakpoint.counter -> how often its condition held
        # Checked at every op event; iteration breakpoints only need the first op of each
        # iteration (see `wants`), so running to iteration n costs no per-op check.
        self.per_op = bool(self.nodes["forward"] or self.nodes["backward"] or self.layers["forward"]
                           or self.layers["backward"] or self.non_finite
                           or self.node_grad_norms or self.dead_relus)
        self.reset_iteration()

    def replaced(self, breakpoints):
        """A set of other breakpoints that keeps this one's per-iteration state and counts."""
        new = BreakpointSet(breakpoints)
        new._layers_hit, new._first_op_seen = set(self._layers_hit), self._first_op_seen
        new._non_finite_hit = self._non_finite_hit
        new.counts = dict(self.counts)
        return new

    def reset_iteration(self):
        self._layers_hit = set()
        self._first_op_seen = False
        self._non_finite_hit = False

    def _fires(self, b, message):
        """Count a hit of `b`: (kind, message) once its ignore count is used up, else None."""
        n = self.counts[b.counter] = self.counts.get(b.counter, 0) + 1
        if n <= b.ignore:
            return None
        return b.kind, message

    def _first(self, breakpoints, message):
        found = None
        for b in breakpoints:  # every one counts its hit; the first that stops wins
            hit = self._fires(b, message)
            found = found or hit
        return found

    def wants(self, phase):
        """Whether the next op event in `phase` needs `check_op` (one attribute test when
        no breakpoint is set)."""
        return self.per_op or (phase == "forward" and not self._first_op_seen
                               and bool(self.iterations))

    def check_op(self, phase, iteration, key, scope, op, array):
        """The first breakpoint this op event hits, or None. `array` is the node's output
        (forward) or its gradient (backward)."""
        first_op, self._first_op_seen = not self._first_op_seen, True
        if first_op:
            found = self.check_iteration(iteration)
            if found:
                return found
        if self.non_finite and not self._non_finite_hit and has_non_finite(array):
            what = "output" if phase == "forward" else "gradient"
            found = self.check_non_finite(f"first non-finite {what} of iteration "
                                          f"{iteration}: {key} ({op})")
            if found:
                return found
        if key in self.nodes[phase]:
            found = self._first(self.nodes[phase][key], f"breakpoint on {key} ({phase})")
            if found:
                return found
        for b in self.layers[phase]:
            if in_layer(scope, b.target) and (b.target, phase) not in self._layers_hit:
                self._layers_hit.add((b.target, phase))
                found = self._fires(b, f"breakpoint on layer '{b.target}': {phase} enters it "
                                       f"at {key}")
                if found:
                    return found
        if phase == "backward":
            return self._check_grad_norm(key, scope, array)
        if op == "relu":
            return self._check_dead_relu(key, scope, array)
        return None

    def check_iteration(self, iteration):
        """As `iteration` begins: its iteration (or run-to) breakpoints."""
        breakpoints = self.iterations.get(iteration)
        if not breakpoints:
            return None
        run_to = " (run to it)" if breakpoints[0].kind == "run_to" else ""
        return self._first(breakpoints, f"iteration {iteration} begins{run_to}")

    def check_non_finite(self, message):
        """The iteration's first non-finite value or gradient, said by `message`: the
        non-finite breakpoints (each counts it)."""
        self._non_finite_hit = True
        return self._first(self.non_finite, message)

    def _check_grad_norm(self, key, scope, array):
        return self._check_measure(
            self.node_grad_norms, key, scope, lambda: l2_norm(array),
            lambda norm, b: f"gradient norm {norm:.4g} of {key} is above {b.threshold:g}")

    def _check_dead_relu(self, key, scope, array):
        return self._check_measure(
            self.dead_relus, key, scope, lambda: dead_fraction(array),
            lambda dead, b: f"{dead:.0%} of the units of {key} are dead (0 for the whole "
                            f"batch), above {b.threshold:.0%}")

    def _check_measure(self, breakpoints, key, scope, measure, message):
        """The first of `breakpoints` covering the node whose threshold `measure()` passes
        (measured once, only when one covers it) and that fires."""
        value = None
        for b in breakpoints:
            if b.covers(key, scope):
                value = measure() if value is None else value
                if value > b.threshold:
                    found = self._fires(b, message(value, b))
                    if found:
                        return found
        return None

    def check_loss(self, loss, previous_losses):
        """At the end of forward: the loss against the last k iterations' maximum."""
        for b in self.loss_spikes:
            k = int(b.threshold)
            if len(previous_losses) >= k:
                highest = max(previous_losses[-k:])
                if loss > highest:
                    found = self._fires(b, f"loss {loss:.4g} is above the maximum {highest:.4g} "
                                           f"of the last {k} iterations")
                    if found:
                        return found
        return None

    def check_parameter_grads(self, grads, names=()):
        """At the end of backward: the norm of all parameter gradients and, when no node
        was blamed yet this iteration, a non-finite parameter gradient (its name is the
        hit's target: `names` parallel to `grads`)."""
        if self.non_finite and not self._non_finite_hit:
            for name, g in zip(names, grads):
                if has_non_finite(g):
                    found = self.check_non_finite(f"first non-finite gradient: parameter {name}")
                    if found:
                        return found
        if not self.global_grad_norms:
            return None
        norm = float(np.sqrt(sum(l2_norm(g) ** 2 for g in grads)))
        for b in self.global_grad_norms:
            if norm > b.threshold:
                found = self._fires(b, f"parameter gradient norm {norm:.4g} is above "
                                       f"{b.threshold:g}")
                if found:
                    return found
        return None


def make_breakpoints(specs):
    """The debugger's breakpoints for the enabled BreakpointSpecs: one per condition set, or,
    for a spec without conditions, one on its target (a node key or a layer); each carries
    its spec's index (`spec`, under which its hits are counted) and ignore count."""
    breakpoints = []
    for index, spec in enumerate(specs):
        if not spec.enabled:
            continue
        where = spec.target or None
        conditions = []
        if spec.non_finite:
            conditions.append(Breakpoint.non_finite())
        if spec.grad_norm_above is not None:
            conditions.append(Breakpoint.grad_norm(spec.grad_norm_above, where))
        if spec.dead_relu_above is not None:
            conditions.append(Breakpoint.dead_relu(spec.dead_relu_above, where))
        if spec.loss_up is not None:
            conditions.append(Breakpoint.loss_spike(spec.loss_up))
        if spec.iteration is not None:
            conditions.append(Breakpoint.iteration(spec.iteration))
        if not conditions and where:
            kind = "node" if "/" in where else "layer"
            conditions.append(Breakpoint(kind, where, spec.phase))
        breakpoints += [replace(b, ignore=spec.ignore_count, spec=index) for b in conditions]
    return breakpoints
