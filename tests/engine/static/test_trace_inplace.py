"""static.trace records in-place changes of traced tensors (item assignment, `*_` methods,
`x += y`, zero_/fill_) as ops of the graph, so the traced graph computes what eager code
computes for other inputs, instead of keeping the example's values."""
import numpy as np
import pytest

import engine as sg
from engine import static

RNG = np.random.default_rng(0)


def _set_item(x):
    y = x * 2.0
    y[0] = x[1] + 5.0
    return y + 1.0


def _augmented(x):
    y = x * 1.0
    y += x
    y.mul_(3.0)
    return y


def _fill(x):
    y = x * 1.0
    y.zero_()
    y[1] = x[0]
    return y


def _input_itself(x):
    x[0] = 0.0
    return x * 2.0


@pytest.mark.parametrize("fn", [_set_item, _augmented, _fill, _input_itself],
                         ids=lambda f: f.__name__)
def test_traced_in_place_ops_compute_what_eager_computes(fn):
    example = RNG.standard_normal((3, 4)).astype(np.float32)
    graph = static.trace(fn, sg.tensor(example.copy()))
    other = RNG.standard_normal((3, 4)).astype(np.float32)
    got = static.Session(graph).run(graph.outputs[0], {graph.inputs[0]: other})
    np.testing.assert_allclose(got, fn(sg.tensor(other.copy())).numpy(), rtol=1e-6)
