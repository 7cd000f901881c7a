"""Generated datasets: shapes, dtypes, labels, balance, seeding, and what `noise` does."""
import numpy as np
import pytest

from engine import data
from engine.data import DataError

TOY_2D = [data.xor, data.circles, data.spirals, data.gaussians, data.moons]
ALL_GENERATED = TOY_2D + [data.sine, data.shapes, data.digits, data.parity, data.sequence_sum,
                          data.recall_first]


def _small(builder, **params):
    return builder(n=params.pop("n", 60), **params)


@pytest.mark.parametrize("builder", TOY_2D, ids=lambda b: b.__name__)
def test_2d_sets_shapes_dtypes_balance(builder):
    ds = builder(n=101, seed=3)
    assert ds.X.shape == (101, 2) and ds.X.dtype == np.float32
    assert ds.y.shape == (101,) and ds.y.dtype == np.int64
    assert ds.task == "classification" and ds.num_classes == 2 and ds.input_shape == (2,)
    assert np.bincount(ds.y).tolist() == [50, 51]
    assert len(ds) == 101 and ds.name == builder.__name__
    x, y = ds[7]
    assert x.shape == (2,) and y == ds.y[7]
    assert np.abs(ds.X).max() < 2.0
    assert 0 < ds.y[:50].sum() < 50  # shuffled: the first half is not all one class


@pytest.mark.parametrize("builder", ALL_GENERATED, ids=lambda b: b.__name__)
def test_same_seed_same_data_other_seed_other_data(builder):
    a, b, c = (_small(builder, seed=s) for s in (5, 5, 6))
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)


def _rule_accuracy(builder, noise):
    """How often the noise-free rule of the set still predicts the label of a noisy point."""
    ds = builder(n=2000, noise=noise, seed=0)
    x, y = ds.X[:, 0], ds.X[:, 1]
    rules = {
        "xor": (x * y > 0),
        "circles": np.hypot(x, y) > 0.6,
        "gaussians": x + y > 0,
    }
    return np.mean(rules[builder.__name__] == ds.y)


@pytest.mark.parametrize("builder", [data.xor, data.circles, data.gaussians],
                         ids=lambda b: b.__name__)
def test_noise_blurs_the_class_boundary(builder):
    clean = _rule_accuracy(builder, 0.0 if builder is not data.gaussians else 0.1)
    noisy = _rule_accuracy(builder, 0.5)
    assert clean == 1.0
    assert noisy < 0.95


def test_noise_free_points_lie_on_their_curves():
    spirals = data.spirals(n=400, noise=0.0, seed=1)
    r = np.hypot(*spirals.X.T)
    angle = np.arctan2(spirals.X[:, 0], spirals.X[:, 1])  # x = r sin(t), y = r cos(t)
    expected = 3.5 * np.pi * r + np.pi * spirals.y
    wrapped = np.angle(np.exp(1j * (angle - expected)))
    np.testing.assert_allclose(wrapped[r > 1e-3], 0.0, atol=1e-4)

    moons = data.moons(n=400, noise=0.0, seed=1)
    centres = np.where(moons.y[:, None] == 0, [-0.5, -0.25], [0.5, 0.25])
    np.testing.assert_allclose(np.hypot(*(moons.X - centres).T), 1.0, atol=1e-5)

    circles = data.circles(n=400, noise=0.0, seed=1)
    radius = np.hypot(*circles.X.T)
    assert radius[circles.y == 0].max() <= 0.5 + 1e-6
    assert radius[circles.y == 1].min() >= 0.7 - 1e-6


@pytest.mark.parametrize("builder", [data.spirals, data.moons, data.sine],
                         ids=lambda b: b.__name__)
def test_noise_moves_points_in_proportion(builder):
    clean, low, high = (builder(n=500, noise=s, seed=2) for s in (0.0, 0.05, 0.2))
    field = "y" if builder is data.sine else "X"
    low_dev = np.std(getattr(low, field) - getattr(clean, field))
    high_dev = np.std(getattr(high, field) - getattr(clean, field))
    assert low_dev == pytest.approx(0.05, rel=0.15)
    assert high_dev == pytest.approx(0.2, rel=0.15)


def test_sine_regression():
    ds = data.sine(n=300, noise=0.0, seed=4)
    assert ds.X.shape == ds.y.shape == (300, 1)
    assert ds.X.dtype == ds.y.dtype == np.float32
    assert ds.task == "regression" and ds.num_classes is None
    assert ds.X.min() >= -np.pi and ds.X.max() <= np.pi
    np.testing.assert_allclose(ds.y, np.sin(ds.X), atol=1e-6)


def test_parity_labels_are_parities():
    ds = data.parity(n=200, length=6, seed=1)
    assert ds.X.shape == (200, 6, 1) and ds.X.dtype == np.float32
    assert set(np.unique(ds.X)) == {0.0, 1.0}
    np.testing.assert_array_equal(ds.y, ds.X[:, :, 0].sum(1).astype(np.int64) % 2)
    assert ds.num_classes == 2 and 60 < ds.y.sum() < 140


def test_sum_targets_are_sums():
    ds = data.sequence_sum(n=100, length=5, seed=1)
    assert ds.X.shape == (100, 5, 1) and ds.y.shape == (100, 1) and ds.task == "regression"
    np.testing.assert_allclose(ds.y, ds.X.sum(1), atol=1e-5)
    noisy = data.sequence_sum(n=100, length=5, noise=0.3, seed=1)
    assert not np.allclose(noisy.y, noisy.X.sum(1), atol=0.05)


def test_recall_first_tokens_for_an_embedding():
    ds = data.recall_first(n=120, length=7, vocab=6, seed=2)
    assert ds.X.shape == (120, 7) and ds.X.dtype == np.int64
    assert ds.X.min() >= 0 and ds.X.max() < 6
    np.testing.assert_array_equal(ds.y, ds.X[:, 0])
    assert ds.num_classes == 6 and np.bincount(ds.y).tolist() == [20] * 6


@pytest.mark.parametrize("call, words", [
    (lambda: data.xor(n=1), "n must be an integer >= 2"),
    (lambda: data.circles(noise=-0.1), "noise must be >= 0"),
    (lambda: data.sine(n=2.5), "n must be"),
    (lambda: data.shapes(size=4), "size must be an integer >= 8"),
    (lambda: data.parity(length=0), "length"),
    (lambda: data.recall_first(vocab=1), "vocab"),
])
def test_bad_parameters_are_named(call, words):
    with pytest.raises(DataError, match=words):
        call()
