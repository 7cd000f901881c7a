"""Loss modules against PyTorch for every reduction: value and the input's gradient."""
import numpy as np
import pytest

import engine as sg
from engine import nn

torch = pytest.importorskip("torch")
tnn = torch.nn

REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng(0)
LOGITS = (rng.standard_normal((6, 4)) * 3).astype(np.float32)
CLASSES = rng.integers(0, 4, 6)
PROBS = rng.dirichlet(np.ones(4), 6).astype(np.float32)
VALUES = rng.standard_normal((6, 4)).astype(np.float32)
UNIT = rng.uniform(0.02, 0.98, (6, 4)).astype(np.float32)
BITS = rng.integers(0, 2, (6, 4)).astype(np.float32)

CASES = [
    ("cross_entropy_classes", nn.CrossEntropyLoss, tnn.CrossEntropyLoss, LOGITS, CLASSES),
    ("cross_entropy_probabilities", nn.CrossEntropyLoss, tnn.CrossEntropyLoss, LOGITS, PROBS),
    ("mse", nn.MSELoss, tnn.MSELoss, VALUES, UNIT),
    ("bce", nn.BCELoss, tnn.BCELoss, UNIT, BITS),
    ("bce_soft_targets", nn.BCELoss, tnn.BCELoss, UNIT, UNIT[::-1].copy()),
    ("bce_with_logits", nn.BCEWithLogitsLoss, tnn.BCEWithLogitsLoss, LOGITS, BITS),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,ours_cls,theirs_cls,inp,target", CASES, ids=[c[0] for c in CASES])
def test_loss_matches_torch(name, ours_cls, theirs_cls, inp, target, reduction):
    x_s = sg.tensor(inp, requires_grad=True)
    x_t = torch.tensor(inp, requires_grad=True)
    ours = ours_cls(reduction=reduction)(x_s, sg.tensor(target))
    theirs = theirs_cls(reduction=reduction)(x_t, torch.tensor(target))
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
    upstream = rng.standard_normal(tuple(theirs.shape)).astype(np.float32)
    ours.backward(sg.tensor(upstream))
    theirs.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x_s.grad.numpy(), x_t.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_bce_clamps_log_of_zero_like_torch():
    p, t = np.array([0.0, 1.0, 0.5], np.float32), np.array([1.0, 0.0, 1.0], np.float32)
    ours = nn.BCELoss(reduction="none")(sg.tensor(p), sg.tensor(t)).numpy()
    theirs = tnn.BCELoss(reduction="none")(torch.tensor(p), torch.tensor(t)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_bad_reduction_is_refused():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="average")


def test_cross_entropy_shape_error_names_op_and_shapes():
    with pytest.raises(sg.ShapeError, match=r"cross_entropy.*\(6, 4\).*\(5,\)"):
        nn.CrossEntropyLoss()(sg.tensor(LOGITS), sg.tensor(CLASSES[:5]))
