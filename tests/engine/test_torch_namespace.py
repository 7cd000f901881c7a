"""`import engine as torch`: the namespace, dtypes and casts, .data, in-place ops and the
version counter, compared with PyTorch."""
import numpy as np
import pytest

import engine as sg

torch = pytest.importorskip("torch")


def test_submodules_import_as_in_pytorch():
    import engine.nn.functional as F
    import engine.nn.init as init
    import engine.nn.utils as nn_utils
    from engine.optim.lr_scheduler import StepLR
    from engine.utils.data import DataLoader, Dataset, TensorDataset
    assert F.nll_loss and init.xavier_uniform_ and nn_utils.clip_grad_norm_ and StepLR
    assert DataLoader and Dataset and TensorDataset
    assert sg.optim.SGD and sg.nn.Linear and sg.autograd.grad and sg.utils.data.DataLoader
    assert sg.cuda.is_available() in (True, False) and sg.cuda.device_count() >= 0
    assert sg.device("cpu") == "cpu" and sg.device("cpu").type == "cpu"
    assert sg.device("cuda:0").index == 0 and repr(sg.device("cpu")) == "device(type='cpu')"
    assert sg.zeros(2).device == sg.device("cpu")


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "int64", "long", "int32",
                                  "bool", "float", "double"])
def test_dtypes_and_casts_match_torch(name):
    data = [[1.5, -2.0], [0.0, 3.25]]
    ours = sg.tensor(data).to(getattr(sg, name))
    theirs = torch.tensor(data).to(getattr(torch, name))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert sg.zeros(2, dtype=getattr(sg, name)).dtype == ours.dtype


def test_cast_methods_and_type_names():
    x = sg.tensor([1.7, -2.2])
    t = torch.tensor([1.7, -2.2])
    for method in ("float", "double", "long", "int", "bool", "half"):
        np.testing.assert_array_equal(getattr(x, method)().numpy(), getattr(t, method)().numpy())
    assert x.type() == t.type() == "torch.FloatTensor"
    assert x.long().type() == t.long().type() == "torch.LongTensor"
    assert x.type(sg.float64).dtype == sg.float64
    assert x.to("cpu", sg.float64).dtype == sg.float64 and x.to(sg.long).dtype == sg.int64
    assert x.to(dtype=sg.float64, device="cpu").dtype == np.float64


def test_float_casts_carry_the_gradient():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [3.0, 3.0]
    assert not x.long().requires_grad


def test_data_is_a_detached_tensor_sharing_storage():
    p = sg.nn.Parameter(sg.tensor([1.0, 2.0]))
    d = p.data
    assert isinstance(d, sg.Tensor) and not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.array, p.array)
    p.grad = sg.tensor([0.5, 0.5])
    p.data -= 0.1 * p.grad  # Karpathy's update
    assert isinstance(p, sg.nn.Parameter) and p.requires_grad
    np.testing.assert_allclose(p.numpy(), [0.95, 1.95])
    p.data += -0.1 * p.grad
    np.testing.assert_allclose(p.numpy(), [0.9, 1.9])


def test_no_grad_in_place_update_changes_the_model():
    model = sg.nn.Linear(2, 1)
    before = model.weight.numpy().copy()
    model(sg.ones(1, 2)).sum().backward()
    with sg.no_grad():
        for p in model.parameters():
            p -= 0.5 * p.grad
    np.testing.assert_allclose(model.weight.numpy(), before - 0.5)
    assert model.weight.requires_grad and model.weight.is_leaf


def test_in_place_on_a_leaf_that_requires_grad_raises_as_torch():
    w = sg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w *= 0.1
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.zero_()


@pytest.mark.parametrize("op", ["add_", "sub_", "mul_", "div_"])
def test_in_place_methods_match_torch(op):
    a = np.array([[1.0, -2.0], [3.0, 4.0]], np.float32)
    b = np.array([0.5, 2.0], np.float32)
    ours, theirs = sg.tensor(a), torch.tensor(a)
    assert getattr(ours, op)(sg.tensor(b)) is ours
    getattr(theirs, op)(torch.tensor(b))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_fill_zero_copy_clamp_and_item_assignment_match_torch():
    ours, theirs = sg.tensor([[1.0, -2.0, 3.0]]), torch.tensor([[1.0, -2.0, 3.0]])
    ours.clamp_(-1, 2)
    theirs.clamp_(-1, 2)
    ours[0, 1] = 7.0
    theirs[0, 1] = 7.0
    ours[:, 2:] = sg.tensor([[9.0]])
    theirs[:, 2:] = torch.tensor([[9.0]])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    ours.copy_(sg.tensor([4.0, 5.0, 6.0]))
    theirs.copy_(torch.tensor([4.0, 5.0, 6.0]))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    assert ours.fill_(2.5).tolist() == theirs.fill_(2.5).tolist()
    assert ours.zero_().tolist() == theirs.zero_().tolist()
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        sg.zeros(3).add_(sg.zeros(2, 3))


def test_in_place_inside_the_graph_keeps_the_gradient_as_torch():
    def run(lib, a):
        x = lib.tensor(a, requires_grad=True)
        y = x * 2
        y += 1
        y.mul_(x)
        y[0] = y[1] * 3
        y.sum().backward()
        return y.detach().numpy(), x.grad.numpy()
    a = [1.0, 2.0, -1.5]
    for ours, theirs in zip(run(sg, a), run(torch, a)):
        np.testing.assert_allclose(ours, theirs)


def test_in_place_inside_the_graph_leaves_saved_values_intact():
    """The engine rebinds the tensor instead of overwriting what exp saved (PyTorch raises
    here): the gradient is exp's true derivative, never a wrong one."""
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.add_(1)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)


def test_changing_a_saved_input_under_no_grad_raises_too():
    w = sg.tensor([1.0, 2.0], requires_grad=True)
    x = sg.tensor([3.0, 4.0])
    loss = (w * x).sum()
    with sg.no_grad():
        x.mul_(2)
    assert x._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_version_counter_counts_in_place_changes():
    ours, theirs = sg.zeros(2), torch.zeros(2)
    for t in (ours, theirs):
        t.add_(1)
        t += 1
        t[0] = 3
    assert ours._version == theirs._version == 3
