"""The debugger's statistics on a device (app/debugging/device_statistics.py): CuPy gives
the figures numpy gives, the history records device phases through them. Skipped (by
conftest.py) without CuPy and a CUDA device."""
import numpy as np
import pytest

from app.debugging import device_statistics as ds
from app.debugging.history import History
from app.debugging.statistics import STAT_NAMES, summarize

pytestmark = pytest.mark.gpu
cp = pytest.importorskip("cupy")
rng = np.random.default_rng(11)


def _arrays():
    out = [rng.standard_normal((256, 784)).astype(np.float32), np.zeros(0, np.float32),
           rng.standard_normal(10).astype(np.float16), np.maximum(rng.standard_normal(3000), 0),
           np.array([1.0, np.nan, np.inf], np.float32), np.full(ds.WIDTH, 2.0, np.float32)]
    return out


def test_device_batched_stats_equal_numpy():
    host = _arrays()
    got = ds.PendingRows([cp.asarray(a) for a in host], cp).rows()
    assert isinstance(got, np.ndarray) and got.shape == (len(host), len(STAT_NAMES))
    np.testing.assert_allclose(got, ds.batched_stats(host, np), rtol=1e-12, atol=1e-12,
                               equal_nan=True)
    np.testing.assert_allclose(summarize([cp.asarray(a) for a in host]), got, equal_nan=True)


def test_history_records_device_phases():
    host = _arrays()
    keys = [f"n{i}" for i in range(len(host))]
    h = History(keep_last=2)
    for it in range(3):
        h.record(it, "value", keys, [cp.asarray(a) for a in host])
        h.record(it, "grad", keys[:2], [cp.asarray(a) for a in host[:2]], flush=it == 2)
    stats = h.stats("n0")
    assert stats["iteration"].tolist() == [0, 1, 2]
    want = ds.batched_stats(host, np)
    np.testing.assert_allclose(stats["mean"], [want[0, 0]] * 3, rtol=1e-12)
    assert h.stats_at("n4", 1)["nonfinite"] == 2
    np.testing.assert_array_equal(h.tensor("n0", 2), host[0])
