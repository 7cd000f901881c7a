"""Loaders for a user's own data: MNIST-format IDX files, CSV and NPZ.

Nothing here executes code or unpickles: NPZ is read with `allow_pickle=False`. A malformed
file raises DataError naming the file and the problem. Every read is bounded whatever the
file claims: at most MAX_FILE_BYTES are read (a device or /proc file may report any size),
gzip is decompressed in chunks and stopped at the size the IDX header promises, NPZ members
are checked against their declared sizes before numpy allocates, and a CSV holds at most
MAX_VALUES cells.
"""
import array
import csv
import io
import itertools
import math
import os
import zipfile
import zlib

import numpy as np

from .dataset import DataError, Dataset, infer_task

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MAX_FILE_BYTES = 1 << 30  # read from any one file, before and after decompression
MAX_VALUES = 20_000_000  # numbers a CSV file may hold (features and labels)
MAX_LINE_CHARS = 1 << 20
# what reading a broken zip archive raises (a flipped compression method, a bad CRC, ...)
_ZIP_ERRORS = (OSError, ValueError, EOFError, zlib.error, zipfile.BadZipFile, NotImplementedError,
               RuntimeError)
_CHUNK = 1 << 20


class _Capped(io.RawIOBase):
    """A binary file read through a cap: DataError(`too_big`) as soon as it holds more
    than `limit` bytes (it never reads more than one byte past the cap)."""

    def __init__(self, file, path, limit, too_big=None):
        self.file, self.limit, self.count = file, limit, 0
        self.too_big = too_big or (f"{path}: larger than {limit:,} bytes, the most a data "
                                   "file may hold")

    def readable(self):
        return True

    def readinto(self, buffer):
        want = min(len(buffer), self.limit + 1 - self.count)
        n = self.file.readinto(memoryview(buffer)[:want]) or 0
        self.count += n
        if self.count > self.limit:
            raise DataError(self.too_big)
        return n

    def close(self):
        self.file.close()
        super().close()


def _open_capped(path, limit=None, too_big=None):
    try:
        file = open(path, "rb")
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    return io.BufferedReader(_Capped(file, path, limit or MAX_FILE_BYTES, too_big), _CHUNK)


def _read_bytes(path, limit=None, too_big=None):
    """The file's bytes (decompressed when it is gzip), at most `limit` of them (DataError
    `too_big` when there are more)."""
    limit = limit or MAX_FILE_BYTES
    with _open_capped(path) as f:
        try:
            raw = f.read(2)
            raw += _read_up_to(f, MAX_FILE_BYTES if raw == b"\x1f\x8b" else limit - len(raw) + 1)
        except OSError as exc:
            raise DataError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if raw[:2] == b"\x1f\x8b":
        return _gunzip(path, raw, limit, too_big)
    if len(raw) > limit:
        raise DataError(too_big or f"{path}: larger than {limit:,} bytes, the most a data "
                                   "file may hold")
    return raw


def _read_up_to(file, most):
    """At most `most` bytes, read in chunks (a header's promise is not allocated at once)."""
    pieces, size = [], 0
    while size < most:
        piece = file.read(min(_CHUNK, most - size))
        if not piece:
            break
        pieces.append(piece)
        size += len(piece)
    return b"".join(pieces)


def _gunzip(path, raw, limit, too_big=None):
    """Decompress gzip `raw` in chunks; DataError as soon as the output passes `limit`."""
    stream = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out, size, view = [], 0, memoryview(raw)
    try:
        for start in range(0, len(raw), _CHUNK):
            piece = stream.decompress(view[start:start + _CHUNK], limit + 1 - size)
            while piece:
                out.append(piece)
                size += len(piece)
                if size > limit:
                    raise DataError(too_big or f"{path}: decompresses to more than "
                                               f"{limit:,} bytes, the most a data file may hold")
                piece = stream.decompress(stream.unconsumed_tail, limit + 1 - size)
            if stream.eof:
                break
    except zlib.error as exc:
        raise DataError(f"{path}: broken gzip data ({exc})") from exc
    if not stream.eof:
        raise DataError(f"{path}: broken gzip data (the compressed stream is truncated)")
    return b"".join(out)


def load_idx(path):
    """One IDX array (MNIST's format: magic 0x0000TTNN, big-endian int32 dims, then data);
    gzip-compressed files are recognised by their content."""
    limit, too_big, head = _idx_limit(path)
    raw = _read_bytes(path, limit, too_big) if limit else head  # head: what is wrong with it
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


