"""History: statistics equal numpy's, full tensors within the memory budget, queries."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from app.debugging.debugger import Debugger
from app.debugging.history import History, NotKept
from app.debugging.statistics import STAT_NAMES, summarize, summarize_large

from .debugger_setup import command, mlp_run

KERNEL_OR_NUMPY = pytest.mark.parametrize("kernel", [True, False], ids=["kernel", "numpy"],
                                          indirect=True)


@pytest.fixture
def kernel(request, monkeypatch):
    """Large arrays' moments by the compiled kernel, or (False) by numpy's passes."""
    if not request.param:
        monkeypatch.setattr("app.debugging.statistics.one_pass_moments", lambda f: None)
    return request.param


def numpy_stats(a):
    f = a.astype(np.float64).ravel()
    finite = np.isfinite(f)
    return [f.mean(), f.std(), f.min(), f.max(), np.sqrt((f * f).sum()), (f == 0).mean(),
            f.size - finite.sum()]


def test_statistics_known_in_advance_land_in_the_right_rows_of_a_mixed_batch():
    """Phases whose large tensors were summarised as they came (`known`), phases without,
    and a phase with only known rows, flushed together: every row as computed afresh."""
    rng = np.random.default_rng(1)
    phases = []
    for iteration in range(3):
        keys = [f"{iteration}/small#0", "big#0", "small#1", "big#1"]
        arrays = [rng.standard_normal((4, 3)).astype(np.float32),
                  rng.standard_normal((64, 80)).astype(np.float32) + iteration,
                  rng.standard_normal(5), rng.standard_normal((100, 50))]
        phases.append((iteration, keys, arrays))
    phases.append((3, ["big#0"], [rng.standard_normal((70, 70))]))
    with_known, plain = History(batch=100), History(batch=100)
    for i, (iteration, keys, arrays) in enumerate(phases):
        known = {} if i == 1 else {k: summarize_large(a) for k, a in zip(keys, arrays)
                                   if summarize_large(a) is not None}
        with_known.record(iteration, "value", keys, arrays, known=known)
        plain.record(iteration, "value", keys, arrays)
    for iteration, keys, arrays in phases:
        for key, a in zip(keys, arrays):
            got = with_known.stats_at(key, iteration)
            assert got == pytest.approx(plain.stats_at(key, iteration), rel=1e-5)
            assert [got[n] for n in STAT_NAMES] == pytest.approx(numpy_stats(a), rel=2e-4,
                                                                 abs=1e-6)


@KERNEL_OR_NUMPY
@pytest.mark.parametrize("shape", [(), (3,), (32, 16), (128, 256), (4, 3, 8, 8)])
def test_statistics_match_numpy_on_both_paths(shape, kernel):
    rng = np.random.default_rng(0)
    arrays = [np.maximum(rng.standard_normal(shape), 0).astype(np.float32),
              (rng.standard_normal(shape) * 0.01 + 100).astype(np.float32),
              rng.integers(-3, 3, shape)]
    got = summarize(arrays)
    for a, row in zip(arrays, got):
        np.testing.assert_allclose(row, numpy_stats(a), rtol=2e-4, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float32, hnp.array_shapes(max_dims=3, max_side=70),
                  elements=st.floats(-1e3, 1e3, width=32)))
def test_statistics_of_arbitrary_arrays(a):
    (row,) = summarize([a])
    np.testing.assert_allclose(row, numpy_stats(a), rtol=1e-3, atol=1e-3)


@KERNEL_OR_NUMPY
def test_non_finite_values_are_counted(kernel):
    a = np.array([[1.0, np.nan], [np.inf, 0.0]], dtype=np.float32)
    big = np.zeros(10_000, dtype=np.float32)
    big[[3, 7]] = [np.inf, -np.inf]
    rows = summarize([a, big, np.zeros(0, np.float32)])
    assert rows[0, STAT_NAMES.index("nonfinite")] == 2 and rows[0, 5] == 0.25
    assert rows[1, STAT_NAMES.index("nonfinite")] == 2
    assert np.isnan(rows[2]).all()


@KERNEL_OR_NUMPY
@pytest.mark.parametrize("shape", [(32, 16), (128, 256)])
def test_float32_overflow_nan_and_numpy_scalars_on_both_paths(shape, kernel):
    """Squares that overflow float32 on finite values, NaN and inf, and numpy scalars (a
    loss) among arrays: the same statistics as numpy's in float64."""
    rng = np.random.default_rng(1)
    huge = (rng.standard_normal(shape) * 1e20).astype(np.float32)
    nan = rng.standard_normal(shape).astype(np.float32)
    nan.flat[[5, 9]] = [np.nan, np.inf]
    arrays = [huge, nan, np.float32(2.5), np.float32(0.0), huge.copy()]
    with np.errstate(all="ignore"):
        expected = [numpy_stats(np.asarray(a)) for a in arrays]
    got = summarize(arrays)
    for row, want in zip(got, expected):
        np.testing.assert_allclose(row, want, rtol=2e-4, atol=1e-6)


