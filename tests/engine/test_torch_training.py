"""Optimizers, schedulers, clipping, DataLoader, losses, init, save/load and hooks of
`import engine as torch`, compared with PyTorch."""
import numpy as np
import pytest

import engine as sg

torch = pytest.importorskip("torch")


def _twins(seed=0):
    rng = np.random.default_rng(seed)
    w, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    ours, theirs = sg.nn.Linear(4, 3), torch.nn.Linear(4, 3)
    ours.load_state_dict({"weight": w, "bias": b})
    theirs.load_state_dict({"weight": torch.tensor(w), "bias": torch.tensor(b)})
    x = rng.standard_normal((8, 4)).astype(np.float32)
    y = rng.integers(0, 3, 8)
    return ours, theirs, x, y


def _trajectory(lib, model, opt, x, y, steps=6, scheduler=None):
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y))
        loss.backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(loss.item())
    return losses


OPTIMIZERS = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, dampening=0.1, weight_decay=0.01)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.01)),
    ("Adadelta", dict(lr=1.0, weight_decay=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
]


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS)
def test_optimizer_trajectories_match_torch(name, kwargs):
    ours, theirs, x, y = _twins()
    a = _trajectory(sg, ours, getattr(sg.optim, name)(ours.parameters(), **kwargs), x, y)
    b = _trajectory(torch, theirs, getattr(torch.optim, name)(theirs.parameters(), **kwargs), x, y)
    np.testing.assert_allclose(a, b, rtol=1e-5)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-4, atol=1e-6)


SCHEDULERS = [
    ("StepLR", dict(step_size=2, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[1, 3, 3], gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.8)),
    ("CosineAnnealingLR", dict(T_max=3, eta_min=0.01)),
    ("LambdaLR", dict(lr_lambda=lambda e: 1 / (e + 1))),
]


@pytest.mark.parametrize("name,kwargs", SCHEDULERS)
def test_schedulers_give_torchs_rates(name, kwargs):
    ours, theirs, x, y = _twins()
    opt_s = sg.optim.SGD(ours.parameters(), lr=0.1)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1)
    s = getattr(sg.optim.lr_scheduler, name)(opt_s, **kwargs)
    t = getattr(torch.optim.lr_scheduler, name)(opt_t, **kwargs)
    rates = []
    for _ in range(8):
        rates.append((s.get_last_lr()[0], t.get_last_lr()[0]))
        opt_s.step()
        opt_t.step()
        s.step()
        t.step()
    np.testing.assert_allclose(*zip(*rates), rtol=1e-12)
    assert opt_s.param_groups[0]["lr"] == pytest.approx(opt_t.param_groups[0]["lr"])


def test_reduce_on_plateau_matches_torch():
    ours, theirs, _, _ = _twins()
    opt_s, opt_t = sg.optim.SGD(ours.parameters(), lr=1.0), torch.optim.SGD(theirs.parameters(), lr=1.0)
    s = sg.optim.lr_scheduler.ReduceLROnPlateau(opt_s, patience=1, factor=0.5, cooldown=1)
    t = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_t, patience=1, factor=0.5, cooldown=1)
    for metric in [1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.6, 0.7, 0.8, 0.9]:
        s.step(metric)
        t.step(metric)
        assert opt_s.param_groups[0]["lr"] == opt_t.param_groups[0]["lr"]


def test_param_groups_and_optimizer_state_dict_round_trip():
    ours, _, x, y = _twins()
    opt = sg.optim.Adam([{"params": [ours.weight]}, {"params": [ours.bias], "lr": 0.1}], lr=0.01)
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.1]
    _trajectory(sg, ours, opt, x, y, steps=2)
    state = opt.state_dict()
    assert state["param_groups"][1]["params"] == [1] and state["state"][0]["step"] == 2
    fresh = sg.optim.Adam([{"params": [ours.weight]}, {"params": [ours.bias]}], lr=0.5)
    fresh.load_state_dict(state)
    assert fresh.param_groups[1]["lr"] == 0.1
    np.testing.assert_array_equal(fresh.state[id(ours.weight)]["exp_avg"],
                                  opt.state[id(ours.weight)]["exp_avg"])


def test_clip_grad_norm_and_value_match_torch():
    ours, theirs, x, y = _twins()
    for lib, model in ((sg, ours), (torch, theirs)):
        lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y)).backward()
    n_s = sg.nn.utils.clip_grad_norm_(ours.parameters(), 0.1)
    n_t = torch.nn.utils.clip_grad_norm_(theirs.parameters(), 0.1)
    assert n_s.item() == pytest.approx(n_t.item(), rel=1e-5)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-5)
    sg.nn.utils.clip_grad_value_(ours.parameters(), 0.01)
    torch.nn.utils.clip_grad_value_(theirs.parameters(), 0.01)
    np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-5)


