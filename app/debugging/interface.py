"""The one interface the session uses for both debuggers (dynamic: app/debugging/debugger.py,
static: app/debugging/static_debugger.py), with what they report: DebuggerState snapshots.

`BaseDebugger` adds to the shared worker commands (app/debugging/worker_commands.py) what the
views read. What only one mode can do is declared here too and guarded by a capability flag,
so that callers ask the flag instead of probing the object:
- `sees_every_op` (dynamic mode): every op of an iteration is observed, so the gradients
  reached so far (`gradient_keys`) and the value of any edge's source (`source_value`) exist;
- `fetches` (static mode): only fetched nodes have values; `fetch_plan()` is the compiled
  graph's current plan and `set_fetches(keys)` recompiles it to fetch more.
"""
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Optional

from app.debugging.breakpoints import Hit
from app.debugging.stepping import Position
from app.debugging.worker_commands import WorkerCommands

LOSS_SCOPE = "loss"  # the scope the loss is computed in


@dataclass
class TrainingRun:
    """What a debugger drives: `data` yields (x, y) batches, re-iterated for each epoch."""

    model: Any
    loss_fn: Any
    optimizer: Any
    data: Any


@dataclass(frozen=True)
class DebuggerState:
    """A consistent snapshot of a debugger (`state()`)."""

    generation: int
    status: str  # "stopped", "running" or "paused"
    iteration: int  # the iteration in progress (or next to run)
    completed: int  # iterations whose optimizer step is done
    position: Optional[Position]
    last_hit: Optional[Hit]
    loss: Optional[float]
    graph: tuple  # GraphNodes of the current iteration, in forward order
    new_keys: frozenset  # keys absent from the previous iteration's graph
    absent_keys: frozenset  # keys of the previous graph missing from this one
    error: Optional[str]

    @property
    def phase(self):
        """The phase of the stop position ("forward", "backward", "update"), or None."""
        return self.position.phase if self.position else None

    @property
    def key(self):
        """The node key of the stop position, or None."""
        return self.position.key if self.position else None


class BaseDebugger(WorkerCommands, ABC):
    """What the session asks of a debugger, dynamic or static (see the module docstring).
    `history` is its app.debugging.history.History."""

    sees_every_op = False  # capability: gradient_keys() and source_value()
    fetches = False  # capability: fetch_plan() and set_fetches()

    @abstractmethod
    def set_breakpoints(self, breakpoints):
        """Replace the breakpoints (app.debugging.breakpoints.Breakpoint)."""

    @abstractmethod
    def value(self, key):
        """A host copy of node `key`'s value in the current iteration; KeyError (saying
        why) when there is none."""

    @abstractmethod
    def grad(self, key):
        """A host copy of the gradient reaching node `key` in the current iteration;
        KeyError (saying why) when there is none."""

    def missing_message(self, key):
        """Why node `key` has no value now."""
        return "not computed in this iteration yet"

    def gradient_keys(self):
        """Keys of the nodes backward has reached so far in the current iteration
        (`sees_every_op` only)."""
        raise NotImplementedError(f"{type(self).__name__} does not see every op")

    def source_value(self, source):
        """A host copy of an edge's source in the current iteration (a node key, a parameter
        name, "input" or "target"), None when unknown (`sees_every_op` only)."""
        raise NotImplementedError(f"{type(self).__name__} does not see every op")

    def fetch_plan(self):
        """The compiled graph's plan: `fetch_keys`, `fetchable_keys()`, `peak_bytes_after`
        (`fetches` only)."""
        raise NotImplementedError(f"{type(self).__name__} has no fetch list")

    def set_fetches(self, keys):
        """Recompile fetching `keys` each step; returns the new plan (`recompile_seconds`
        says what it cost; `fetches` only)."""
        raise NotImplementedError(f"{type(self).__name__} has no fetch list")
