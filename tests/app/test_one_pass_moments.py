"""The compiled one-pass moments against numpy's five passes (app.debugging.statistics.numpy_moments)."""
import logging
import sys

import numpy as np
import pytest

import app.debugging.one_pass_moments as opm
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