def _idx_limit(path):
    """(bytes, message, head): the size the IDX header of `path` promises (header and data,
    read from the first decompressed bytes `head`) and what to say when the file holds more;
    (None, None, head) when the header is not valid (load_idx then says what is wrong)."""
    with _open_capped(path) as f:
        head = f.read(4 + 4 * 255)
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 4 + 4 * 255)
        except zlib.error as exc:
            raise DataError(f"{path}: broken gzip data ({exc})") from exc
    if (len(head) < 4 or head[:2] != b"\0\0" or head[2] not in _IDX_TYPES or head[3] == 0
            or len(head) < 4 + 4 * head[3]):
        return None, None, head
    dims = tuple(int(d) for d in np.frombuffer(head, ">u4", head[3], 4))
    dtype = np.dtype(_IDX_TYPES[head[2]])
    data = math.prod(dims) * dtype.itemsize
    if 4 + 4 * len(dims) + data > MAX_FILE_BYTES:
        raise DataError(f"{path}: the IDX header promises dims {dims} of {dtype.name} "
                        f"({data:,} bytes), more than the {MAX_FILE_BYTES:,} a data file may "
                        "hold")
    return 4 + 4 * len(dims) + data, (f"{path}: IDX data has trailing bytes: dims {dims} of "
                                      f"{dtype.name} need {data} bytes"), head


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
    return value if math.isfinite(value) else None


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


def _csv_rows(path, delimiter):
    """(record number, cells) of the non-blank rows, streamed through the byte cap, in lines
    of at most MAX_LINE_CHARS (a file without line breaks is not read whole)."""
    with io.TextIOWrapper(_open_capped(path), encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.reader(_lines(f, path), delimiter=delimiter), 1):
            if any(cell.strip() for cell in row):
                yield i, row


def _lines(file, path):
    while True:
        line = file.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if len(line) > MAX_LINE_CHARS:
            raise DataError(f"{path}: a line longer than {MAX_LINE_CHARS:,} characters: not a "
                            "CSV file of numbers")
        yield line


def load_csv(path, label=None, header=None, task=None, delimiter=",", name=None):
    """A CSV file of numeric feature columns and one label column (by name or index; the last
    one by default). `header=None` detects a header row (a first row with a non-numeric cell).
    Non-numeric labels become class indices in sorted order (`class_names`). At most
    MAX_VALUES cells and MAX_FILE_BYTES bytes are read."""
    try:
        rows = _csv_rows(path, delimiter)
        first = next(rows, None)
        if first is None:
            raise DataError(f"{path}: the file has no rows")
        if header is None:
            header = any(_number(cell) is None for cell in first[1])
        names = [cell.strip() for cell in first[1]] if header else None
        width = len(first[1])
        if width < 2:
            raise DataError(f"{path}: need at least one feature column and one label column")
        target = _label_index(path, label, names, width)
        body = rows if header else itertools.chain([first], rows)
        X, lines, labels = _csv_body(path, body, width, target, names)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read as CSV ({exc})") from exc
    if not labels:
        raise DataError(f"{path}: the file has a header but no data rows")
    return _csv_dataset(path, X, lines, labels, target, task, name or os.path.basename(path))


def _csv_body(path, body, width, target, names):
    """(features (n, width - 1) float64, record numbers, label cells) of the data rows."""
    features, lines, labels = array.array("d"), [], []
    most_rows = MAX_VALUES // width
    for line, row in body:
        if len(row) != width:
            raise DataError(f"{path}: row {line} has {len(row)} columns, expected {width}")
        if not labels:
            _check_estimate(path, row, width)
        if len(labels) >= most_rows:
            raise DataError(f"{path}: more than {most_rows:,} rows of {width} columns (at "
                            f"most {MAX_VALUES:,} values are loaded)")
        cells = row[:target] + row[target + 1:]
        try:
            features.extend([float(cell) for cell in cells])
        except ValueError:
            bad = next(c for c, cell in enumerate(row) if c != target and _number(cell) is None)
            raise DataError(_cell_problem(path, row[bad], line, bad, names)) from None
        lines.append(line)
        labels.append(row[target].strip())
    X = np.frombuffer(features, np.float64).reshape(len(labels), width - 1)
    if not np.isfinite(X).all():
        r, c = np.argwhere(~np.isfinite(X))[0]
        column = c + (c >= target)
        raise DataError(_cell_problem(path, repr(float(X[r, c])), lines[r], column, names))
    return X, lines, labels


