"""Lowered ops give the engine op's numbers bit for bit, and the same errors; linear
layers write their gradients straight into the packed optimizer arrays."""
import numpy as np
import pytest

import engine as sg
import engine.nn.functional as F
from engine import nn, optim, static

from engine.ops.losses import CrossEntropy
from engine.static.lowering import LOWERED, LeanLinear


def _pair(cls, attrs):
    ops = []
    for kind in (cls, LOWERED[cls]):
        fn = object.__new__(kind)
        fn.attrs = attrs
        ops.append(fn)
    return ops


@pytest.mark.parametrize("n, classes", [(32, 2), (128, 10), (5, 3), (9, 4), (6, 1)])
def test_lean_cross_entropy_is_bitwise_the_engine_op(n, classes):
    rng = np.random.default_rng(n)
    logits = (rng.standard_normal((n, classes)) * 5).astype(np.float32)
    target = rng.integers(0, classes, n)
    engine_op, lean = _pair(CrossEntropy, {"reduction": "mean"})
    for _ in range(2):  # the second call reuses the kept row index
        assert engine_op.forward(logits, target) == lean.forward(logits, target)
        one = np.float32(1.0)
        np.testing.assert_array_equal(engine_op.backward(one)[0], lean.backward(one)[0])


@pytest.mark.parametrize("target", [[0, 3], [-1, 0], [2, -4]])
def test_lean_cross_entropy_rejects_targets_out_of_range(target):
    _, lean = _pair(CrossEntropy, {"reduction": "mean"})
    with pytest.raises(IndexError, match="out of range"):
        lean.forward(np.zeros((2, 3), np.float32), np.array(target))


def test_linear_gradients_land_in_the_packed_optimizer_arrays():
    sg.manual_seed(0)
    with static.Graph() as g:
        x = static.placeholder("x", (None, 3))
        y = static.placeholder("y", (None,), dtype="int64")
        model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
        train = static.minimize(F.cross_entropy(model(x), y), optim.SGD(model.parameters(), lr=0.1))
    sess = static.Session(g)
    feed = {x: np.ones((4, 3), np.float32), y: np.array([0, 1, 1, 0])}
    sess.run(train, feed)
    sess.run(train, feed)
    lean = [fn for fn in sess._executor.fns.values() if isinstance(fn, LeanLinear)]
    written = [a for fn in lean for a in fn.grad_out if a is not None]
    assert len(written) == 4  # both layers' weight and bias gradients
    flat = written[0].base
    assert all(a.base is flat for a in written)
