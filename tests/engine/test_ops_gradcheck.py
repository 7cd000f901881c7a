"""Every op case of the table (op_cases.py): its backward against central finite
differences in float64."""
import numpy as np
import pytest

import engine as sg
import engine.nn.functional as F
from tests.engine.gradcheck import gradcheck
from tests.engine.op_cases import CASES

rng = np.random.default_rng(1234)


def r(*shape):
    """Random values in [-2, 2), away from 0 so kinks (relu, abs, clamp) are not probed."""
    x = rng.uniform(-2, 2, shape)
    return np.where(np.abs(x) < 0.05, 0.5, x)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_op_gradient_matches_finite_differences(case):
    if "gradcheck" in case.skip:
        pytest.skip(case.skip["gradcheck"])
    gradcheck(case.ours, *case.arrays(np.float64))


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_uses_the_seeded_mask_and_its_gradient(p):
    x = r(6, 5)
    sg.manual_seed(7)
    y = F.dropout(sg.tensor(x), p=p)
    keep = np.random.default_rng(7).random(x.shape) >= p
    np.testing.assert_allclose(y.numpy(), (x * keep / (1 - p)).astype(np.float32), rtol=1e-6)

    def fn(a):
        sg.manual_seed(7)
        return F.dropout(a, p=p)
    gradcheck(fn, x)


def test_dropout_is_identity_in_eval():
    x = sg.tensor(r(4, 4))
    assert F.dropout(x, p=0.5, training=False) is x


def test_max_splits_the_gradient_between_ties_like_torch_amax():
    x = sg.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]], requires_grad=True)
    x.max(1)[0].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [0.5, 0, 0.5]])


def test_composite_graph_with_shared_inputs():
    gradcheck(lambda a, b: ((a @ b).tanh() * a.sum(1, keepdim=True) + b.mean()).softmax(1),
              r(3, 4), r(4, 4))