def test_dataloader_defaults_and_collate_as_torch():
    from engine.utils.data import DataLoader, Dataset, TensorDataset
    X, Y = np.arange(10, dtype=np.float32).reshape(5, 2), np.arange(5)
    ours = list(DataLoader(TensorDataset(sg.tensor(X), sg.tensor(Y))))
    theirs = list(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(Y))))
    assert len(ours) == len(theirs) == 5
    for (a, b), (c, d) in zip(ours, theirs):
        assert a.shape == tuple(c.shape) and b.dtype == sg.int64
        np.testing.assert_array_equal(a.numpy(), c.numpy())

    class Squares(Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return {"x": np.full(2, i, np.float32), "y": i * i, "w": 0.5}

    batches = list(DataLoader(Squares(), batch_size=3, drop_last=False))
    ref = list(torch.utils.data.DataLoader(Squares(), batch_size=3))
    assert [len(b["y"]) for b in batches] == [len(b["y"]) for b in ref] == [3, 3, 1]
    assert batches[0]["w"].dtype == np.float64 and str(ref[0]["w"].dtype) == "torch.float64"
    np.testing.assert_array_equal(batches[1]["x"].numpy(), ref[1]["x"].numpy())
    shuffled = DataLoader(Squares(), batch_size=7, shuffle=True, generator=sg.Generator().manual_seed(1))
    assert sorted(next(iter(shuffled))["y"].tolist()) == [i * i for i in range(7)]


def test_nll_loss_and_log_softmax_match_torch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 4, 3))
    t = rng.integers(0, 4, (5, 3))
    t[0, 0] = -100
    w = rng.random(4)
    for reduction in ("mean", "sum", "none"):
        xs, xt = sg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ls = sg.nn.NLLLoss(weight=sg.tensor(w), reduction=reduction)(sg.nn.LogSoftmax(dim=1)(xs), sg.tensor(t))
        lt = torch.nn.NLLLoss(weight=torch.tensor(w), reduction=reduction)(torch.nn.LogSoftmax(dim=1)(xt), torch.tensor(t))
        np.testing.assert_allclose(ls.numpy(), lt.detach().numpy(), rtol=1e-10)
        ls.sum().backward()
        lt.sum().backward()
        np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_init_functions_fill_in_place_with_torchs_statistics():
    w = sg.nn.Parameter(sg.zeros(200, 300))
    array = w.array
    assert sg.nn.init.xavier_uniform_(w) is w and w.array is array
    bound = np.sqrt(6 / 500)
    assert abs(w.numpy()).max() <= bound and w.numpy().std() == pytest.approx(bound / np.sqrt(3), rel=0.02)
    sg.nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert w.numpy().std() == pytest.approx(np.sqrt(2 / 300), rel=0.02)
    sg.nn.init.constant_(w, 0.3)
    assert np.all(w.numpy() == np.float32(0.3))
    sg.nn.init.orthogonal_(w)
    np.testing.assert_allclose(w.numpy() @ w.numpy().T, np.eye(200), atol=1e-5)
    assert sg.nn.init.calculate_gain("tanh") == torch.nn.init.calculate_gain("tanh")


def test_module_apply_and_new_containers():
    model = sg.nn.Sequential(sg.nn.Linear(2, 3), sg.nn.Identity(), sg.nn.Linear(3, 1))
    model.apply(lambda m: sg.nn.init.zeros_(m.bias) if isinstance(m, sg.nn.Linear) else None)
    assert all(float(abs(m.bias).sum()) == 0 for m in model if isinstance(m, sg.nn.Linear))
    assert next(model.parameters()) is model[0].weight
    d = sg.nn.ModuleDict({"a": sg.nn.Linear(1, 1)})
    d["b"] = sg.nn.ReLU()
    pl = sg.nn.ParameterList([sg.zeros(2), sg.ones(1)])
    assert list(d.keys()) == ["a", "b"] and len(list(d.parameters())) == 2
    assert len(list(pl.parameters())) == 2 and pl[1].requires_grad
    drop = sg.nn.Dropout2d(0.5)
    out = drop(sg.ones(4, 8, 3, 3)).numpy()
    assert set(np.unique(out)) <= {0.0, 2.0} and np.all(out.std(axis=(2, 3)) == 0)


def test_save_and_load_without_pickle(tmp_path):
    model = sg.nn.Linear(3, 2)
    opt = sg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(sg.ones(1, 3)).sum().backward()
    opt.step()
    path = tmp_path / "ckpt.pt"
    sg.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 3,
             "t": sg.tensor([1, 2])}, path)
    back = sg.load(path)
    assert back["epoch"] == 3 and back["t"].tolist() == [1, 2] and back["t"].dtype == sg.int64
    fresh = sg.nn.Linear(3, 2)
    fresh.load_state_dict(back["model"])
    np.testing.assert_array_equal(fresh.weight.numpy(), model.weight.numpy())
    assert back["opt"]["param_groups"][0]["momentum"] == 0.9
    with pytest.raises(TypeError, match="no pickle"):
        sg.save({"f": object()}, tmp_path / "bad.pt")


