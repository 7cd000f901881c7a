"""The compiled one-pass moments against numpy's five passes (app.debugging.statistics.numpy_moments)."""
import logging
import sys

import numpy as np
import pytest

import app.debugging.one_pass_moments as opm
from app.debugging import statistics
from app.debugging.statistics import numpy_moments


def _arrays(n, dtype):
    rng = np.random.default_rng(n)
    relu = np.maximum(rng.standard_normal(n), 0)
    relu[1::7] = -0.0
    return {"relu-like": relu, "negative": -np.abs(rng.standard_normal(n)) - 1,
            "constant": np.full(n, 3.0), "wide": rng.standard_normal(n) * 1e6 + 5}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [opm.LANES, opm.LANES + 1, 2 * opm.LANES - 1, 4097, 32771])
def test_kernel_matches_numpy(n, dtype):
    """Sizes on both sides of a whole number of lanes: the tail loop counts too."""
    assert opm._compiled() is not None, "numba is a dependency: the kernel must compile"
    for name, values in _arrays(n, dtype).items():
        f = values.astype(dtype)
        got, want = opm.one_pass_moments(f), numpy_moments(f)
        rtol = 1e-5 if dtype == np.float32 else 1e-12
        assert got[:2] == pytest.approx(want[:2], rel=rtol), name
        assert got[2:] == want[2:], name  # extremes and zero count exact


def test_zero_count_includes_negative_zero_and_extremes_are_exact():
    f = np.zeros(1000, np.float32)
    f[::3] = -0.0
    f[10], f[999] = -2.5, 7.25
    total, squares, lo, hi, zeros = opm.one_pass_moments(f)
    assert (lo, hi, zeros) == (-2.5, 7.25, 998)
    assert (total, squares) == pytest.approx((4.75, 2.5 ** 2 + 7.25 ** 2))


@pytest.mark.parametrize("f", [np.ones(100, np.float16), np.ones(100, np.int32),
                               np.ones(opm.LANES - 1, np.float32),
                               np.ones(200, np.float32)[::2]],
                         ids=["float16", "int32", "too small", "strided"])
def test_kernel_declines_what_it_does_not_handle(f):
    assert opm.one_pass_moments(f) is None


def test_kernel_declines_sizes_whose_zero_count_could_be_inexact(monkeypatch):
    monkeypatch.setattr(opm, "MAX_SIZE", 1000)
    assert opm.one_pass_moments(np.ones(1000, np.float32)) is None


def test_without_numba_numpy_keeps_the_statistics(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    with caplog.at_level(logging.WARNING, logger=opm.__name__):
        assert opm._compiled.__wrapped__() is None
    assert "numpy's passes" in caplog.text


def _summary(a):
    return dict(zip(statistics.STAT_NAMES, statistics.summarize_large(a)))


@pytest.mark.parametrize("offset,spread", [(0.5, 0.05), (100.0, 0.5)])
def test_float32_values_far_from_zero_keep_an_exact_std_in_one_pass(offset, spread, monkeypatch):
    """Sums in float64 make the one-pass variance of e.g. sigmoid outputs (mean 0.5, std
    0.05) exact to ~1e-12: no second, centred pass (which cost the LSTM's debugger ~1 ms)."""
    monkeypatch.setattr(statistics, "_wide_moments", lambda f: pytest.fail("centred again"))
    a = (offset + spread * np.random.default_rng(0).standard_normal(8192)).astype(np.float32)
    row = _summary(a)
    wide = a.astype(np.float64)
    assert row["std"] == pytest.approx(wide.std(), rel=1e-7)
    assert row["mean"] == pytest.approx(wide.mean(), rel=1e-12)


def test_values_whose_spread_is_below_float64_sums_are_centred_in_a_second_pass():
    a = (1e4 + 1e-3 * np.random.default_rng(1).standard_normal(8192)).astype(np.float64)
    assert _summary(a)["std"] == pytest.approx(a.std(), rel=1e-6)


@pytest.mark.parametrize("value", [0.0, 3.0, -1e30])
def test_a_constant_array_has_std_zero_and_its_own_value_as_mean(value, monkeypatch):
    monkeypatch.setattr(statistics, "_wide_moments", lambda f: pytest.fail("centred again"))
    row = _summary(np.full(8192, value, np.float32))
    assert row["std"] == 0.0 and row["mean"] == np.float32(value)


def test_a_nan_among_equal_values_is_counted_and_spreads_to_the_statistics():
    a = np.ones(8192, np.float32)
    a[100] = np.nan
    row = _summary(a)
    assert row["nonfinite"] == 1 and np.isnan(row["mean"]) and np.isnan(row["max"])
