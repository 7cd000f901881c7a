"""Loaders for a user's own data: MNIST-format IDX files, CSV and NPZ.

Nothing here executes code or unpickles: NPZ is read with `allow_pickle=False`. A malformed
file raises DataError naming the file and the problem.
"""
import csv
import gzip
import math
import os
import zipfile

import numpy as np

from .dataset import DataError, Dataset, infer_task

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_bytes(path):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path}: broken gzip data ({exc})") from exc
    return raw


def load_idx(path):
    """One IDX array (MNIST's format: magic 0x0000TTNN, big-endian int32 dims, then data);
    gzip-compressed files are recognised by their content."""
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise DataError(f"{path}: truncated IDX header ({len(raw)} bytes, need at least 4)")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataError(f"{path}: bad IDX magic number 0x{raw[:4].hex()} (expected "
                        f"0x0000TTNN with type TT in {[f'{t:02x}' for t in _IDX_TYPES]})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{path}: truncated IDX header: {ndim} dimensions need {header} bytes, "
                        f"the file has {len(raw)}")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = math.prod(dims) * dtype.itemsize
    found = len(raw) - header
    if found != expected:
        problem = "truncated" if found < expected else "has trailing bytes"
        raise DataError(f"{path}: IDX data {problem}: dims {dims} of {dtype.name} need "
                        f"{expected} bytes, found {found}")
    return np.frombuffer(raw, dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def load_mnist(images_path, labels_path, name="mnist"):
    """An IDX image file (n, H, W) and label file (n,) as a classification set: images
    scaled to [0, 1] as (n, 1, H, W), labels int64."""
    images, labels = load_idx(images_path), load_idx(labels_path)
    if images.ndim != 3:
        raise DataError(f"{images_path}: images must have 3 dimensions (n, H, W), "
                        f"found {images.shape}")
    if labels.ndim != 1:
        raise DataError(f"{labels_path}: labels must have 1 dimension (n,), found {labels.shape}")
    if len(images) != len(labels):
        raise DataError(f"{images_path} has {len(images)} images but {labels_path} has "
                        f"{len(labels)} labels")
    if labels.dtype.kind not in "iu" or (len(labels) and labels.min() < 0):
        raise DataError(f"{labels_path}: labels must be non-negative integers")
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    return Dataset((images / scale)[:, None].astype(np.float32), labels, "classification",
                   name=name)


def _number(cell):
    """The cell as a finite float, or None."""
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _label_index(path, label, header, width):
    if isinstance(label, str):
        if header is None:
            raise DataError(f"{path}: label column {label!r} given by name, but the file "
                            "has no header row")
        if label not in header:
            raise DataError(f"{path}: no column named {label!r}; columns: {header}")
        return header.index(label)
    if label is None:
        return width - 1
    if not -width <= label < width:
        raise DataError(f"{path}: label column {label} out of range for {width} columns")
    return label % width


def load_csv(path, label=None, header=None, task=None, delimiter=",", name=None):
    """A CSV file of numeric feature columns and one label column (by name or index; the last
    one by default). `header=None` detects a header row (a first row with a non-numeric cell).
    Non-numeric labels become class indices in sorted order (`class_names`)."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = [(i, row) for i, row in enumerate(csv.reader(f, delimiter=delimiter), 1)
                    if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read as CSV ({exc})") from exc
    if not rows:
        raise DataError(f"{path}: the file has no rows")
    if header is None:
        header = any(_number(cell) is None for cell in rows[0][1])
    names = [cell.strip() for cell in rows[0][1]] if header else None
    body = rows[1:] if header else rows
    width = len(rows[0][1])
    if width < 2:
        raise DataError(f"{path}: need at least one feature column and one label column")
    if not body:
        raise DataError(f"{path}: the file has a header but no data rows")
    target = _label_index(path, label, names, width)
    features, labels = [], []
    for line, row in body:
        if len(row) != width:
            raise DataError(f"{path}: row {line} has {len(row)} columns, expected {width}")
        values = []
        for c, cell in enumerate(row):
            if c == target:
                continue
            value = _number(cell)
            if value is None:
                column = f"{c + 1} ({names[c]!r})" if names else f"{c + 1}"
                raise DataError(f"{path}: cell {cell!r} at row {line}, column {column} is not "
                                "a finite number")
            values.append(value)
        features.append(values)
        labels.append(row[target].strip())
    X = np.array(features, np.float64)
    numeric = [_number(cell) for cell in labels]
    name = name or os.path.basename(path)
    if all(v is None for v in numeric):
        if task not in (None, "classification"):
            raise DataError(f"{path}: non-numeric labels need a classification task, "
                            f"not {task!r}")
        classes = sorted(set(labels))
        y = np.array([classes.index(cell) for cell in labels], np.int64)
        return Dataset(X, y, "classification", num_classes=len(classes), name=name,
                       class_names=classes)
    for (line, _), cell, value in zip(body, labels, numeric):
        if value is None:
            raise DataError(f"{path}: label {cell!r} at row {line}, column {target + 1} is not a "
                            "finite number, while other labels are numbers")
    y = np.array(numeric, np.float64)
    return Dataset(X, y, task or infer_task(y), name=name)


def _npz_array(path, archive, keys, given):
    for key in ([given] if given else keys):
        if key in archive.files:
            try:
                array = archive[key]
            except ValueError as exc:  # object arrays need pickle, which is refused
                raise DataError(f"{path}: array {key!r} holds Python objects; only numeric "
                                "arrays are accepted") from exc
            if array.dtype.kind not in "biuf":
                raise DataError(f"{path}: array {key!r} must be numeric, not {array.dtype}")
            return array
    wanted = repr(given) if given else " or ".join(repr(k) for k in keys)
    raise DataError(f"{path}: missing key {wanted}; the file has {archive.files}")


def load_npz(path, x_key=None, y_key=None, task=None, name=None):
    """Features and targets from an .npz archive: keys "x"/"X" and "y"/"Y" unless given."""
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{path}: cannot read as NPZ ({exc})") from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(f"{path}: a single .npy array, not an .npz archive of x and y")
    with archive:
        X = _npz_array(path, archive, ("x", "X"), x_key)
        y = _npz_array(path, archive, ("y", "Y"), y_key)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise DataError(f"{path}: features of shape {X.shape} and targets of shape {y.shape} "
                        "do not have the same number of samples")
    return Dataset(X, y, task or infer_task(y), name=name or os.path.basename(path))
