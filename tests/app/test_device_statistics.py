"""The batched statistics of the debugger's device path (app/debugging/device_statistics.py),
run here with numpy as the array module: the same figures as the per-tensor host statistics
(app/debugging/statistics.py) and as a float64 reference, NaN/Inf, empty tensors, dtypes."""
import math

import numpy as np
import pytest

from app.debugging import device_statistics as ds
from app.debugging.history import History, _computed
from app.debugging.statistics import STAT_NAMES, summarize

rng = np.random.default_rng(7)


def _reference(a):
    """One row of STAT_NAMES in float64, computed the plain way."""
    f = np.asarray(a, np.float64).reshape(-1)
    if not f.size:
        return [math.nan] * len(STAT_NAMES)
    with np.errstate(all="ignore"):
        mean = f.sum() / f.size
        return [mean, math.sqrt(((f - mean) ** 2).sum() / f.size), f.min(), f.max(),
                math.sqrt((f * f).sum()), np.count_nonzero(f == 0) / f.size,
                f.size - np.count_nonzero(np.isfinite(f))]


def _arrays(dtype):
    return [rng.standard_normal((3, 4)).astype(dtype),
            np.zeros((0, 5), dtype),
            rng.standard_normal(ds.WIDTH * 2 + 3).astype(dtype),  # spans three rows
            np.maximum(rng.standard_normal((16, 64)), 0).astype(dtype),  # many zeros
            np.full(ds.WIDTH, 3.0, dtype),  # exactly one row, constant
            (1000 + rng.standard_normal(50)).astype(dtype)]  # large mean, small spread


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_batched_stats_equal_the_reference_and_the_host_statistics(dtype):
    arrays = _arrays(dtype)
    got = ds.batched_stats(arrays, np)
    assert got.shape == (len(arrays), len(STAT_NAMES)) and got.dtype == np.float64
    np.testing.assert_allclose(got, [_reference(a) for a in arrays], rtol=1e-12, atol=1e-12)
    host = summarize(arrays)  # accumulates in the array's dtype: float16 to 1e-3 or so
    rtol = {np.float16: 5e-3, np.float32: 2e-6, np.float64: 1e-10}[dtype]
    np.testing.assert_allclose(got, host, rtol=rtol, atol=rtol)


def test_non_finite_values_give_the_host_statistics_figures():
    arrays = [np.array([1.0, np.nan, 3.0], np.float32), np.array([np.inf, 1.0, 0.0]),
              np.array([-np.inf, np.inf], np.float32), np.array([np.nan] * 2000),
              rng.standard_normal(3000).astype(np.float32)]
    arrays[-1][1500] = np.inf
    got = ds.batched_stats(arrays, np)
    np.testing.assert_allclose(got, summarize(arrays), rtol=1e-6, equal_nan=True)
    assert got[:, STAT_NAMES.index("nonfinite")].tolist() == [1, 1, 2, 2000, 1]
    assert np.isnan(got[0, :5]).all() and got[1, STAT_NAMES.index("min")] == 0
    assert got[1, STAT_NAMES.index("max")] == np.inf and np.isnan(got[1, 1])


def test_empty_and_integer_tensors():
    arrays = [np.zeros(0, np.float32), np.arange(-3, 9), np.array([True, False, True])]
    got = ds.batched_stats(arrays, np)
    assert np.isnan(got[0]).all()
    np.testing.assert_allclose(got[1:], [_reference(a) for a in arrays[1:]], rtol=1e-12)
    assert np.isnan(ds.batched_stats([np.zeros(0)], np)).all()


def test_layout_is_cached_per_shapes_and_pending_rows_give_the_table():
    arrays = _arrays(np.float32)
    sizes = tuple(a.size for a in arrays)
    pending = ds.PendingRows(arrays, np)
    assert len(pending) == len(arrays)
    assert ds._layout(sizes, np) is ds._layout(sizes, np)
    np.testing.assert_array_equal(pending.rows(), ds.batched_stats(arrays, np))


def test_history_mixes_pending_device_rows_with_host_phases():
    device = _arrays(np.float32)
    host = [rng.standard_normal(5).astype(np.float32), np.float32(2.5)]
    pending = [(0, "value", {}, host, None), (0, "grad", {}, ds.PendingRows(device, np), None),
               (1, "value", {}, host, None)]
    table = _computed(pending)
    np.testing.assert_allclose(table, summarize(host + device + host), rtol=2e-6, atol=1e-6)
    h = History()
    h.record(0, "value", ["a", "b"], host, flush=True)
    assert h.stats_at("b", 0)["mean"] == 2.5
