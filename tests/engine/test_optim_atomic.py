"""An optimizer step is all or nothing: an out-of-memory error half-way through the update
leaves every weight and every piece of optimizer state as it was."""
import copy

import numpy as np
import pytest

import engine as sg
from engine import nn, optim
from engine.testing import inject_out_of_memory

OPTIMIZERS = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.1),
    "sgd_momentum_decay": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    "adam": lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.01),
    "adamw": lambda ps: optim.AdamW(ps, lr=0.1),
}


def _setup(name):
    sg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = OPTIMIZERS[name](model.parameters())
    x = sg.randn(8, 3)

    def backward():
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
    return model, opt, backward


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("steps_before", [0, 2])
def test_a_step_that_fails_half_way_changes_nothing(name, steps_before):
    model, opt, backward = _setup(name)
    for _ in range(steps_before):
        backward()
        opt.step()
    before, state, count = model.state_dict(), copy.deepcopy(opt.state), opt.step_count
    backward()
    with inject_out_of_memory(after=2, where="update") as seen:
        with pytest.raises(MemoryError):
            opt.step()
    assert seen["raised"] == 1
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)
    assert opt.step_count == count and opt.state.keys() == state.keys()
    for key, entry in state.items():
        assert entry.keys() == opt.state[key].keys()
        for name_, value in entry.items():
            np.testing.assert_array_equal(opt.state[key][name_], value)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_failed_step_then_a_good_one_equals_one_good_step(name):
    failed, opt_f, backward_f = _setup(name)
    clean, opt_c, backward_c = _setup(name)
    for model, opt, backward in ((failed, opt_f, backward_f), (clean, opt_c, backward_c)):
        backward()
        opt.step()
    backward_f()
    with inject_out_of_memory(after=1, where="update"):
        with pytest.raises(MemoryError):
            opt_f.step()
    opt_f.step()
    backward_c()
    opt_c.step()
    for key, value in clean.state_dict().items():
        np.testing.assert_array_equal(failed.state_dict()[key], value, err_msg=key)
