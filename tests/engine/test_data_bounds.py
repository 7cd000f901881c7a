"""Loading a user's data files is bounded whatever they claim (issue 23): a gzip or zip bomb
is refused after at most the cap is decompressed, a file that reports any size is read only up
to the cap, a CSV holds at most MAX_VALUES cells, 40,000 distinct labels load, and a
truncated NPZ member is reported as truncated."""
import gzip
import io
import os
import struct
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

from engine.data import DataError, load_csv, load_idx, load_npz
from engine.data import files

MIB = 1 << 20


def zeros_gzip(header, nbytes):
    """A gzip stream of `header` then `nbytes` zero bytes, compressed in pieces."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [compressor.compress(header)]
    block = bytes(MIB)
    for _ in range(nbytes // MIB):
        out.append(compressor.compress(block))
    return b"".join(out) + compressor.flush()


def peak_bytes(fn):
    tracemalloc.start()
    try:
        with pytest.raises(DataError) as info:
            fn()
        return tracemalloc.get_traced_memory()[1], str(info.value)
    finally:
        tracemalloc.stop()


def test_a_gzip_idx_bomb_stops_at_the_size_its_header_promises(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(zeros_gzip(bytes([0, 0, 8, 1]) + struct.pack(">I", 1000), 256 * MIB))
    peak, message = peak_bytes(lambda: load_idx(path))
    assert "IDX data has trailing bytes: dims (1000,) of uint8 need 1000 bytes" in message
    assert peak < 16 * MIB  # of 256 MiB it would decompress to


def test_an_idx_header_promising_too_much_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.idx"
    path.write_bytes(bytes([0, 0, 0x0E, 3]) + struct.pack(">3I", 100000, 1000, 1000))
    with pytest.raises(DataError, match=r"promises dims \(100000, 1000, 1000\) of float64 "
                                        r"\(800,000,000,000 bytes\), more than"):
        load_idx(path)


def test_a_gzip_bomb_without_a_header_stops_at_the_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 4 * MIB)
    path = tmp_path / "bomb.csv.gz"
    path.write_bytes(zeros_gzip(b"", 64 * MIB))
    peak, message = peak_bytes(lambda: files._read_bytes(path))
    assert "decompresses to more than 4,194,304 bytes" in message and peak < 24 * MIB


@pytest.mark.skipif(not os.path.exists("/proc/self/pagemap"), reason="Linux /proc")
def test_a_file_reporting_any_size_is_read_up_to_the_cap(monkeypatch):
    monkeypatch.setattr(files, "MAX_FILE_BYTES", MIB)
    with pytest.raises(DataError, match="larger than 1,048,576 bytes|cannot read"):
        files._read_bytes("/proc/self/pagemap")
    with pytest.raises(DataError, match="pagemap"):
        load_csv("/proc/self/pagemap")
    with pytest.raises(DataError, match="bad IDX magic|truncated IDX header|cannot read"):
        load_idx("/proc/self/pagemap")


def test_a_csv_larger_than_the_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.csv"
    path.write_text("".join(f"{i},{i % 2}\n" for i in range(500)))
    with pytest.raises(DataError, match="larger than 1,000 bytes"):
        load_csv(path)


def test_a_csv_with_more_values_than_the_limit_names_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_VALUES", 100)
    path = tmp_path / "rows.csv"
    path.write_text("".join(f"{i},{i},{i % 2}\n" for i in range(40)))
    with pytest.raises(DataError, match="more than 33 rows of 3 columns \\(at most 100 values"):
        load_csv(path)


def test_forty_thousand_distinct_labels_map_through_a_dict(tmp_path):
    path = tmp_path / "labels.csv"
    names = [f"c{i:05d}" for i in range(40_000)]
    path.write_text("".join(f"{i},{names[(i * 7919) % 40_000]}\n" for i in range(40_000)))
    data = load_csv(path, header=False)
    assert data.num_classes == 40_000 and list(data.class_names) == names
    assert data.y[1] == 7919 and data.class_names[data.y[123]] == names[(123 * 7919) % 40_000]


def npz_with(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_an_npz_zip_bomb_is_refused_from_the_declared_sizes(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 8 * MIB)
    path = tmp_path / "bomb.npz"
    path.write_bytes(npz_with({"x.npy": npy_bytes(np.zeros(4 * MIB)), "y.npy": npy_bytes(
        np.zeros(4 * MIB))}))
    assert path.stat().st_size < MIB
    peak, message = peak_bytes(lambda: load_npz(path))
    assert "decompress to 67,109,120 bytes, more than the 8,388,608" in message
    assert peak < 4 * MIB


def test_a_truncated_npz_member_is_reported_as_truncated(tmp_path):
    path = tmp_path / "cut.npz"
    whole = npy_bytes(np.arange(1000.0))
    path.write_bytes(npz_with({"x.npy": whole[:400], "y.npy": npy_bytes(np.zeros(1000))}))
    with pytest.raises(DataError, match=r"array 'x' is truncated: shape \(1000,\) of float64 "
                                        r"needs 8,000 bytes, the member holds 272"):
        load_npz(path)


def test_gzip_idx_still_loads(tmp_path):
    path = tmp_path / "ok.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + struct.pack(">I", 3) + b"\x01\x02\x03"))
    assert load_idx(path).tolist() == [1, 2, 3]


def test_a_csv_without_line_breaks_is_not_read_whole(tmp_path):
    path = tmp_path / "one_line.csv"
    path.write_bytes(b"1," * (8 * MIB))
    peak, message = peak_bytes(lambda: load_csv(path))
    assert "a line longer than 1,048,576 characters" in message and peak < 16 * MIB


def test_a_csv_far_over_the_limit_is_refused_from_its_size(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_VALUES", 1000)
    path = tmp_path / "many.csv"
    path.write_text("".join(f"{i},{i},{i % 2}\n" for i in range(100, 5100)))
    with pytest.raises(DataError, match=r"MiB of rows like the first make about [0-9,]+ values, "
                                        r"more than the 1,000 loaded"):
        load_csv(path)


def test_a_non_finite_cell_is_named_with_its_place(tmp_path):
    path = tmp_path / "nan.csv"
    path.write_text("a,b,y\n1,2,0\n3,nan,1\n")
    with pytest.raises(DataError, match=r"cell 'nan' at row 3, column 2 \('b'\) is not a "
                                        r"finite number"):
        load_csv(path)