def _cell_problem(path, cell, line, column, names):
    where = f"{column + 1} ({names[column]!r})" if names else f"{column + 1}"
    shown = cell if cell.startswith("'") else repr(cell)
    return f"{path}: cell {shown} at row {line}, column {where} is not a finite number"


def _check_estimate(path, row, width):
    """Refuse at once a regular file whose size, at this row's length, means far more rows
    than MAX_VALUES allows (rather than after parsing most of them)."""
    try:
        size = os.stat(path).st_size
    except OSError:
        return
    rows = size / (sum(map(len, row)) + len(row))
    if rows * width > 2 * MAX_VALUES:
        raise DataError(f"{path}: {size / 2 ** 20:,.0f} MiB of rows like the first make about "
                        f"{rows * width:,.0f} values, more than the {MAX_VALUES:,} loaded")


def _csv_dataset(path, X, lines, labels, target, task, name):
    """The Dataset of parsed CSV rows: class labels through a dict (any number of distinct
    labels in linear time), or numbers."""
    numeric = [_number(cell) for cell in labels]
    if all(v is None for v in numeric):
        if task not in (None, "classification"):
            raise DataError(f"{path}: non-numeric labels need a classification task, "
                            f"not {task!r}")
        classes = sorted(set(labels))
        index = {cell: i for i, cell in enumerate(classes)}
        y = np.fromiter((index[cell] for cell in labels), np.int64, len(labels))
        return Dataset(X, y, "classification", num_classes=len(classes), name=name,
                       class_names=classes)
    for line, cell, value in zip(lines, labels, numeric):
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
            except _ZIP_ERRORS as exc:
                raise DataError(f"{path}: array {key!r} cannot be read: the member is "
                                f"truncated or damaged ({exc})") from exc
            if array.dtype.kind not in "biuf":
                raise DataError(f"{path}: array {key!r} must be numeric, not {array.dtype}")
            return array
    wanted = repr(given) if given else " or ".join(repr(k) for k in keys)
    raise DataError(f"{path}: missing key {wanted}; the file has {archive.files}")


def _check_npz_members(path):
    """Refuse, before numpy allocates anything, an archive whose members declare more than
    MAX_FILE_BYTES in all (a zip bomb), a member holding Python objects, and a member whose
    .npy header promises more data than the member holds (truncated)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            declared = sum(info.file_size for info in members)
            if declared > MAX_FILE_BYTES:
                raise DataError(f"{path}: its arrays decompress to {declared:,} bytes, more "
                                f"than the {MAX_FILE_BYTES:,} a data file may hold")
            for info in members:
                _check_npy_header(path, archive, info)
    except _ZIP_ERRORS as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{path}: cannot read as NPZ ({exc})") from exc


def _check_npy_header(path, archive, info):
    key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0) else
                       np.lib.format.read_array_header_2_0)
        shape, _, dtype = read_header(member)
        header = member.tell()
    if dtype.hasobject:
        raise DataError(f"{path}: array {key!r} holds Python objects; only numeric arrays are "
                        "accepted")
    needed = math.prod(shape) * dtype.itemsize
    if header + needed > info.file_size:
        raise DataError(f"{path}: array {key!r} is truncated: shape {shape} of {dtype} needs "
                        f"{needed:,} bytes, the member holds {max(info.file_size - header, 0):,}")


def load_npz(path, x_key=None, y_key=None, task=None, name=None):
    """Features and targets from an .npz archive: keys "x"/"X" and "y"/"Y" unless given.
    Every member is checked (_check_npz_members) before any is read."""
    try:
        with open(path, "rb") as f:
            single = f.read(6) == b"\x93NUMPY"
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if single:
        raise DataError(f"{path}: a single .npy array, not an .npz archive of x and y")
    _check_npz_members(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except _ZIP_ERRORS as exc:
        raise DataError(f"{path}: cannot read as NPZ ({exc})") from exc
    with archive:
        X = _npz_array(path, archive, ("x", "X"), x_key)
        y = _npz_array(path, archive, ("y", "Y"), y_key)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise DataError(f"{path}: features of shape {X.shape} and targets of shape {y.shape} "
                        "do not have the same number of samples")
    return Dataset(X, y, task or infer_task(y), name=name or os.path.basename(path))
