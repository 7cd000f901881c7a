"""Small models and data shared by the static-mode tests, plus a dynamic reference run."""
import numpy as np

import engine as sg
import engine.nn.functional as F
from engine import nn, optim


class SeqClassifier(nn.Module):
    """LSTM over a sequence, a linear layer on the last output."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 8, batch_first=True)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


def mlp():
    return nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(),
                         nn.Linear(16, 2))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(4 * 4 * 4, 3))


def data(kind, seed=0):
    """(model factory, X, Y, placeholder shape of X)."""
    rng = np.random.default_rng(seed)
    if kind == "mlp":
        x = rng.standard_normal((32, 2)).astype(np.float32)
        return mlp, x, (x[:, 0] * x[:, 1] > 0).astype(np.int64), (None, 2)
    if kind == "cnn":
        x = rng.standard_normal((6, 1, 8, 8)).astype(np.float32)
        return cnn, x, rng.integers(0, 3, 6), (None, 1, 8, 8)
    x = rng.standard_normal((4, 5, 3)).astype(np.float32)
    return SeqClassifier, x, rng.integers(0, 2, 4), (4, 5, 3)  # the LSTM needs a fixed batch


def make_optimizer(name, params):
    if name == "sgd":
        return optim.SGD(params, lr=0.1, momentum=0.9)
    if name == "adamw":
        return optim.AdamW(params, lr=0.01, weight_decay=0.1)
    return optim.Adam(params, lr=0.01)


def dynamic_trajectory(model, opt, x, y, steps):
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(sg.tensor(x)), sg.tensor(y))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses)
