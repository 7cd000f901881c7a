"""The autograd core: observer events, per-thread state, graph lifetime, dtype rules and the
Tensor API surface of API.md."""
import gc
import sys
import threading

import numpy as np
import pytest

import engine as sg
from engine import nn, optim


class Recorder(sg.Observer):
    def __init__(self):
        self.events = []

    def on_forward(self, node):
        self.events.append(("forward", node))

    def on_backward(self, node, grad):
        self.events.append(("backward", node, grad.numpy().copy()))

    def on_optimizer_step(self, optimizer):
        self.events.append(("step", optimizer))


# ---- observer events ---------------------------------------------------------------------

def test_forward_events_in_execution_order_with_their_content():
    x = sg.tensor([[1.0, -2.0]], requires_grad=True)
    w = sg.tensor([[0.5], [1.5]], requires_grad=True)
    with sg.observe(Recorder()) as rec:
        with sg.scope("0"):
            h = x @ w
        with sg.scope("1"):
            y = h.relu()
        loss = y.sum()
    nodes = [e[1] for e in rec.events]
    assert [n.op for n in nodes] == ["matmul", "relu", "sum"]
    assert [n.scope for n in nodes] == ["0", "1", ""]
    assert nodes[0].inputs == (x, w) and nodes[0].output is h
    assert nodes[1].inputs == (h,) and nodes[1].output is y
    assert nodes[2].output is loss
    ids = [n.id for n in nodes]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert all(isinstance(i, int) for i in ids)


def test_backward_events_in_reverse_topological_order_with_gradients():
    x = sg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with sg.observe(Recorder()) as rec:
        a = x * 2.0          # mul
        b = a.exp()          # exp
        c = a + b            # add: consumes a twice (directly and through exp)
        loss = c.sum()
        loss.backward()
    forward = [e[1] for e in rec.events if e[0] == "forward"]
    backward = [e for e in rec.events if e[0] == "backward"]
    assert [e[1].op for e in backward] == ["sum", "add", "exp", "mul"]
    assert backward[0][1] is forward[-1]
    grads = {e[1].op: e[2] for e in backward}
    np.testing.assert_allclose(grads["sum"], 1.0)
    np.testing.assert_allclose(grads["add"], np.ones(3))
    np.testing.assert_allclose(grads["exp"], np.ones(3))
    # mul's gradient is only final once both paths (add and exp) have arrived
    np.testing.assert_allclose(grads["mul"], 1 + np.exp(2 * x.numpy()), rtol=1e-6)
    # each node's backward comes after the backward of every node that consumes it
    order = {e[1]: i for i, e in enumerate(backward)}
    for node in order:
        for t in (node.inputs or ()):
            if t.creator in order:
                assert order[t.creator] > order[node]


def test_backward_events_carry_the_same_node_objects_as_forward():
    x = sg.randn(2, 3, requires_grad=True)
    with sg.observe(Recorder()) as rec:
        x.tanh().mean().backward()
    fwd = [e[1] for e in rec.events if e[0] == "forward"]
    bwd = [e[1] for e in rec.events if e[0] == "backward"]
    assert bwd == fwd[::-1]


def test_optimizer_step_event():
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with sg.observe(Recorder()) as rec:
        model(sg.randn(4, 2)).sum().backward()
        opt.step()
    assert rec.events[-1] == ("step", opt)
    assert [e[0] for e in rec.events].count("step") == 1


def test_module_scopes_reach_the_nodes():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with sg.observe(Recorder()) as rec:
        model(sg.randn(4, 2))
    scopes = [(e[1].op, e[1].scope) for e in rec.events if e[0] == "forward"]
    assert ("relu", "1") in scopes
    assert {s for _, s in scopes} == {"0", "1", "2"}


def test_observers_are_per_thread():
    seen_main, seen_worker = Recorder(), Recorder()
    ready, go = threading.Event(), threading.Event()

    def worker():
        with sg.observe(seen_worker):
            ready.set()
            go.wait(5)
            (sg.randn(3, requires_grad=True) * 2.0).exp()

    thread = threading.Thread(target=worker)
    thread.start()
    ready.wait(5)
    with sg.observe(seen_main):
        go.set()
        (sg.randn(3, requires_grad=True) + 1.0).tanh()
        thread.join(5)
    assert [e[1].op for e in seen_main.events] == ["add", "tanh"]
    assert [e[1].op for e in seen_worker.events] == ["mul", "exp"]


def test_grad_mode_is_per_thread():
    results = {}

    def worker():
        results["worker"] = (sg.randn(2, requires_grad=True) * 2.0).requires_grad

    with sg.no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join(5)
        results["main"] = (sg.randn(2, requires_grad=True) * 2.0).requires_grad
    assert results == {"worker": True, "main": False}


