"""Thin tensor methods, torch.* functions, random numbers and Python protocols of
`import engine as torch`, compared with PyTorch (gradients of the new ops: op_cases.py)."""
import numpy as np
import pytest

import engine as sg

torch = pytest.importorskip("torch")

A = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32)

METHODS = [
    ("t", lambda x: x.t()),
    ("mm", lambda x: x.mm(x.t())),
    ("eq", lambda x: x.eq(x * 1)),
    ("view_as", lambda x: x.view_as(x.reshape(3, 2))),
    ("contiguous", lambda x: x.contiguous()),
    ("narrow", lambda x: x.narrow(1, 1, 2)),
    ("std", lambda x: x.std()),
    ("std_dim", lambda x: x.std(dim=1, keepdim=True)),
    ("var", lambda x: x.var(0, unbiased=False)),
    ("min", lambda x: x.min()),
    ("min_dim_values", lambda x: x.min(dim=1).values),
    ("min_dim_indices", lambda x: x.min(dim=1).indices),
    ("topk_values", lambda x: x.topk(2, dim=1).values),
    ("topk_indices", lambda x: x.topk(2).indices),
    ("topk_smallest", lambda x: x.topk(1, dim=0, largest=False).values),
    ("clone", lambda x: x.clone()),
    ("log10", lambda x: x.abs().log10()),
    ("new_zeros", lambda x: x.new_zeros(2, 2)),
    ("new_ones", lambda x: x.new_ones((3,))),
    ("masked_fill", lambda x: x.masked_fill(x < 0, 0.0)),
    ("gather", lambda x: x.gather(1, (x > 0).long())),
    ("tril", lambda x: x.tril()),
    ("triu", lambda x: x.triu(1)),
    ("argmin", lambda x: x.argmin(1)),
    ("sort", lambda x: x.sort(dim=1, descending=True).values),
    ("square", lambda x: x.square()),
    ("pow", lambda x: x.pow(2)),
    ("add_alpha", lambda x: x.add(x, alpha=2)),
    ("type_as", lambda x: x.long().type_as(x)),
    ("expand", lambda x: x[:1].expand(4, -1)),
    ("expand_as", lambda x: x[:, :1].expand_as(x)),
    ("repeat", lambda x: x.repeat(2, 1, 3)),
    ("split", lambda x: x.split(2, dim=1)[1]),
    ("split_sizes", lambda x: x.split([1, 2], dim=1)[1]),
    ("chunk", lambda x: x.chunk(2, 1)[0]),
]


@pytest.mark.parametrize("name,fn", METHODS, ids=[m[0] for m in METHODS])
def test_methods_match_torch(name, fn):
    ours, theirs = fn(sg.tensor(A)), fn(torch.tensor(A))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_shape_queries_match_torch():
    ours, theirs = sg.tensor(A), torch.tensor(A)
    assert ours.nelement() == theirs.nelement() == 6 and ours.dim() == theirs.dim() == 2
    assert len(ours) == len(theirs) == 2 and ours.size(1) == theirs.size(1)


FUNCTIONS = [
    ("tanh", lambda t, x: t.tanh(x)),
    ("exp", lambda t, x: t.exp(x)),
    ("sqrt", lambda t, x: t.sqrt(t.abs(x))),
    ("flatten", lambda t, x: t.flatten(x)),
    ("max", lambda t, x: t.max(x)),
    ("max_dim", lambda t, x: t.max(x, 1).values),
    ("max_pair", lambda t, x: t.max(x, -x)),
    ("mean", lambda t, x: t.mean(x)),
    ("zeros_like", lambda t, x: t.zeros_like(x)),
    ("ones_like", lambda t, x: t.ones_like(x, dtype=t.long)),
    ("full", lambda t, x: t.full((2, 3), 7.0)),
    ("tril", lambda t, x: t.tril(t.ones(3, 3))),
    ("linspace", lambda t, x: t.linspace(0, 1, 5)),
    ("from_numpy", lambda t, x: t.from_numpy(np.arange(4.0))),
    ("eye", lambda t, x: t.eye(3)),
    ("softmax", lambda t, x: t.softmax(x, 1)),
    ("clamp", lambda t, x: t.clamp(x, -1, 1)),
    ("sum", lambda t, x: t.sum(x, 0)),
    ("zeros_size", lambda t, x: t.zeros(size=(2, 2))),
    ("arange", lambda t, x: t.arange(5)),
]


@pytest.mark.parametrize("name,fn", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_functions_match_torch(name, fn):
    ours, theirs = fn(sg, sg.tensor(A)), fn(torch, torch.tensor(A))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_from_numpy_shares_and_tensor_copies():
    a = np.zeros(3)
    assert np.shares_memory(sg.from_numpy(a).array, a)
    assert not np.shares_memory(sg.tensor(a).array, a)


def test_random_numbers_have_torchs_signatures_and_ranges():
    g = sg.Generator().manual_seed(7)
    x = sg.randint(0, 10, (1000,), generator=g)
    assert x.dtype == sg.int64 and 0 <= int(x.min()) and int(x.max()) < 10
    assert sg.randint(5, (3,)).shape == (3,) and sg.randint(3, 6, size=(2, 2)).shape == (2, 2)
    assert sorted(sg.randperm(6).tolist()) == list(range(6))
    assert sg.rand(size=(2, 3)).shape == (2, 3) and sg.randn(4, generator=g).shape == (4,)
    same = [sg.randn(3, generator=sg.Generator().manual_seed(1)).tolist() for _ in range(2)]
    assert same[0] == same[1]
    probs = sg.tensor([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]])
    draws = sg.multinomial(probs, 4, replacement=True, generator=g)
    assert draws.shape == (2, 4) and set(draws[0].tolist()) == {1} and 1 not in draws[1].tolist()
    assert sorted(sg.multinomial(sg.ones(5), 5).tolist()) == list(range(5))
    with pytest.raises(RuntimeError):
        sg.multinomial(sg.ones(3), 4)
    counts = np.bincount(sg.multinomial(sg.tensor([0.2, 0.8]), 4000, True).numpy(), minlength=2)
    assert counts[1] / 4000 == pytest.approx(0.8, abs=0.03)


def test_python_protocols_as_torch():
    ours, theirs = sg.tensor(A), torch.tensor(A)
    assert [r.tolist() for r in ours] == [r.tolist() for r in theirs]
    with pytest.raises(IndexError):
        ours[5]
    assert f"{sg.tensor(3.14159):.2f}" == f"{torch.tensor(3.14159):.2f}" == "3.14"
    with pytest.raises(TypeError):
        len(sg.tensor(1.0))
    assert list(zip(*sg.tensor([[1, 2], [3, 4]])))[0][0].item() == 1
