"""Words and formulas for the op being stepped: what its forward computes and what its
backward sends to each input, with the actual shapes ("y = x · Wᵀ + b: (32, 2) · (2, 16)ᵀ +
(16,) → (32, 16)"). Each op's text is declared by its class (`narrate`, engine.ops.words);
this module fills it in with the shapes of a call or of a debugger's node.

`narrate(op, input_shapes, output_shape, phase, attrs, scope)` works from plain data, so it
serves the debugger's graph nodes (which carry no attrs: the text then stays general) as well
as engine nodes. `narrate_state(state, param_shapes)` narrates a debugger state's current node.
Notation: ⊙ and ⊘ are elementwise product and division, g = dL/dy the gradient arriving from
the loss, [cond] is 1 where cond holds and 0 elsewhere.
"""
from dataclasses import dataclass
from typing import Optional

from engine.ops import op_class, op_classes
from engine.ops.words import Shapes

UPDATE_TEXT = ("Optimizer update: every parameter moves against its gradient, "
               "W ← W − lr · dL/dW (SGD; momentum and Adam rescale the step per entry). "
               "The graph of this iteration is then freed; the next forward builds a new one.")


@dataclass(frozen=True)
class Narration:
    op: str
    scope: str
    phase: str
    title: str
    forward: str  # one statement per line
    backward: str

    @property
    def current(self):
        """The text for the phase being stepped."""
        return self.backward if self.phase == "backward" else self.forward


def narrated_ops():
    """The op names with their own narration (declared by the op's class)."""
    return frozenset(cls.op for cls in op_classes() if cls.narrate is not None)


def narrate(op, input_shapes, output_shape, phase="forward", attrs=None, scope=""):
    """The Narration of one op with these shapes; ops without their own text get a general
    one (inputs → output, and the chain rule)."""
    c = Shapes(input_shapes, output_shape, attrs)
    cls = op_class(op)
    if cls is None or cls.narrate is None:
        ins = c.inputs()
        title, fwd, bwd = (op, f"y = {op}({ins}) → {c.y}",
                           f"dL/dinput = g · ∂y/∂input (chain rule) → {ins}")
    else:
        title, fwd, bwd = cls.narrate(c)
    if scope:
        title = f"{title} in layer {scope}"
    return Narration(op, scope, phase or "forward", title, fwd, bwd)


def parameter_shapes(model):
    """{parameter name: shape} of a model, to give graph inputs named after parameters a shape."""
    return {name: tuple(p.shape) for name, p in model.named_parameters()}


def _guess_missing(op, shapes, out):
    """Shapes of graph inputs the debugger does not record (the batch: "input", "target"),
    where the op determines them from its other shapes (its `complete_shapes`)."""
    cls = op_class(op)
    return list(shapes) if cls is None or out is None else cls.complete_shapes(shapes, out)


def narrate_state(state, param_shapes=None, key=None) -> Optional[Narration]:
    """The narration of a debugger state's current node (or of `key`), None when there is
    no node to narrate. Phase "update" narrates the optimizer step."""
    if state is None:
        return None
    key = key or state.key
    if state.phase == "update" and key == state.key:
        return Narration("update", "", "update", "Optimizer update", UPDATE_TEXT, UPDATE_TEXT)
    nodes = {node.key: node for node in state.graph}
    node = nodes.get(key)
    if node is None:
        return None
    known = dict(param_shapes or {})
    shapes = []
    for source in node.inputs:
        if source in nodes:
            shapes.append(tuple(nodes[source].shape))
        else:
            shapes.append(known.get(source))
    shapes = _guess_missing(node.op, shapes, tuple(node.shape))
    phase = state.phase if key == state.key and state.phase else "forward"
    return narrate(node.op, shapes, node.shape, phase, None, node.scope)