def test_queries_over_iterations():
    h = History()
    for i in range(4):
        h.record(i, "value", ["a", "b"], [np.full(3, i, np.float32), np.ones(2, np.float32)])
        h.record(i, "grad", ["a"], [np.full(3, -i, np.float32)])
    assert h.iterations() == [0, 1, 2, 3] and h.keys() == ["a", "b"]
    s = h.stats("a")
    np.testing.assert_array_equal(s["iteration"], [0, 1, 2, 3])
    np.testing.assert_array_equal(s["mean"], [0, 1, 2, 3])
    assert h.stats_at("a", 2, "grad")["min"] == -2
    np.testing.assert_array_equal(h.tensor("a", 3, "grad"), [-3, -3, -3])
    h.discard(3)
    assert h.iterations() == [0, 1, 2] and len(h.stats("a")["mean"]) == 3
    with pytest.raises(NotKept, match="no grad of node 'a' was recorded at iteration 3"):
        h.tensor("a", 3, "grad")
    with pytest.raises(KeyError):
        h.stats_at("a", 3)


def test_memory_budget_holds_oldest_dropped_first():
    budget = 10 * 4096 + 100
    h = History(memory_budget=budget)
    for i in range(200):
        h.record(i, "value", [f"n{j}" for j in range(3)], [np.full(1024, i, np.float32)] * 3)
        assert h.bytes_kept <= budget
    kept = [i for i in range(200) if h.is_kept("n0", i)]
    assert kept == list(range(kept[0], 200)) and 190 < kept[0] < 199
    with pytest.raises(NotKept, match="memory budget of 41060 bytes"):
        h.tensor("n0", 0)
    assert len(h.stats("n0")["mean"]) == 200  # statistics are kept for the whole run


def test_keep_last_keeps_the_last_iterations_both_phases_even_with_gaps():
    h = History(keep_last=3)
    for i in (0, 1, 2, 3, 10, 11, 30):
        h.record(i, "value", ["a"], [np.full(4, i, np.float32)])
        h.record(i, "grad", ["a"], [np.full(4, -i, np.float32)])
        kept = [it for it in range(31) if h.is_kept("a", it)]
        assert kept == [it for it in (0, 1, 2, 3, 10, 11, 30) if i - 3 < it <= i]
        assert h.bytes_kept == 2 * 16 * len(kept)
    np.testing.assert_array_equal(h.tensor("a", 30, "grad"), [-30] * 4)
    with pytest.raises(NotKept, match="kept for the last 3 iterations"):
        h.tensor("a", 3)
    assert History().keep_last == 8


def test_debugger_records_every_node_within_the_budget():
    history = History(memory_budget=64 * 1024)
    d = Debugger(mlp_run(sizes=(2, 32, 32, 2), batch=32), history=history)
    for _ in range(40):
        command(d, "step_iteration")
        assert history.bytes_kept <= history.memory_budget
    d.close()
    assert history.iterations() == list(range(40))
    assert set(history.keys("grad")) == set(history.keys("value")) == {n.key for n in d.state().graph}
    assert history.is_kept("1/relu#0", 39) and not history.is_kept("1/relu#0", 0)
    np.testing.assert_array_equal(history.tensor("1/relu#0", 39), d.value("1/relu#0"))
    np.testing.assert_array_equal(history.tensor("1/relu#0", 39, "grad"), d.grad("1/relu#0"))
    zero = history.stats("1/relu#0")["zero_fraction"]
    assert len(zero) == 40 and ((zero > 0) & (zero < 1)).all()


def test_stats_of_iteration_gives_every_node_of_that_iteration():
    h = History()
    keys = ["a/relu#0", "a/linear#0"]
    for it in range(3):
        h.record(it, "value", keys, [np.full((2, 3), it, np.float32), np.arange(6.0) + it])
    table = h.stats_of_iteration(1)
    assert set(table) == set(keys)
    assert table["a/relu#0"]["mean"] == 1.0
    assert table["a/linear#0"] == h.stats_at("a/linear#0", 1)
    assert h.stats_of_iteration(7) == {}
