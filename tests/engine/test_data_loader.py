"""Dataset wrappers, the DataLoader and the dataset registry."""
import numpy as np
import pytest

import engine as sg
from engine import data
from engine.data import DATASETS, REQUIRED, DataError, DataLoader, Dataset, TensorDataset


def _numbered(n=10):
    """Features that say which sample they are: X[i] = (i, -i)."""
    i = np.arange(n)
    return TensorDataset(np.stack([i, -i], 1).astype(np.float64), i % 3)


def test_tensor_dataset_normalises_dtypes_and_infers_task():
    ds = _numbered()
    assert ds.X.dtype == np.float32 and ds.y.dtype == np.int64
    assert ds.task == "classification" and ds.num_classes == 3 and ds.input_shape == (2,)
    regression = TensorDataset(sg.randn(6, 4), sg.randn(6))
    assert regression.task == "regression" and regression.y.shape == (6, 1)
    tokens = TensorDataset(np.array([[1, 2], [3, 4]], np.int32), np.array([0.0, 1.0]))
    assert tokens.X.dtype == np.int64 and tokens.task == "classification"
    grids = TensorDataset(np.zeros((4, 3)), np.zeros((4, 2, 5)), task="regression")
    assert grids.y.shape == (4, 2, 5) and grids.y.dtype == np.float32


def test_dataset_rejects_inconsistent_arrays():
    with pytest.raises(DataError, match=r"features \(3, 2\) and targets \(4,\)"):
        Dataset(np.zeros((3, 2)), np.zeros(4), "regression", name="mine")
    with pytest.raises(DataError, match="mine: label 5 out of range for 3 classes"):
        Dataset(np.zeros((2, 2)), np.array([0, 5]), "classification", num_classes=3,
                name="mine")
    with pytest.raises(DataError, match="class labels must be >= 0"):
        Dataset(np.zeros((2, 2)), np.array([0, -1]), "classification")
    with pytest.raises(DataError, match="task must be one of"):
        Dataset(np.zeros((2, 2)), np.zeros(2), "clustering")
    with pytest.raises(DataError, match="binary targets must be 0 or 1"):
        Dataset(np.zeros((2, 2)), np.array([0.0, 0.5]), "binary")


def test_two_class_set_becomes_binary():
    binary = data.xor(n=20, seed=0).to_binary()
    assert binary.task == "binary" and binary.y.shape == (20, 1) and binary.y.dtype == np.float32
    np.testing.assert_array_equal(binary.y[:, 0], data.xor(n=20, seed=0).y)
    with pytest.raises(DataError, match="only a 2-class"):
        data.shapes(n=8).to_binary()


def test_loader_batches_in_order_without_shuffle():
    loader = DataLoader(_numbered(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [tuple(x.shape) for x, _ in batches] == [(4, 2), (4, 2), (2, 2)]
    x, y = batches[0]
    assert isinstance(x, sg.Tensor) and x.dtype == np.float32 and y.dtype == np.int64
    assert not x.requires_grad
    np.testing.assert_array_equal(np.concatenate([x.numpy()[:, 0] for x, _ in batches]),
                                  np.arange(10))
    np.testing.assert_array_equal(np.concatenate([y.numpy() for _, y in batches]),
                                  np.arange(10) % 3)


def test_drop_last():
    loader = DataLoader(_numbered(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [x.shape[0] for x, _ in loader] == [4, 4]
    assert len(DataLoader(_numbered(8), batch_size=4, drop_last=True)) == 2
    with pytest.raises(DataError, match="leaves no batch"):
        DataLoader(_numbered(3), batch_size=4, drop_last=True)
    with pytest.raises(DataError, match="batch_size must be an integer >= 1"):
        DataLoader(_numbered(3), batch_size=0)


def _epoch_order(loader):
    return np.concatenate([x.numpy()[:, 0] for x, _ in loader]).astype(int)


def test_shuffle_is_a_new_permutation_each_epoch_reproducible_with_seed():
    loader = DataLoader(_numbered(30), batch_size=7, shuffle=True, seed=11)
    first, second = _epoch_order(loader), _epoch_order(loader)
    assert sorted(first) == list(range(30)) and sorted(second) == list(range(30))
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, np.arange(30))
    again = DataLoader(_numbered(30), batch_size=7, shuffle=True, seed=11)
    np.testing.assert_array_equal(_epoch_order(again), first)
    np.testing.assert_array_equal(_epoch_order(again), second)
    other = DataLoader(_numbered(30), batch_size=7, shuffle=True, seed=12)
    assert not np.array_equal(_epoch_order(other), first)


def test_shuffle_pairs_features_with_their_labels():
    for x, y in DataLoader(_numbered(30), batch_size=8, shuffle=True, seed=0):
        np.testing.assert_array_equal(x.numpy()[:, 0].astype(int) % 3, y.numpy())


def test_unseeded_shuffle_follows_manual_seed():
    loader = DataLoader(_numbered(30), batch_size=30, shuffle=True)
    sg.manual_seed(5)
    first = _epoch_order(loader)
    sg.manual_seed(5)
    np.testing.assert_array_equal(_epoch_order(loader), first)


def test_loader_keeps_token_inputs_integer_and_regression_targets_float():
    x, y = next(iter(DataLoader(data.recall_first(n=10, seed=0), batch_size=5)))
    assert x.dtype == np.int64 and y.dtype == np.int64 and x.shape == (5, 8)
    x, y = next(iter(DataLoader(data.sine(n=10), batch_size=5)))
    assert x.dtype == np.float32 and y.dtype == np.float32 and y.shape == (5, 1)


def test_registry_lists_every_dataset_with_its_parameters():
    generated = {"xor", "circles", "spirals", "gaussians", "moons", "sine", "shapes", "digits",
                 "parity", "sum", "recall_first"}
    assert generated | {"mnist_idx", "csv", "npz", "image_folder"} == set(DATASETS)
    assert DATASETS["spirals"].params == {"n": 200, "noise": 0.05, "seed": 0}
    assert DATASETS["shapes"].params["size"] == 16 and DATASETS["shapes"].kind == "image"
    assert DATASETS["csv"].params["path"] is REQUIRED
    for name in generated:
        info = DATASETS[name]
        assert info.description and REQUIRED not in info.params.values()
        ds = data.get_dataset(name, n=12)
        assert len(ds) == 12 and ds.name == name and ds.task == info.task


def test_get_dataset_passes_parameters_and_names_mistakes():
    ds = data.get_dataset("circles", n=50, noise=0.0, seed=3)
    np.testing.assert_array_equal(ds.X, data.circles(n=50, noise=0.0, seed=3).X)
    with pytest.raises(DataError, match="unknown dataset 'mnist'"):
        data.get_dataset("mnist")
    with pytest.raises(DataError, match="'xor' has no parameter radius; its parameters"):
        data.get_dataset("xor", radius=2)
    with pytest.raises(DataError, match="'npz' needs path"):
        data.get_dataset("npz")


def test_get_dataset_loads_a_file(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.ones((3, 2)), y=np.array([0.5, 1.5, 2.0]))
    ds = data.get_dataset("npz", path=str(path))
    assert ds.task == "regression" and len(ds) == 3


@pytest.mark.gpu
def test_loader_puts_batches_on_the_gpu():
    x, y = next(iter(DataLoader(data.xor(n=8), batch_size=4, device="cuda")))
    assert x.device == y.device == "cuda"
    np.testing.assert_array_equal(x.numpy(), data.xor(n=8).X[:4])
