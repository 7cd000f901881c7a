"""Small procedurally generated image sets for CNNs, rasterised with numpy (nothing downloaded).

Images are (n, 1, size, size) float32 in [0, 1] (white ink on black), labels int64. Each class
gets n // k or n // k + 1 images; positions, sizes, angles and pixel noise are random but seeded.
"""
import numpy as np

from .dataset import DataError, Dataset, check_int, check_params

SHAPE_NAMES = ("circle", "square", "triangle", "cross")
_SUBPIXELS = (-0.25, 0.25)  # 2 x 2 supersampling offsets from a pixel's centre

# Seven segments (a..g) of a digit box x in [-0.5, 0.5], y in [-1, 1] (y points down).
_SEGMENTS = {
    "a": ((-0.5, -1.0), (0.5, -1.0)), "b": ((0.5, -1.0), (0.5, 0.0)),
    "c": ((0.5, 0.0), (0.5, 1.0)), "d": ((-0.5, 1.0), (0.5, 1.0)),
    "e": ((-0.5, 0.0), (-0.5, 1.0)), "f": ((-0.5, -1.0), (-0.5, 0.0)),
    "g": ((-0.5, 0.0), (0.5, 0.0)),
}
DIGIT_SEGMENTS = ("abcdef", "bc", "abged", "abgcd", "fgbc", "afgcd", "afgedc", "abc",
                  "abcdefg", "abcdfg")


def _pixel_grid(size, offsets):
    """Sample points of every pixel: x (column) and y (row), each (size, size, len(offsets)**2)."""
    centres = np.arange(size) + 0.5
    oy, ox = (o.ravel() for o in np.meshgrid(offsets, offsets, indexing="ij"))
    return np.broadcast_arrays(centres[None, :, None] + ox, centres[:, None, None] + oy)


def _local_coords(size, cx, cy, scale, angle, offsets=(0.0,)):
    """Pixel sample points in each image's own frame (centred, rotated, divided by scale):
    u, v of shape (m, size, size, samples) for m images."""
    x, y = _pixel_grid(size, np.asarray(offsets, float))
    cx, cy, scale, angle = (np.asarray(a, float)[:, None, None, None]
                            for a in (cx, cy, scale, angle))
    dx, dy = x[None] - cx, y[None] - cy
    cos, sin = np.cos(angle), np.sin(angle)
    return (dx * cos + dy * sin) / scale, (-dx * sin + dy * cos) / scale


def _shape_mask(kind, u, v):
    """Inside test in a unit frame (radius 1); y points down, so the triangle points up."""
    if kind == "circle":
        return u * u + v * v <= 1.0
    if kind == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= 0.8
    if kind == "triangle":
        return (v <= 0.5) & (np.sqrt(3.0) * np.abs(u) <= v + 1.0)
    if kind == "cross":
        au, av = np.abs(u), np.abs(v)
        return ((au <= 0.25) & (av <= 0.9)) | ((av <= 0.25) & (au <= 0.9))
    raise DataError(f"shapes: unknown shape {kind!r}; known: {SHAPE_NAMES}")


def render_shapes(kind, size, cx, cy, radius, angle):
    """Anti-aliased images (m, size, size) of one shape kind at the given centres (pixels),
    radii (pixels) and angles (radians)."""
    u, v = _local_coords(size, cx, cy, radius, angle, _SUBPIXELS)
    return _shape_mask(kind, u, v).mean(axis=-1)


def _segment_distance(x, y, start, end):
    (x0, y0), (x1, y1) = start, end
    ex, ey = x1 - x0, y1 - y0
    t = np.clip(((x - x0) * ex + (y - y0) * ey) / (ex * ex + ey * ey), 0.0, 1.0)
    return np.hypot(x - x0 - t * ex, y - y0 - t * ey)


def render_digits(digit, size, cx, cy, height, slant, thickness):
    """Anti-aliased seven-segment images (m, size, size) of one digit: `height` is half the
    digit's height in pixels, `slant` a shear (italic), `thickness` the stroke half-width."""
    if digit not in range(10):
        raise DataError(f"digits: digit must be 0..9, not {digit!r}")
    u, v = _local_coords(size, cx, cy, height, np.zeros(np.shape(cx)))
    u = u + np.asarray(slant, float)[:, None, None, None] * v
    distance = np.min([_segment_distance(u, v, *_SEGMENTS[s])
                       for s in DIGIT_SEGMENTS[digit]], axis=0)
    pixels = distance * np.asarray(height, float)[:, None, None, None]
    ink = np.clip(np.asarray(thickness, float)[:, None, None, None] - pixels + 0.5, 0.0, 1.0)
    return ink[..., 0]


def _balanced_labels(rng, n, k):
    return rng.permutation(np.arange(n) % k).astype(np.int64)


def _add_noise(rng, images, noise):
    return np.clip(images + rng.normal(0.0, 1.0, images.shape) * noise, 0.0, 1.0)


def shapes(n=400, size=16, noise=0.1, seed=0):
    """Circles, squares, triangles and crosses (classes 0..3) of random size, place and angle."""
    check_params("shapes", n, noise)
    check_int("shapes", "size", size, 8)
    rng = np.random.default_rng(seed)
    labels = _balanced_labels(rng, n, len(SHAPE_NAMES))
    radius = rng.uniform(0.22, 0.4, n) * size
    cx = rng.uniform(radius, size - radius)
    cy = rng.uniform(radius, size - radius)
    angle = rng.uniform(-np.pi / 9, np.pi / 9, n)
    images = np.zeros((n, size, size))
    for k, kind in enumerate(SHAPE_NAMES):
        m = labels == k
        images[m] = render_shapes(kind, size, cx[m], cy[m], radius[m], angle[m])
    return Dataset(_add_noise(rng, images, noise)[:, None].astype(np.float32), labels,
                   "classification", num_classes=len(SHAPE_NAMES), name="shapes",
                   class_names=SHAPE_NAMES)


def digits(n=500, size=16, noise=0.1, seed=0):
    """Seven-segment digits 0..9 with random size, position, slant and stroke width."""
    check_params("digits", n, noise)
    check_int("digits", "size", size, 8)
    rng = np.random.default_rng(seed)
    labels = _balanced_labels(rng, n, 10)
    height = rng.uniform(0.28, 0.36, n) * size
    cx = size / 2 + rng.uniform(-0.12, 0.12, n) * size
    cy = size / 2 + rng.uniform(-0.05, 0.05, n) * size
    slant = rng.uniform(-0.15, 0.15, n)
    thickness = rng.uniform(0.04, 0.07, n) * size
    images = np.zeros((n, size, size))
    for d in range(10):
        m = labels == d
        images[m] = render_digits(d, size, cx[m], cy[m], height[m], slant[m], thickness[m])
    return Dataset(_add_noise(rng, images, noise)[:, None].astype(np.float32), labels,
                   "classification", num_classes=10, name="digits",
                   class_names=[str(d) for d in range(10)])
