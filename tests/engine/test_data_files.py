"""Loading a user's files (IDX, CSV, NPZ): good files load, malformed ones say what is wrong."""
import gzip
import struct

import numpy as np
import pytest

from engine.data import DataError, load_csv, load_idx, load_mnist, load_npz


def _idx_bytes(array, type_code=0x08):
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    dtype = {0x08: ">u1", 0x0B: ">i2", 0x0D: ">f4"}[type_code]
    return header + array.astype(dtype).tobytes()


@pytest.fixture
def mnist_files(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 4, 3)).astype(np.uint8)
    labels = np.array([3, 0, 9, 1, 1], np.uint8)
    image_path, label_path = tmp_path / "images-idx3-ubyte", tmp_path / "labels-idx1-ubyte.gz"
    image_path.write_bytes(_idx_bytes(images))
    label_path.write_bytes(gzip.compress(_idx_bytes(labels)))
    return image_path, label_path, images, labels


def test_mnist_pair_loads_with_gzip(mnist_files):
    image_path, label_path, images, labels = mnist_files
    ds = load_mnist(image_path, label_path)
    assert ds.X.shape == (5, 1, 4, 3) and ds.X.dtype == np.float32
    np.testing.assert_allclose(ds.X[:, 0], images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(ds.y, labels)
    assert ds.y.dtype == np.int64 and ds.num_classes == 10


@pytest.mark.parametrize("type_code, values", [(0x0B, [[-300, 2], [7, 30000]]),
                                               (0x0D, [[0.5, -1.25], [3.0, 1e-3]])])
def test_idx_big_endian_types(tmp_path, type_code, values):
    path = tmp_path / "a.idx"
    path.write_bytes(_idx_bytes(np.array(values), type_code))
    np.testing.assert_allclose(load_idx(path), values, rtol=1e-6)


@pytest.mark.parametrize("mangle, words", [
    (lambda raw: b"\x08\x03" + raw[2:], "bad IDX magic number 0x0803"),
    (lambda raw: raw[:2] + b"\x42" + raw[3:], "bad IDX magic"),
    (lambda raw: raw[:-5], "truncated: dims \\(5, 4, 3\\) of uint8 need 60 bytes, found 55"),
    (lambda raw: raw + b"\x00\x00", "trailing bytes"),
    (lambda raw: raw[:9], "truncated IDX header"),
    (lambda raw: raw[:3], "truncated IDX header"),
    (lambda raw: b"\x1f\x8b" + raw, "broken gzip"),
])
def test_malformed_idx_names_file_and_problem(mnist_files, mangle, words):
    image_path, label_path, _, _ = mnist_files
    image_path.write_bytes(mangle(image_path.read_bytes()))
    with pytest.raises(DataError, match=words) as info:
        load_mnist(image_path, label_path)
    assert str(image_path) in str(info.value)


def test_mnist_counts_and_ranks_are_checked(tmp_path, mnist_files):
    image_path, label_path, images, labels = mnist_files
    short = tmp_path / "short-labels"
    short.write_bytes(_idx_bytes(labels[:4]))
    with pytest.raises(DataError, match="has 5 images but .*short-labels has 4 labels"):
        load_mnist(image_path, short)
    with pytest.raises(DataError, match="images must have 3 dimensions"):
        load_mnist(label_path, label_path)
    with pytest.raises(DataError, match="cannot read the file"):
        load_mnist(tmp_path / "missing", label_path)


def test_csv_with_header_and_named_label(tmp_path):
    path = tmp_path / "iris.csv"
    path.write_text("a,species,b\n1.5,setosa,2\n-3,virginica,4e-1\n0,setosa,7\n\n")
    ds = load_csv(path, label="species")
    np.testing.assert_allclose(ds.X, [[1.5, 2], [-3, 0.4], [0, 7]])
    np.testing.assert_array_equal(ds.y, [0, 1, 0])
    assert ds.class_names == ["setosa", "virginica"] and ds.task == "classification"
    assert ds.name == "iris.csv"


def test_csv_without_header_label_by_index(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("0.5;1;2\n1.5;0;3\n2.5;2;4\n")
    ds = load_csv(path, label=1, delimiter=";")
    assert ds.task == "classification" and ds.num_classes == 3
    np.testing.assert_array_equal(ds.y, [1, 0, 2])
    np.testing.assert_allclose(ds.X, [[0.5, 2], [1.5, 3], [2.5, 4]])
    last = load_csv(path, delimiter=";")  # the last column by default
    np.testing.assert_array_equal(last.y, [2, 3, 4])
    forced = load_csv(path, delimiter=";", task="regression")
    assert forced.y.shape == (3, 1) and forced.y.dtype == np.float32


def test_csv_real_labels_make_regression(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("x,y\n0,0.25\n1,-1.5\n")
    ds = load_csv(path, label="y")
    assert ds.task == "regression" and ds.num_classes is None
    np.testing.assert_allclose(ds.y, [[0.25], [-1.5]])


@pytest.mark.parametrize("text, params, words", [
    ("a,b,c\n1,2,0\n3,x,1\n", {}, "cell 'x' at row 3, column 2 \\('b'\\) is not a finite"),
    ("1,2,0\n3,nan,1\n", {"header": False}, "cell 'nan' at row 2, column 2 is not"),
    ("a,b\n1,2\n3\n", {}, "row 3 has 1 columns, expected 2"),
    ("a,b\n", {}, "header but no data rows"),
    ("", {}, "no rows"),
    ("1,2\n3,4\n", {"label": "b"}, "has no header row"),
    ("a,b\n1,2\n", {"label": "z"}, "no column named 'z'"),
    ("a,b\n1,2\n", {"label": 5}, "label column 5 out of range for 2 columns"),
    ("a,b\n1,2\n3,cat\n", {}, "label 'cat' at row 3, column 2 is not a finite number"),
    ("a,b\n1,cat\n", {"task": "regression"}, "non-numeric labels need a classification"),
    ("a\n1\n", {}, "at least one feature column"),
])
def test_malformed_csv_names_file_and_place(tmp_path, text, params, words):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=words) as info:
        load_csv(path, **params)
    assert str(path) in str(info.value)


def test_npz_default_and_given_keys(tmp_path):
    path = tmp_path / "d.npz"
    X = np.arange(12, dtype=np.float64).reshape(4, 3)
    np.savez(path, X=X, y=np.array([0, 1, 1, 2]), targets=np.linspace(0, 1, 4))
    ds = load_npz(path)
    assert ds.X.dtype == np.float32 and ds.task == "classification" and ds.num_classes == 3
    np.testing.assert_array_equal(ds.X, X)
    by_name = load_npz(path, y_key="targets")
    assert by_name.task == "regression" and by_name.y.shape == (4, 1)


def test_npz_malformed(tmp_path):
    objects = tmp_path / "objects.npz"
    np.savez(objects, x=np.array([{"a": 1}, None], dtype=object), y=np.array([0, 1]))
    with pytest.raises(DataError, match="objects.npz: array 'x' holds Python objects"):
        load_npz(objects)
    missing = tmp_path / "missing.npz"
    np.savez(missing, features=np.zeros((2, 2)), y=np.zeros(2))
    with pytest.raises(DataError, match=r"missing key 'x' or 'X'; the file has \['features'"):
        load_npz(missing)
    with pytest.raises(DataError, match="missing key 'labels'"):
        load_npz(missing, x_key="features", y_key="labels")
    counts = tmp_path / "counts.npz"
    np.savez(counts, x=np.zeros((3, 2)), y=np.zeros(2))
    with pytest.raises(DataError, match="\\(3, 2\\) and targets of shape \\(2,\\)"):
        load_npz(counts)
    strings = tmp_path / "strings.npz"
    np.savez(strings, x=np.zeros((2, 2)), y=np.array(["a", "b"]))
    with pytest.raises(DataError, match="array 'y' must be numeric"):
        load_npz(strings)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match="garbage.npz: cannot read as NPZ"):
        load_npz(garbage)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(DataError, match="single .npy array"):
        load_npz(single)
