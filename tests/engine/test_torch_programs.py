"""PyTorch-style programs run unchanged with `import engine as torch`: each program below is
written once against a `torch` module and run with the engine and with PyTorch, from the same
initial weights; the losses must agree."""
import numpy as np
import pytest

import engine

real_torch = pytest.importorskip("torch")


def _copy_weights(torch, model, weights):
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(torch.tensor(w))


def regression_with_loader(torch, weights, X, Y):
    """DataLoader + StepLR + clip_grad_norm_, as in the PyTorch tutorials."""
    nn = torch.nn
    from_data = torch.utils.data
    model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
    _copy_weights(torch, model, weights)
    loader = from_data.DataLoader(from_data.TensorDataset(torch.tensor(X), torch.tensor(Y)),
                                  batch_size=8)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    losses = []
    for _ in range(4):
        for xb, yb in loader:
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(xb), yb)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            losses.append(loss.item())
        scheduler.step()
    return losses


def manual_update_loop(torch, weights, X, Y):
    """micrograd / Karpathy style: p.data -= lr * p.grad, grads zeroed by hand."""
    w1 = torch.tensor(weights[0], requires_grad=True)
    b1 = torch.tensor(weights[1], requires_grad=True)
    x, y = torch.tensor(X), torch.tensor(Y)
    losses = []
    for _ in range(10):
        pred = (x @ w1.t() + b1).tanh().sum(dim=1, keepdim=True)
        loss = ((pred - y) ** 2).mean()
        for p in (w1, b1):
            p.grad = None
        loss.backward()
        for p in (w1, b1):
            p.data -= 0.05 * p.grad
        losses.append(loss.item())
    return losses


def bigram(torch, weights, words):
    """Karpathy's bigram: counts by item assignment, a linear layer of logits trained with
    F.cross_entropy, and sampling with torch.multinomial."""
    F = torch.nn.functional
    chars = sorted(set("".join(words)))
    stoi = {c: i + 1 for i, c in enumerate(chars)}
    n = len(stoi) + 1
    xs, ys = [], []
    for w in words:
        seq = [0] + [stoi[c] for c in w] + [0]
        for a, b in zip(seq, seq[1:]):
            xs.append(a)
            ys.append(b)
    xs, ys = torch.tensor(xs), torch.tensor(ys)
    W = torch.tensor(weights[0][:n, :n].copy(), requires_grad=True)
    losses = []
    for _ in range(20):
        xenc = F.one_hot(xs, num_classes=n).float()
        logits = xenc @ W
        loss = F.cross_entropy(logits, ys) + 0.01 * (W ** 2).mean()
        W.grad = None
        loss.backward()
        W.data += -10 * W.grad
        losses.append(loss.item())
    g = torch.Generator().manual_seed(2147483647)
    probs = F.softmax(W.detach()[0], dim=0)
    sample = torch.multinomial(probs, num_samples=5, replacement=True, generator=g)
    assert sample.shape == (5,) and int(sample.max()) < n
    return losses


def lstm_sequence_model(torch, weights, X, Y):
    """A two-layer LSTM, time first (PyTorch's default batch_first=False), with a Linear head
    on the last step, trained by plain SGD."""
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(3, 6, num_layers=2, batch_first=False)
            self.head = nn.Linear(6, 1)

        def forward(self, x):
            out, _ = self.lstm(x)  # out: (time, batch, hidden)
            return self.head(out[-1])

    model = Net()
    _copy_weights(torch, model, weights)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.tensor(X), torch.tensor(Y)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def _data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 3)).astype(np.float32)
    Y = np.sin(X.sum(axis=1, keepdims=True)).astype(np.float32)
    return rng, X, Y


def test_training_loop_with_loader_scheduler_and_clipping():
    rng, X, Y = _data()
    weights = [rng.standard_normal(s).astype(np.float32) * 0.5 for s in ((16, 3), (16,), (1, 16), (1,))]
    ours = regression_with_loader(engine, weights, X, Y)
    theirs = regression_with_loader(real_torch, weights, X, Y)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)


def test_in_place_update_loop():
    rng, X, Y = _data()
    weights = [rng.standard_normal(s).astype(np.float32) * 0.5 for s in ((4, 3), (4,))]
    np.testing.assert_allclose(manual_update_loop(engine, weights, X, Y),
                               manual_update_loop(real_torch, weights, X, Y), rtol=1e-5)


def test_bigram_with_multinomial_and_cross_entropy():
    words = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia"]
    weights = [np.random.default_rng(1).standard_normal((27, 27)).astype(np.float32)]
    np.testing.assert_allclose(bigram(engine, weights, words), bigram(real_torch, weights, words),
                               rtol=1e-5)


def test_two_layer_lstm_time_first_with_a_linear_head():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((7, 4, 3)).astype(np.float32)  # (time, batch, features)
    Y = X.sum(axis=(0, 2))[:, None].astype(np.float32) * 0.1
    shapes = [(24, 3), (24, 6), (24,), (24,), (24, 6), (24, 6), (24,), (24,), (1, 6), (1,)]
    weights = [rng.standard_normal(s).astype(np.float32) * 0.4 for s in shapes]
    np.testing.assert_allclose(lstm_sequence_model(engine, weights, X, Y),
                               lstm_sequence_model(real_torch, weights, X, Y), rtol=1e-5)
