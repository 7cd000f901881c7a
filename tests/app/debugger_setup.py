"""Small training runs for the debugger tests, and a plain loop to compare them with."""
import numpy as np

import engine as sg
import engine.nn.functional as F
from app.debugging.interface import LOSS_SCOPE, TrainingRun
from engine import nn, optim
from engine.data.dataset import TensorDataset
from engine.data.loader import DataLoader


def blobs(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return X, y


def mlp_run(sizes=(2, 8, 8, 2), batch=16, lr=0.1, momentum=0.0, seed=0, loss_module=True,
            shuffle_seed=1, model=None):
    """A TrainingRun of an MLP (Linear/ReLU stack) on a 2-D toy set."""
    sg.manual_seed(seed)
    if model is None:
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        model = nn.Sequential(*layers[:-1])
    X, y = blobs()
    loader = DataLoader(TensorDataset(X, y), batch_size=batch, shuffle=True, seed=shuffle_seed)
    loss_fn = nn.CrossEntropyLoss() if loss_module else F.cross_entropy
    return TrainingRun(model, loss_fn, optim.SGD(model.parameters(), lr=lr, momentum=momentum),
                       loader)


def plain_training(run, iterations, after_each=None):
    """The losses of `iterations` steps of the plain loop (the debugger's reference);
    `after_each()` runs after every step."""
    losses, done = [], 0
    while done < iterations:
        for x, y in run.data:
            if done == iterations:
                break
            run.optimizer.zero_grad()
            out = run.model(x)
            with sg.scope(LOSS_SCOPE):
                loss = run.loss_fn(out, y)
            loss.backward()
            run.optimizer.step()
            losses.append(float(loss.data))
            done += 1
            if after_each is not None:
                after_each()
    return losses


def command(debugger, name, timeout=10):
    """Send a command and wait for the debugger to settle (fails rather than hangs)."""
    getattr(debugger, name)()
    assert debugger.wait(timeout), f"debugger did not settle after {name}"
    return debugger.state()
