"""Procedural image sets: rasterisation accuracy, dtypes, ranges and class separability."""
import numpy as np
import pytest

from engine import data
from engine.data.images import SHAPE_NAMES, render_digits, render_shapes

SHAPE_AREAS = {  # area in units of radius**2
    "circle": np.pi,
    "square": 1.6 ** 2,
    "triangle": 3 * np.sqrt(3) / 4,
    "cross": 2 * (0.5 * 1.8) - 0.5 ** 2,
}


@pytest.mark.parametrize("kind", SHAPE_NAMES)
def test_rendered_shape_has_the_right_area_and_centre(kind):
    size, radius = 40, 12.0
    image = render_shapes(kind, size, [20.0], [21.0], [radius], [0.3])[0]
    assert image.min() >= 0.0 and image.max() == 1.0
    assert image.sum() == pytest.approx(SHAPE_AREAS[kind] * radius ** 2, rel=0.04)
    rows, cols = np.indices(image.shape) + 0.5
    centre_x = (image * cols).sum() / image.sum()
    assert centre_x == pytest.approx(20.0, abs=0.3)


def test_rotation_turns_a_square_not_a_circle():
    circle = render_shapes("circle", 32, [16.0] * 2, [16.0] * 2, [10.0] * 2, [0.0, 0.7])
    square = render_shapes("square", 32, [16.0] * 2, [16.0] * 2, [10.0] * 2, [0.0, 0.7])
    assert np.abs(circle[0] - circle[1]).max() < 1e-9
    assert np.abs(square[0] - square[1]).sum() > 20


def test_seven_segment_digits_differ_and_ink_follows_segment_count():
    ink = []
    images = []
    for d in range(10):
        image = render_digits(d, 28, [14.0], [14.0], [9.0], [0.0], [1.5])[0]
        images.append(image)
        ink.append(image.sum())
    segments = [len(s) for s in data.images.DIGIT_SEGMENTS]
    assert np.argmax(ink) == 8 and np.argmin(ink) == 1
    assert np.corrcoef(ink, segments)[0, 1] > 0.95
    for a in range(10):
        for b in range(a + 1, 10):
            assert np.abs(images[a] - images[b]).sum() > 10, (a, b)


@pytest.mark.parametrize("builder, classes", [(data.shapes, 4), (data.digits, 10)],
                         ids=["shapes", "digits"])
@pytest.mark.parametrize("size", [16, 28])
def test_image_sets_shapes_dtypes_and_balance(builder, classes, size):
    ds = builder(n=103, size=size, seed=1)
    assert ds.X.shape == (103, 1, size, size) and ds.X.dtype == np.float32
    assert ds.y.shape == (103,) and ds.y.dtype == np.int64
    assert ds.input_shape == (1, size, size) and ds.num_classes == classes
    assert ds.X.min() >= 0.0 and ds.X.max() <= 1.0
    counts = np.bincount(ds.y, minlength=classes)
    assert counts.max() - counts.min() <= 1
    assert len(ds.class_names) == classes


@pytest.mark.parametrize("builder", [data.shapes, data.digits], ids=["shapes", "digits"])
def test_noise_parameter_adds_pixel_noise(builder):
    clean, noisy = (builder(n=40, noise=s, seed=3) for s in (0.0, 0.2))
    np.testing.assert_array_equal(clean.y, noisy.y)
    difference = noisy.X - clean.X
    assert 0.05 < np.abs(difference).mean() < 0.2
    background = clean.X == 0.0
    assert np.all(noisy.X[background] >= 0.0)  # noise is clipped to [0, 1]


def _centred(ds):
    """Images rolled so that their centre of ink sits in the middle, flattened."""
    images = ds.X[:, 0]
    size = images.shape[-1]
    rows, cols = np.indices((size, size)) + 0.5
    out = np.empty_like(images)
    for i, image in enumerate(images):
        ink = image.sum()
        shift = (round(size / 2 - (image * rows).sum() / ink),
                 round(size / 2 - (image * cols).sum() / ink))
        out[i] = np.roll(image, shift, axis=(0, 1))
    return out.reshape(len(images), -1)


@pytest.mark.parametrize("builder", [data.shapes, data.digits], ids=["shapes", "digits"])
def test_classes_are_separable_by_nearest_class_mean(builder):
    """Without noise, nearest-class-mean on centred images does far better than chance."""
    train, test = builder(n=400, noise=0.0, seed=0), builder(n=200, noise=0.0, seed=1)
    k = train.num_classes
    train_x, test_x = _centred(train), _centred(test)
    means = np.stack([train_x[train.y == c].mean(0) for c in range(k)])
    distances = ((test_x[:, None, :] - means[None]) ** 2).sum(-1)
    accuracy = np.mean(distances.argmin(1) == test.y)
    assert accuracy > 2.5 / k
