"""Static mode against eager for every op case of the table (op_cases.py): a graph written
with the builder (placeholders) and one traced from the same code give the eager forward
value and, through static.gradients, the eager gradient of every input (float64)."""
import warnings

import numpy as np
import pytest

import engine as sg
from engine import static
from tests.engine.op_cases import CASES


def _eager(case, arrays, weight):
    tensors = [sg.tensor(a, requires_grad=True) for a in arrays]
    out = case.ours(*tensors)
    if not case.grad:
        return out.numpy(), []
    (out * sg.tensor(weight)).sum().backward()
    return out.numpy(), [t.grad.numpy() for t in tensors]


def _built(case, arrays, weight):
    with static.Graph() as g:
        xs = [static.placeholder(f"x{k}", a.shape, a.dtype) for k, a in enumerate(arrays)]
        out = case.ours(*xs)
        loss = (out * sg.tensor(weight)).sum() if case.grad else None
    grads = static.gradients(loss, xs) if case.grad else []
    return g, xs, out, grads


def _traced(case, arrays, weight):
    def both(*xs):
        out = case.ours(*xs)
        return (out, (out * sg.tensor(weight)).sum()) if case.grad else out
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an op case must not depend on its values
        g = static.trace(both, *[sg.tensor(a) for a in arrays])
    grads = static.gradients(g.outputs[1], g.inputs) if case.grad else []
    return g, g.inputs, g.outputs[0], grads


@pytest.mark.parametrize("how", ["builder", "trace"])
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_static_matches_eager(case, how):
    for scope in ("static", how):
        if scope in case.skip:
            pytest.skip(case.skip[scope])
    arrays = case.arrays(np.float64)
    weight = _weight(case, arrays)
    eager = _eager(case, arrays, weight)
    g, xs, out, grads = (_built if how == "builder" else _traced)(case, arrays, weight)
    values = static.Session(g).run([out] + list(grads), dict(zip(xs, arrays)))
    np.testing.assert_allclose(values[0], eager[0], rtol=1e-7, atol=1e-10, err_msg="forward")
    for k, (got, expected) in enumerate(zip(values[1:], eager[1])):
        np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-10,
                                   err_msg=f"gradient of input {k}")
    assert len(values) == 1 + len(eager[1])


def _weight(case, arrays):
    """A random upstream gradient shaped like the case's output."""
    with sg.no_grad():
        shape = case.ours(*[sg.tensor(a) for a in arrays]).shape
    return np.random.default_rng(0).standard_normal(shape)