def test_tensor_hooks_retain_grad_grad_fn_and_autograd_grad():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    seen = []
    handle = y.register_hook(lambda g: seen.append(g.tolist()) or g * 2)
    x.register_hook(lambda g: seen.append(("x", g.tolist())))
    (y * y).sum().backward()
    assert y.grad.tolist() == [6.0, 12.0] or y.grad.tolist() == [12.0, 24.0]
    assert seen[0] == [6.0, 12.0] and seen[1] == ("x", [36.0, 72.0])
    assert x.grad.tolist() == [36.0, 72.0]
    handle.remove()
    w = x * 3
    assert w.grad_fn.name() == "MulBackward0"
    assert w.grad_fn.next_functions[0][0].name() == "AccumulateGrad"
    assert w.grad_fn.next_functions[0][0].variable is x
    z = (x * x).sum()
    (gx,) = sg.autograd.grad(z, x)
    assert gx.tolist() == [2.0, 4.0] and x.grad.tolist() == [36.0, 72.0]


def test_module_hooks_match_torch():
    ours, theirs, x, y = _twins()
    records = {"ours": [], "theirs": []}
    for name, model, lib in (("ours", ours, sg), ("theirs", theirs, torch)):
        rec = records[name]
        model.register_forward_pre_hook(lambda m, args, rec=rec: rec.append(("pre", tuple(args[0].shape))))
        model.register_forward_hook(lambda m, args, out, rec=rec: out * 2)
        model.register_full_backward_hook(
            lambda m, gin, gout, rec=rec: rec.append(("bwd", np.asarray(gin[0].numpy()), gout[0].numpy().copy())))
        inp = lib.tensor(x, requires_grad=True)
        out = model(inp)
        out.sum().backward()
        rec.append(("out", out.detach().numpy()))
    (p1, b1, o1), (p2, b2, o2) = records["ours"], records["theirs"]
    assert p1 == p2
    np.testing.assert_allclose(b1[1], b2[1], rtol=1e-5)
    np.testing.assert_allclose(b1[2], b2[2], rtol=1e-5)
    np.testing.assert_allclose(o1[1], o2[1], rtol=1e-5)


@pytest.mark.parametrize("kwargs", [dict(ignore_index=1), dict(label_smoothing=0.1),
                                    dict(weight=[0.5, 1.0, 2.0, 1.5], ignore_index=2,
                                         label_smoothing=0.2)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_options_match_torch(kwargs, reduction):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 4, 2))
    t = rng.integers(0, 4, (6, 2))
    t[0, 0] = kwargs.get("ignore_index", 0)
    xs, xt = sg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    w = kwargs.get("weight")
    ours = sg.nn.CrossEntropyLoss(**dict(kwargs, weight=None if w is None else sg.tensor(w)),
                                  reduction=reduction)(xs, sg.tensor(t))
    theirs = torch.nn.CrossEntropyLoss(**dict(kwargs, weight=None if w is None else torch.tensor(w, dtype=torch.float64)),
                                       reduction=reduction)(xt, torch.tensor(t))
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_node_hooks_and_autograd_grad_match_torch():
    def run(lib):
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        w = lib.tensor([0.5, 0.5, 0.5], requires_grad=True)
        h = x * w
        seen = []
        h.grad_fn.register_hook(lambda gin, gout: seen.append([g.tolist() for g in gin if g is not None]))
        loss = (h.tanh() ** 2).sum()
        gh, gw = lib.autograd.grad(loss, [h, w], retain_graph=True)
        loss.backward()
        return gh.tolist(), gw.tolist(), x.grad.tolist(), seen
    ours, theirs = run(sg), run(torch)
    for a, b in zip(ours[:3], theirs[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(ours[3][-1], theirs[3][-1], rtol=1e-6)
    unused = sg.tensor([1.0], requires_grad=True)
    out = (sg.tensor([2.0], requires_grad=True) * 3).sum()
    assert sg.autograd.grad(out, [unused], allow_unused=True) == (None,)
    with pytest.raises(RuntimeError, match="not have been used"):
        sg.autograd.grad((sg.tensor([2.0], requires_grad=True) * 3).sum(), [unused])


def test_zero_grad_keeping_tensors_and_step_with_closure():
    ours, theirs, x, y = _twins()
    opt = sg.optim.SGD(ours.parameters(), lr=0.1)

    def closure():
        opt.zero_grad(set_to_none=False)
        loss = sg.nn.functional.cross_entropy(ours(sg.tensor(x)), sg.tensor(y))
        loss.backward()
        return loss
    first = opt.step(closure).item()
    grad = ours.weight.grad
    second = opt.step(closure).item()
    assert ours.weight.grad is grad and second < first
