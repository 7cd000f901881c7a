"""Small procedurally generated image sets for CNNs, rasterised with numpy (nothing downloaded),
and a user's folder of images (one subfolder per class: PNG or PGM/PPM, decoded here).

Images are (n, 1, size, size) float32 in [0, 1] (white ink on black), labels int64. Each class
gets n // k or n // k + 1 images; positions, sizes, angles and pixel noise are random but seeded.
"""
import re
import struct
import zlib
from pathlib import Path

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


# ---- a folder of images, one subfolder per class ------------------------------------------
IMAGE_SUFFIXES = (".png", ".pgm", ".ppm")
MAX_IMAGE_SIDE = 256
MAX_IMAGES = 100_000
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type -> samples per pixel (8-bit only)


def load_image_folder(path, name=None):
    """A classification set from `path`/<class>/<image>: one subfolder per class (sorted
    names are the classes), PNG (8-bit, not interlaced, no palette) or binary PGM/PPM images,
    all of one size up to MAX_IMAGE_SIDE; pixels scaled to [0, 1] as (n, channels, H, W)
    float32 (grey: 1 channel; colour: 3, alpha dropped)."""
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"{path}: not a folder (expected one subfolder of images per class)")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    files = [(label, f) for label, c in enumerate(classes) for f in sorted((root / c).iterdir())
             if f.suffix.lower() in IMAGE_SUFFIXES]
    if len(classes) < 2 or not files:
        raise DataError(f"{path}: needs at least two class subfolders holding .png, .pgm or "
                        f".ppm images (found {len(classes)} subfolders, {len(files)} images)")
    if len(files) > MAX_IMAGES:
        raise DataError(f"{path}: {len(files):,} images, more than the {MAX_IMAGES:,} loaded")
    first = _read_image(files[0][1])
    X = np.empty((len(files),) + first.shape, np.float32)
    for i, (_, file) in enumerate(files):
        image = first if i == 0 else _read_image(file)
        if image.shape != first.shape:
            raise DataError(f"{file}: {_describe(image)}, while {files[0][1].name} is "
                            f"{_describe(first)}: all images must have one size and kind")
        X[i] = image
    y = np.array([label for label, _ in files], np.int64)
    return Dataset(X, y, "classification", num_classes=len(classes), name=name or root.name,
                   class_names=classes)


def _describe(image):
    channels, height, width = image.shape
    return f"{width}x{height} with {channels} channel{'s' if channels > 1 else ''}"


def _read_image(file):
    """(channels, H, W) float32 in [0, 1] of one image file."""
    try:
        data = file.read_bytes() if file.stat().st_size <= 64 << 20 else None
    except OSError as exc:
        raise DataError(f"{file}: cannot read the file ({exc.strerror or exc})") from exc
    if data is None:
        raise DataError(f"{file}: larger than 64 MiB: not a small image")
    pixels = _png(file, data) if data.startswith(_PNG_SIGNATURE) else _netpbm(file, data)
    channels = pixels.shape[2]
    if channels in (2, 4):  # alpha dropped
        pixels = pixels[:, :, :channels - 1]
    return (pixels.transpose(2, 0, 1) / 255.0).astype(np.float32)


def _check_side(file, width, height):
    if not (0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE):
        raise DataError(f"{file}: {width}x{height} pixels; images up to "
                        f"{MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE} are loaded")


def _netpbm(file, data):
    """Binary PGM (P5) or PPM (P6), 8-bit."""
    fields, position = [], 2
    if data[:2] not in (b"P5", b"P6"):
        raise DataError(f"{file}: not a PNG nor a binary PGM/PPM image")
    while len(fields) < 3:
        match = re.compile(rb"\s*(#[^\n]*\n\s*)*(\d+)").match(data, position)
        if match is None:
            raise DataError(f"{file}: a broken PGM/PPM header")
        fields.append(int(match.group(2)))
        position = match.end() + 1
    width, height, maximum = fields
    _check_side(file, width, height)
    channels = 1 if data[:2] == b"P5" else 3
    if maximum != 255 or len(data) < position + width * height * channels:
        raise DataError(f"{file}: only complete 8-bit PGM/PPM images are read (maximum value "
                        f"{maximum})")
    pixels = np.frombuffer(data, np.uint8, width * height * channels, position)
    return pixels.reshape(height, width, channels)


def _png(file, data):
    """An 8-bit, non-interlaced PNG without palette, as (H, W, samples) uint8."""
    chunks, position = {}, len(_PNG_SIGNATURE)
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunks.setdefault(kind, []).append(data[position + 8:position + 8 + length])
        position += 12 + length
    if b"IHDR" not in chunks or len(chunks[b"IHDR"][0]) != 13 or b"IDAT" not in chunks:
        raise DataError(f"{file}: a broken PNG (no IHDR or IDAT chunk)")
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"][0])
    _check_side(file, width, height)
    if depth != 8 or colour not in _PNG_CHANNELS or interlace:
        raise DataError(f"{file}: PNG of bit depth {depth}, colour type {colour}, interlace "
                        f"{interlace}; only 8-bit grey, grey+alpha, RGB or RGBA without "
                        "interlacing is read")
    samples = _PNG_CHANNELS[colour]
    stride = width * samples
    try:
        raw = zlib.decompressobj().decompress(b"".join(chunks[b"IDAT"]), height * (stride + 1))
    except zlib.error as exc:
        raise DataError(f"{file}: broken PNG data ({exc})") from exc
    if len(raw) < height * (stride + 1):
        raise DataError(f"{file}: PNG data truncated")
    rows = np.frombuffer(raw, np.uint8).reshape(height, stride + 1)
    return _unfilter(file, rows, samples).reshape(height, width, samples)


def _unfilter(file, rows, bpp):
    """Undo PNG's per-row filters (None, Sub, Up, Average, Paeth) on (H, 1 + stride) rows."""
    out = np.zeros((rows.shape[0], rows.shape[1] - 1), np.int32)
    previous = np.zeros(rows.shape[1] - 1, np.int32)
    for r, row in enumerate(rows):
        kind, line = row[0], row[1:].astype(np.int32)
        if kind == 0:
            current = line
        elif kind == 1:
            current = np.cumsum(line.reshape(-1, bpp), axis=0).reshape(-1) % 256
        elif kind == 2:
            current = (line + previous) % 256
        elif kind in (3, 4):
            current = _sequential(line, previous, bpp, kind)
        else:
            raise DataError(f"{file}: broken PNG data (filter type {kind} in row {r})")
        out[r] = previous = current
    return out.astype(np.uint8)


def _sequential(line, up, bpp, kind):
    """Average (3) or Paeth (4): each byte depends on the one already decoded left of it."""
    current = [0] * len(line)
    line, up = line.tolist(), up.tolist()
    for i, value in enumerate(line):
        left = current[i - bpp] if i >= bpp else 0
        upper_left = up[i - bpp] if i >= bpp else 0
        if kind == 3:
            predicted = (left + up[i]) // 2
        else:
            p = left + up[i] - upper_left
            pa, pb, pc = abs(p - left), abs(p - up[i]), abs(p - upper_left)
            predicted = left if pa <= pb and pa <= pc else up[i] if pb <= pc else upper_left
        current[i] = (value + predicted) % 256
    return np.array(current, np.int32)