def test_an_observer_that_raises_aborts_the_run():
    class Abort(sg.Observer):
        def on_forward(self, node):
            if node.op == "relu":
                raise KeyboardInterrupt("stop")

    ran = []
    x = sg.randn(2, requires_grad=True)
    with pytest.raises(KeyboardInterrupt):
        with sg.observe(Abort()):
            y = (x * 2.0).relu()
            ran.append(y)
    assert ran == []


def test_an_observer_raising_in_backward_stops_the_gradients():
    class Abort(sg.Observer):
        def on_backward(self, node, grad):
            if node.op == "mul":
                raise RuntimeError("stop")

    x = sg.randn(3, requires_grad=True)
    with sg.observe(Abort()):
        loss = (x * 2.0).sum()
        with pytest.raises(RuntimeError, match="stop"):
            loss.backward()
    assert x.grad is None


def test_a_blocking_observer_pauses_the_worker_thread():
    class Gate(sg.Observer):
        def __init__(self):
            self.paused, self.resume = threading.Event(), threading.Event()
            self.ops = []

        def on_forward(self, node):
            self.ops.append(node.op)
            if node.op == "mul":
                self.paused.set()
                self.resume.wait(10)

    gate = Gate()
    done = threading.Event()

    def worker():
        with sg.observe(gate):
            (sg.randn(3, requires_grad=True) * 2.0).exp().sum()
        done.set()

    thread = threading.Thread(target=worker)
    thread.start()
    assert gate.paused.wait(5)
    assert gate.ops == ["mul"] and not done.is_set()
    gate.resume.set()
    thread.join(5)
    assert done.is_set() and gate.ops == ["mul", "exp", "sum"]


# ---- graph lifetime ----------------------------------------------------------------------

def test_deep_chain_forward_backward_and_free_without_recursion_error():
    x = sg.tensor(np.ones(2), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1.0001 ** 10_000, rtol=1e-6)
    z = x
    for _ in range(10_000):
        z = z + 1.0
    assert sys.getrecursionlimit() < 10_000 * 2
    del z  # dropping an unfreed 10,000-node graph must not recurse
    gc.collect()


def test_no_grad_records_nothing():
    x = sg.randn(3, requires_grad=True)
    with sg.observe(Recorder()) as rec, sg.no_grad():
        y = (x * 2.0).exp()
    assert rec.events == []
    assert not y.requires_grad and y.creator is None and y.is_leaf
    assert sg.is_grad_enabled()

    @sg.no_grad()
    def f(t):
        return t * 3.0
    assert not f(x).requires_grad


def test_ops_on_tensors_without_grad_make_no_graph_node():
    y = sg.randn(3) * 2.0
    assert not y.requires_grad and y.creator is None


def test_detach_cuts_the_graph():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    z = (y.detach() * x).sum()
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 6.0])
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.array, y.array)


def test_second_backward_needs_retain_graph():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_a_tensor_used_twice_accumulates():
    x = sg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x + x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + 1)
    (x * 2.0).sum().backward()  # .grad accumulates across backward calls, as in torch
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + 3)


def test_broadcast_gradients_are_reduced_to_each_input_shape():
    a = sg.randn(4, 1, 3, requires_grad=True)
    b = sg.randn(2, 1, requires_grad=True)
    c = sg.tensor(2.0, requires_grad=True)
    (a * b + c).sum().backward()
    assert a.grad.shape == (4, 1, 3) and b.grad.shape == (2, 1) and c.grad.shape == ()
    np.testing.assert_allclose(a.grad.numpy(), np.broadcast_to(b.numpy().sum(), (4, 1, 3)),
                               rtol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), np.full((2, 1), a.numpy().sum()), rtol=1e-5)
    assert c.grad.item() == 4 * 2 * 3


@pytest.mark.parametrize("fn", [lambda x: x.sum(), lambda x: x.mean(), lambda x: x.reshape(-1)[0],
                                lambda x: x.T.sum()], ids=["sum", "mean", "index", "transpose"])
def test_leaf_gradients_are_writable_arrays_of_their_own(fn):
    x = sg.randn(3, 4, requires_grad=True)
    fn(x).backward()
    assert x.grad.array.flags.writeable and x.grad.array.base is None
    x.grad.array += 1.0  # in-place edits work, as on torch's .grad
    assert x.grad.shape == (3, 4)


