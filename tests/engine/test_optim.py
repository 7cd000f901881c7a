"""Optimizers: 50-step trajectories of a small MLP against PyTorch from the same initial
weights, hand-computed single steps, observer notification and argument checks."""
import numpy as np
import pytest

import engine as sg
from engine import nn, optim

rng = np.random.default_rng(0)
X = rng.standard_normal((32, 4)).astype(np.float32)
Y = rng.integers(0, 3, 32)

CONFIGS = {  # name: (class name in both libraries, keyword arguments)
    "sgd": ("SGD", dict(lr=0.1)),
    "sgd_momentum_weight_decay": ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=1e-2)),
    "adam": ("Adam", dict(lr=1e-2)),
    "adam_weight_decay": ("Adam", dict(lr=1e-2, betas=(0.8, 0.99), weight_decay=1e-2)),
    "adamw": ("AdamW", dict(lr=1e-2, weight_decay=0.1)),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_50_step_trajectory_matches_torch(name):
    torch = pytest.importorskip("torch")
    sg.manual_seed(0)
    ours = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 16),
                                 torch.nn.ReLU(), torch.nn.Linear(16, 3))
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    cls, kwargs = CONFIGS[name]
    opt_s = getattr(optim, cls)(ours.parameters(), **kwargs)
    opt_t = getattr(torch.optim, cls)(theirs.parameters(), **kwargs)
    loss_fn_s, loss_fn_t = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    losses_s, losses_t = [], []
    for _ in range(50):
        opt_s.zero_grad()
        loss = loss_fn_s(ours(sg.tensor(X)), sg.tensor(Y))
        loss.backward()
        opt_s.step()
        losses_s.append(loss.item())
        opt_t.zero_grad()
        loss = loss_fn_t(theirs(torch.tensor(X)), torch.tensor(Y))
        loss.backward()
        opt_t.step()
        losses_t.append(loss.item())
    assert losses_s[-1] < 0.9 * losses_s[0]  # it trained
    np.testing.assert_allclose(losses_s, losses_t, rtol=2e-5, atol=1e-6)
    state = theirs.state_dict()
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(value, state[key].numpy(), rtol=1e-4, atol=2e-6, err_msg=key)


def param(values):
    return nn.Parameter(np.array(values, np.float32))


def test_sgd_momentum_step_by_hand():
    p = param([1.0, -2.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.5, weight_decay=0.1)
    grads = [np.array([0.5, 1.0], np.float32), np.array([-1.0, 2.0], np.float32)]
    w, buf = np.array([1.0, -2.0]), None
    for g in grads:
        p.grad = sg.tensor(g)
        opt.step()
        d = g + 0.1 * w
        buf = d if buf is None else 0.5 * buf + d
        w = w - 0.1 * buf
        np.testing.assert_allclose(p.numpy(), w, rtol=1e-6)


@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_steps_by_hand(decoupled):
    p = param([0.5, -1.5, 3.0])
    cls = optim.AdamW if decoupled else optim.Adam
    opt = cls([p], lr=0.01, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.05)
    w, m, v = np.array([0.5, -1.5, 3.0]), 0.0, 0.0
    for t in range(1, 4):
        g = np.array([0.1, -0.2, 0.3]) * t
        p.grad = sg.tensor(g.astype(np.float32))
        opt.step()
        if decoupled:
            w = w * (1 - 0.01 * 0.05)
        else:
            g = g + 0.05 * w
        m = 0.9 * m + 0.1 * g
        v = 0.99 * v + 0.01 * g * g
        w = w - 0.01 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.99 ** t)) + 1e-8)
        np.testing.assert_allclose(p.numpy(), w, rtol=1e-5)


def test_updates_are_in_place_and_skip_params_without_grad():
    a, b = param([1.0]), param([2.0])
    array = a.array
    opt = optim.SGD([a, b], lr=1.0)
    a.grad = sg.tensor([0.25])
    opt.step()
    assert a.array is array and a.numpy()[0] == 0.75 and b.numpy()[0] == 2.0
    opt.zero_grad()
    assert a.grad is None


def test_observers_see_each_step():
    class Counter(sg.Observer):
        steps = []

        def on_optimizer_step(self, optimizer):
            self.steps.append(optimizer.step_count)

    p = param([1.0])
    opt = optim.Adam([p])
    p.grad = sg.tensor([1.0])
    with sg.observe(Counter()) as counter:
        opt.step()
        opt.step()
    assert counter.steps == [1, 2]


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="SGD"):
        optim.SGD([param([1.0])], lr=-1)
    with pytest.raises(ValueError, match="Adam"):
        optim.Adam([param([1.0])], betas=(0.9, 1.0))
