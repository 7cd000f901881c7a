"""Every op case of the table (op_cases.py) against PyTorch in float32: forward values and
every input's gradient."""
import numpy as np
import pytest

import engine as sg
import engine.nn.functional as F
from tests.engine.gradcheck import helper_test_op
from tests.engine.op_cases import CASES

torch = pytest.importorskip("torch")
TF = torch.nn.functional


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_op_matches_torch(case):
    if "torch" in case.skip:
        pytest.skip(case.skip["torch"])
    inputs = case.arrays(np.float32)
    if case.grad:
        helper_test_op(None, case.ours, case.torch_fn, inputs=inputs, rtol=case.rtol,
                       atol=case.atol)
        return
    ours = case.ours(*[sg.tensor(a) for a in inputs])
    theirs = case.torch_fn(*[torch.tensor(a) for a in inputs])
    assert not ours.requires_grad
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_indices(dim, keepdim):
    x = (np.random.default_rng(3).permutation(24).reshape(2, 3, 4) / 5.0).astype(np.float32)
    ours, theirs = sg.tensor(x).max(dim, keepdim), torch.tensor(x).max(dim, keepdim)
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    assert ours.indices.dtype == np.int64


def test_bce_at_exact_zero_and_one_matches_torch_clamp():
    p = np.array([0.0, 1.0, 0.5], np.float32)
    t = np.array([1.0, 0.0, 1.0], np.float32)
    ours = F.binary_cross_entropy(sg.tensor(p), sg.tensor(t)).item()
    theirs = TF.binary_cross_entropy(torch.tensor(p), torch.tensor(t)).item()
    assert ours == pytest.approx(theirs, rel=1e-6)