def test_backward_rules():
    x = sg.randn(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2.0).backward()
    (x * 2.0).backward(sg.ones(2, 2))
    np.testing.assert_allclose(x.grad.numpy(), 2.0)
    with pytest.raises(ValueError, match=r"\(3,\)"):
        (x * 2.0).backward(np.ones(3, np.float32))
    with pytest.raises(RuntimeError, match="does not require grad"):
        sg.randn(2).sum().backward()


# ---- dtype rules -------------------------------------------------------------------------

def test_dtype_rules():
    assert sg.tensor([1.0, 2.0]).dtype == np.float32
    assert sg.tensor(1.5).dtype == np.float32
    assert sg.tensor(np.ones(2)).dtype == np.float64
    assert sg.tensor([1, 2]).dtype == np.int64
    assert sg.tensor(np.array([1, 2], np.int32)).dtype == np.int32
    assert sg.randn(2).dtype == np.float32 and sg.zeros(2).dtype == np.float32
    assert sg.arange(3).dtype == np.int64
    x64 = sg.tensor(np.ones(3), requires_grad=True)
    y = (x64 * 2.0 + 1.0).exp()
    assert y.dtype == np.float64
    y.sum().backward()
    assert x64.grad.dtype == np.float64
    assert (sg.randn(3) * 2.0).dtype == np.float32  # Python scalars keep the tensor's dtype
    with pytest.raises(TypeError, match="floating-point"):
        sg.tensor([1, 2], requires_grad=True)


# ---- Tensor API surface ------------------------------------------------------------------

def test_tensor_attributes():
    t = sg.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    assert isinstance(t.array, np.ndarray)
    assert t.grad is None and t.requires_grad and t.is_leaf and t.name is None
    assert t.shape == (1, 3) and t.ndim == 2 and t.dtype == np.float32 and t.device == "cpu"
    y = t * 2.0
    assert not y.is_leaf


def test_numpy_item_and_conversions():
    t = sg.tensor([[1.5, 2.5]])
    assert isinstance(t.numpy(), np.ndarray)
    np.testing.assert_array_equal(t.numpy(), [[1.5, 2.5]])
    assert t.sum().item() == 4.0 and isinstance(t.sum().item(), float)
    assert float(t[0, 0]) == 1.5 and int(sg.tensor(3)) == 3
    assert t.to("cpu") is t
    x = t.numpy()
    assert np.shares_memory(x, t.array)  # no copy on the CPU


@pytest.mark.parametrize("fn", [lambda t: t.sum(), lambda t: t.mean(), lambda t: t[0] @ t[1],
                                lambda t: t.sum() * 2.0, lambda t: t[0, 1]],
                         ids=["sum", "mean", "dot", "scalar_mul", "index"])
def test_zero_dim_results_give_numpy_arrays(fn):
    out = fn(sg.randn(2, 3))
    assert out.shape == () and out.ndim == 0
    assert isinstance(out.numpy(), np.ndarray) and out.numpy().shape == ()


@pytest.mark.parametrize("name", ["sum", "mean"])
def test_reduction_methods(name):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = sg.tensor(x)
    np.testing.assert_allclose(getattr(t, name)().numpy(), getattr(x, name)())
    np.testing.assert_allclose(getattr(t, name)(1).numpy(), getattr(x, name)(1))
    assert getattr(t, name)(1, keepdim=True).shape == (2, 1, 4)
    assert getattr(t, name)(dim=(0, 2)).shape == (3,)


def test_max_with_dim_returns_values_and_indices_like_torch():
    x = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]], np.float32)
    values, indices = sg.tensor(x).max(1)
    np.testing.assert_array_equal(values.numpy(), [5.0, 7.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])  # first maximum, as torch
    res = sg.tensor(x).max(dim=0, keepdim=True)
    assert res.values.shape == (1, 3) and res.indices.shape == (1, 3)
    assert sg.tensor(x).max().item() == 7.0


