"""BatchNorm1d/2d against PyTorch in train and eval mode: outputs, gradients, and the
running statistics (unbiased variance, momentum 0.1, num_batches_tracked) over several steps."""
import numpy as np
import pytest

import engine as sg
from engine import nn

from .nn_checks import compare_with_torch

torch = pytest.importorskip("torch")
tnn = torch.nn

CASES = [(nn.BatchNorm1d, tnn.BatchNorm1d, (8, 3)),
         (nn.BatchNorm1d, tnn.BatchNorm1d, (4, 3, 5)),
         (nn.BatchNorm2d, tnn.BatchNorm2d, (4, 3, 5, 2))]


def batch(shape, step):
    rng = np.random.default_rng(step)
    return (rng.standard_normal(shape) * (1 + step) + step).astype(np.float32)


def randomise(theirs):
    with torch.no_grad():
        theirs.weight.copy_(torch.randn(theirs.weight.shape))
        theirs.bias.copy_(torch.randn(theirs.bias.shape))
        theirs.running_mean.copy_(torch.randn(theirs.running_mean.shape))
        theirs.running_var.copy_(torch.rand(theirs.running_var.shape) + 0.5)


@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
@pytest.mark.parametrize("ours_cls,theirs_cls,shape", CASES)
def test_train_mode_matches_torch_over_steps(ours_cls, theirs_cls, shape, momentum):
    ours, theirs = ours_cls(3, momentum=momentum), theirs_cls(3, momentum=momentum)
    randomise(theirs)
    compare_with_torch(ours, theirs, [batch(shape, 0)])  # loads theirs, checks gradients
    for step in range(1, 4):  # our own running statistics from here on
        x = batch(shape, step)
        np.testing.assert_allclose(ours(sg.tensor(x)).numpy(),
                                   theirs(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-4, atol=1e-5)
    state = theirs.state_dict()
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(value, state[name].numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
    assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == 4


@pytest.mark.parametrize("ours_cls,theirs_cls,shape", CASES)
def test_eval_mode_uses_running_stats(ours_cls, theirs_cls, shape):
    ours, theirs = ours_cls(3), theirs_cls(3)
    randomise(theirs)
    ours.eval()
    theirs.eval()
    before = theirs.running_mean.clone()
    compare_with_torch(ours, theirs, [batch(shape, 3)])
    np.testing.assert_array_equal(ours.running_mean, before.numpy())  # eval changes nothing
    assert int(ours.num_batches_tracked) == 0


def test_state_dict_round_trip_to_torch():
    ours = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    ours(sg.randn(6, 4))  # moves the running statistics away from their defaults
    theirs = tnn.Sequential(tnn.Linear(4, 3), tnn.BatchNorm1d(3))
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    assert list(theirs.state_dict()) == list(ours.state_dict())
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), ours.state_dict()[name])
    assert int(theirs[1].num_batches_tracked) == 1


def test_wrong_channel_count_names_layer_and_shape():
    model = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(3))
    with pytest.raises(sg.ShapeError, match=r"BatchNorm1d in '1'.*\(6, 5\)"):
        model(sg.randn(6, 4))


def test_without_affine_or_running_stats():
    x = batch((6, 3), 0)
    for kwargs in (dict(affine=False), dict(track_running_stats=False)):
        ours, theirs = nn.BatchNorm1d(3, **kwargs), tnn.BatchNorm1d(3, **kwargs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        compare_with_torch(ours.eval(), theirs.eval(), [x])


def test_single_value_per_channel_in_training_is_refused():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(sg.randn(1, 3))
