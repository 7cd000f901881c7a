"""The op-case table covers every op: each op class of engine.ops runs in some case; and
what engine.nn derives from the op declarations."""
import inspect
import sys

import numpy as np

import engine as sg
import engine.nn.functional as F
from engine import nn
from engine.autograd import Function
from engine.nn.activation import layer_of
from engine.ops import op_classes
from tests.engine.op_cases import CASES


class _Ops(sg.Observer):
    def __init__(self):
        self.seen = set()

    def on_forward(self, node):
        self.seen.add(type(node))


def test_every_op_class_has_a_case():
    ops = _Ops()
    with sg.observe(ops):
        for case in CASES:
            case.ours(*[sg.tensor(a, requires_grad=True) for a in case.arrays(np.float64)])
    missing = sorted(cls.__name__ for cls in op_classes() if cls not in ops.seen)
    assert not missing, f"ops without a case in tests/engine/op_cases.py: {missing}"


def test_case_names_are_unique():
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))


class _Scale(Function):
    """A test op declaring a layer with one attr (as LeakyReLU's negative_slope)."""

    op = "scale"
    module = "Scale"

    def forward(self, a, factor=2.0):
        return a * factor

    def backward(self, gy):
        return (gy * self.attrs["factor"],)


def test_an_op_declaring_a_layer_gives_its_module_with_the_op_attrs():
    Scale = layer_of(_Scale)
    assert Scale.__name__ == "Scale" and list(inspect.signature(Scale).parameters) == ["factor"]
    assert Scale().factor == 2.0 and Scale(3.0).factor == 3.0
    layer = Scale(factor=0.5)
    assert repr(layer) == "Scale(factor=0.5)"
    y = layer(sg.tensor([2.0, -4.0], requires_grad=True))
    assert y.creator.op == "scale" and y.creator.attrs == {"factor": 0.5}
    np.testing.assert_array_equal(y.detach().numpy(), [1.0, -2.0])


def test_engine_nn_and_functional_expose_the_declared_layers():
    for op in op_classes():
        if op.module is not None:
            assert getattr(nn, op.module).forward is not nn.Module.forward
            assert getattr(F, op.op) is getattr(sys.modules[op.__module__], op.op)
    assert nn.ReLU.__module__ == "engine.nn.activation" and F.relu(sg.tensor([-1.0])).item() == 0