def test_elementwise_methods_match_numpy():
    x = np.array([0.5, 1.0, 2.0], np.float32)
    t = sg.tensor(x)
    for name, ref in [("exp", np.exp(x)), ("log", np.log(x)), ("sqrt", np.sqrt(x)),
                      ("abs", x), ("relu", x), ("sigmoid", 1 / (1 + np.exp(-x))),
                      ("tanh", np.tanh(x))]:
        np.testing.assert_allclose(getattr(t, name)().numpy(), ref, rtol=1e-6, err_msg=name)
    np.testing.assert_allclose(t.clamp(min=0.8, max=1.5).numpy(), [0.8, 1.0, 1.5])
    np.testing.assert_allclose(t.softmax(0).numpy().sum(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(t.log_softmax(0).exp().numpy(), t.softmax(0).numpy(), rtol=1e-6)


def test_relu_of_negatives_is_positive_zero():
    out = sg.tensor([-2.0, -0.5, 3.0]).relu().numpy()
    assert not np.signbit(out).any()


def test_shape_methods():
    t = sg.tensor(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    assert t.reshape(6, 4).shape == (6, 4) and t.reshape((4, -1)).shape == (4, 6)
    assert t.flatten().shape == (24,) and t.flatten(1).shape == (2, 12)
    assert t.flatten(start_dim=0).shape == (24,)
    assert t.transpose(0, 2).shape == (4, 3, 2)
    assert t.permute(1, 2, 0).shape == (3, 4, 2) and t.permute((2, 0, 1)).shape == (4, 2, 3)
    m = sg.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(m.T.numpy(), m.numpy().T)
    assert t.unsqueeze(0).shape == (1, 2, 3, 4) and t.unsqueeze(-1).shape == (2, 3, 4, 1)
    u = sg.zeros(1, 3, 1)
    assert u.squeeze().shape == (3,) and u.squeeze(0).shape == (3, 1) and u.squeeze(1).shape == (1, 3, 1)


def test_indexing():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = sg.tensor(x)
    np.testing.assert_array_equal(t[1].numpy(), x[1])
    np.testing.assert_array_equal(t[:, 1:3].numpy(), x[:, 1:3])
    np.testing.assert_array_equal(t[np.array([2, 0, 2])].numpy(), x[[2, 0, 2]])
    np.testing.assert_array_equal(t[sg.tensor([1, 1])].numpy(), x[[1, 1]])
    np.testing.assert_array_equal(t[t > 5].numpy(), x[x > 5])


def test_operators_and_comparisons():
    a = sg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = sg.tensor([3.0, 2.0, 1.0])
    np.testing.assert_allclose((a + b).numpy(), [4, 4, 4])
    np.testing.assert_allclose((a - b).numpy(), [-2, 0, 2])
    np.testing.assert_allclose((a * b).numpy(), [3, 4, 3])
    np.testing.assert_allclose((a / b).numpy(), [1 / 3, 1, 3], rtol=1e-6)
    np.testing.assert_allclose((a ** 2).numpy(), [1, 4, 9])
    np.testing.assert_allclose((2.0 ** a).numpy(), [2, 4, 8])
    np.testing.assert_allclose((-a).numpy(), [-1, -2, -3])
    assert (a @ b).item() == 10.0
    np.testing.assert_allclose((1.0 - a).numpy(), [0, -1, -2])
    np.testing.assert_allclose((np.ones(3, np.float32) + a).numpy(), [2, 3, 4])
    for result, expected in [(a < b, [1, 0, 0]), (a <= b, [1, 1, 0]), (a > b, [0, 0, 1]),
                             (a >= b, [0, 1, 1]), (a == b, [0, 1, 0]), (a != b, [1, 0, 1])]:
        assert isinstance(result, sg.Tensor) and not result.requires_grad
        np.testing.assert_array_equal(result.numpy(), np.array(expected, bool))


def test_module_level_functions():
    a, b = sg.ones(2, 3), sg.zeros(2, 3)
    assert sg.cat([a, b], 0).shape == (4, 3) and sg.cat([a, b], dim=1).shape == (2, 6)
    assert sg.stack([a, b], 0).shape == (2, 2, 3) and sg.stack([a, b], dim=2).shape == (2, 3, 2)
    np.testing.assert_array_equal(sg.where(sg.tensor([True, False, True]), sg.ones(3), sg.zeros(3))
                                  .numpy(), [1, 0, 1])
    assert sg.matmul(sg.ones(2, 3), sg.ones(3, 4)).shape == (2, 4)


def test_factories_and_manual_seed():
    assert sg.zeros(2, 3).shape == (2, 3) and sg.zeros((2, 3)).numpy().sum() == 0
    assert sg.ones(4).numpy().sum() == 4
    np.testing.assert_array_equal(sg.arange(4).numpy(), [0, 1, 2, 3])
    assert sg.randn(2, 3, requires_grad=True).requires_grad
    r = sg.rand(1000)
    assert 0 <= r.numpy().min() and r.numpy().max() < 1
    sg.manual_seed(42)
    first = (sg.randn(5).numpy(), sg.rand(3).numpy())
    sg.manual_seed(42)
    second = (sg.randn(5).numpy(), sg.rand(3).numpy())
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    sg.manual_seed(43)
    assert not np.array_equal(sg.randn(5).numpy(), first[0])
    t = sg.tensor([1.0], device="cpu", requires_grad=True, dtype=np.float64)
    assert t.dtype == np.float64 and t.requires_grad and t.device == "cpu"
