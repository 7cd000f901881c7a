"""Where the debugger can stop (Position) and where each step mode stops next.

Stop points, in the order a training iteration passes them:
- "op": a forward op ran, or a backward op received its gradient;
- "layer_end": a module's forward returned (forward only; in backward the op event that is
  the last backward node of its layer carries `layer_done` instead);
- "phase_end": the end of forward (loss computed), of backward, or of the optimizer update.
"""
from dataclasses import dataclass
from typing import Optional

STEP_MODES = ("op", "layer", "out", "phase", "iteration")
STEP_HITS = {mode: f"step_{mode}" for mode in STEP_MODES}  # the Hit kind of each step's stop


@dataclass(frozen=True)
class Position:
    """Where the debugger stopped: iteration, phase, event and the node, op and scope."""
    iteration: int
    phase: str  # "forward", "backward" or "update"
    event: str  # "op", "layer_end" or "phase_end"
    key: Optional[str] = None
    op: Optional[str] = None
    scope: Optional[str] = None
    layer_done: Optional[str] = None  # the layer whose forward or backward ends here


def _phase_end(p):
    return p.event == "phase_end"


def _layer_end(phase, scope):
    """The end of `scope`'s forward or backward (or, failing that, of the phase)."""
    return lambda p: p.event == "phase_end" or (p.phase == phase and p.layer_done == scope)


def step_target(mode, pos, open_modules, backward_left):
    """A predicate over later positions: True where a step `mode` begun at `pos` stops.

    `pos` is where the debugger is (None before an iteration starts), `open_modules` the
    module paths whose forward has begun and not returned, `backward_left(layer)` how many
    backward events of that layer (nested layers included) are still to come.
    """
    if mode == "op":
        return lambda p: p.event == "op"
    if mode == "phase":
        return _phase_end
    if mode == "iteration":
        return lambda p: p.event == "phase_end" and p.phase == "update"
    inside = pos is not None and pos.event == "op" and pos.layer_done is None
    if mode == "layer":
        if inside and pos.phase == "forward" and pos.scope not in open_modules:
            # a scope that is not a module (e.g. a plain loss function): next layer end
            return lambda p: p.event == "phase_end" or (p.phase == "forward"
                                                         and p.layer_done is not None)
        if inside:
            return _layer_end(pos.phase, pos.scope)
        return lambda p: p.layer_done is not None or (p.event == "phase_end"
                                                      and p.phase == "update")
    if mode != "out":
        raise ValueError(f"unknown step mode {mode!r}; expected one of {STEP_MODES}")
    if pos is None or pos.event == "phase_end":
        return _phase_end
    if pos.phase == "forward":
        if inside and pos.scope in open_modules:
            return _layer_end("forward", pos.scope)
        return _layer_end("forward", open_modules[-1]) if open_modules else _phase_end
    if inside:
        return _layer_end("backward", pos.scope)
    parent = pos.layer_done.rpartition(".")[0]
    if not parent:
        return _phase_end
    return lambda p: p.event == "phase_end" or (p.phase == "backward" and p.event == "op"
                                                and backward_left(parent) == 0)
