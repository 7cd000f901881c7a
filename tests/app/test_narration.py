"""Narration: every op kind the engine has is explained forward and backward, with shapes."""
import numpy as np
import pytest

import engine as sg
from engine.ops import op_classes
from engine.ops.words import fmt

from app.debugging.debugger import Debugger
from app.teaching.narration import narrate, narrate_state, narrated_ops, parameter_shapes

from tests.engine.op_cases import CASES

from .debugger_setup import command, mlp_run


class _Arity(sg.Observer):
    """How many tensors each op class took in its first case of the op-case table."""

    def __init__(self):
        self.of = {}

    def on_forward(self, node):
        self.of.setdefault(type(node), len(node.inputs))


def _arities():
    arity = _Arity()
    with sg.observe(arity):
        for case in CASES:
            case.ours(*[sg.tensor(a, requires_grad=True) for a in case.arrays(np.float64)])
    return arity.of


ARITY = _arities()
FUNCTIONS = op_classes()


def test_the_enumeration_finds_the_engine_ops():
    names = {c.op for c in FUNCTIONS}
    assert {"linear", "conv2d", "cross_entropy", "relu", "matmul"} <= names
    assert len(FUNCTIONS) >= 30


@pytest.mark.parametrize("cls", FUNCTIONS, ids=lambda c: c.__name__)
def test_every_op_is_narrated_with_its_shapes(cls):
    op = cls.op
    assert cls.narrate is not None and op in narrated_ops(), \
        f"{cls.__name__} (op {op!r}) has no narration"
    shapes = [(3 + k, 5 + k) for k in range(ARITY.get(cls, 1))]
    text = narrate(op, shapes, (9, 11), "forward", scope="block")
    assert text.forward and text.backward
    assert "(9, 11)" in text.forward
    assert "dL/d" in text.backward and "→" in text.backward
    for shape in shapes:
        assert fmt(shape) in text.forward + text.backward, (op, shape)
    assert text.current == text.forward
    assert "block" in text.title
    assert narrate(op, shapes, (9, 11), "backward").current == text.backward


def test_linear_in_words_and_shapes():
    n = narrate("linear", [(32, 2), (16, 2), (16,)], (32, 16), "backward", scope="0")
    assert "y = x · Wᵀ + b: (32, 2) · (2, 16) + (16,) → (32, 16)" in n.forward
    assert "dL/dx = g · W → (32, 2)" in n.current
    assert "dL/dW = gᵀ · x → (16, 2)" in n.current
    assert "dL/db = Σ_batch g → (16,)" in n.current


def test_attrs_and_broadcasting_refine_the_text():
    assert "a^2" in narrate("pow", [(4, 3)], (4, 3), attrs={"exponent": 2}).forward
    assert "dim 1" in narrate("softmax", [(8, 10)], (8, 10), attrs={"dim": 1}).forward
    assert "(1/80)" in narrate("mean", [(8, 10)], (), attrs={"dim": None}).forward
    add = narrate("add", [(32, 16), (16,)], (32, 16))
    assert "broadcast" in add.forward
    assert "dL/db = Σ over the broadcast dims of (g) → (16,)" in add.backward
    assert "dL/da = g → (32, 16)" in add.backward


def test_unknown_ops_get_a_general_text():
    n = narrate("fused", [(2, 3)], (2, 3))
    assert "fused" not in narrated_ops()
    assert "(2, 3)" in n.forward and "chain rule" in n.backward


def test_narrates_the_debuggers_current_node():
    run = mlp_run(sizes=(2, 8, 2), batch=16)
    debugger = Debugger(run)
    try:
        state = command(debugger, "step_op")
        n = narrate_state(state, parameter_shapes(run.model))
        assert state.key == "0/linear#0"
        assert n.phase == "forward" and n.scope == "0"
        assert "(16, 2) · (2, 8) + (8,) → (16, 8)" in n.current
        assert narrate_state(state, None).forward.startswith("y = x · Wᵀ + b: ? · ?ᵀ + ? → (16, 8)")
        while state.phase != "backward":
            state = command(debugger, "step_op")
        n = narrate_state(state, parameter_shapes(run.model))
        assert n.current == n.backward and "dL/d" in n.current
        assert n.op == state.position.op
    finally:
        debugger.close()
