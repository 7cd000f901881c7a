"""Statistics of very large tensors computed on a helper thread while the debugger's worker
trains on (app/debugging/eager_statistics.py): the same rows as computed in place."""
import threading

import numpy as np
import pytest

import app.debugging.eager_statistics as eager
from app.debugging import recorder
from app.debugging.breakpoints import Breakpoint
from app.debugging.debugger import Debugger
from app.debugging.statistics import STAT_NAMES, summarize, summarize_large
from tests.app.debugger_setup import command, mlp_run


def _arrays(k=6, n=70_000):
    rng = np.random.default_rng(0)
    return [(rng.standard_normal(n) * (i + 1) + i).astype(np.float32) for i in range(k)]


def test_drain_returns_once_every_row_is_in_and_they_match_in_place_rows():
    helper, table = eager.EagerStatistics(), {}
    arrays = _arrays()
    for i, a in enumerate(arrays):
        helper.submit(table, i, a)
    helper.drain()
    assert sorted(table) == list(range(len(arrays)))
    for i, a in enumerate(arrays):
        np.testing.assert_array_equal(table[i], summarize_large(a))


def test_the_helper_ends_when_idle_and_the_next_submit_starts_another(monkeypatch):
    monkeypatch.setattr(eager, "IDLE_EXIT_S", 0.05)
    helper, table = eager.EagerStatistics(), {}
    helper.submit(table, "a", _arrays(1)[0])
    helper.drain()
    first = helper._thread
    first.join(5)
    assert not first.is_alive() and helper._thread is None
    helper.submit(table, "b", _arrays(1)[0])
    helper.drain()
    assert set(table) == {"a", "b"}


def test_a_row_that_fails_is_left_to_the_history_and_drain_does_not_hang(monkeypatch, caplog):
    def broken(a):
        raise FloatingPointError("boom")
    monkeypatch.setattr(eager, "summarize_large", broken)
    helper, table = eager.EagerStatistics(), {}
    helper.submit(table, "x", _arrays(1)[0])
    done = threading.Event()
    threading.Thread(target=lambda: (helper.drain(), done.set()), daemon=True).start()
    assert done.wait(5) and table == {}
    assert "statistics of x" in caplog.text


@pytest.mark.parametrize("off_thread", [True, False])
def test_the_debugger_history_holds_the_same_statistics_either_way(off_thread, monkeypatch):
    """An MLP whose hidden activations have 64 x 2,048 = 131,072 items: above OFF_THREAD."""
    if not off_thread:
        monkeypatch.setattr(recorder, "OFF_THREAD", 10**12)
    submitted = []
    submit = eager.EagerStatistics.submit
    monkeypatch.setattr(eager.EagerStatistics, "submit",
                        lambda self, t, k, a: (submitted.append(k), submit(self, t, k, a)))
    d = Debugger(mlp_run(sizes=(2, 2048, 2), batch=64))
    try:
        d.set_breakpoints([Breakpoint.iteration(2)])
        command(d, "run")
        for kind in ("value", "grad"):
            rows = d.history.stats_of_iteration(1, kind)
            assert rows
            for key, stats in rows.items():
                a = d.history.tensor(key, 1, kind)
                want = dict(zip(STAT_NAMES, summarize([a])[0]))
                for name in STAT_NAMES:
                    assert stats[name] == pytest.approx(want[name], rel=1e-6, abs=1e-9), (
                        key, kind, name)
    finally:
        d.close()
    assert bool(submitted) == off_thread
