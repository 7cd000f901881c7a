"""Statistics of a phase's large host tensors, computed on a helper thread while the
debugger's worker trains on.

The recorder hands each large array over as its op runs (`submit`) and the worker waits
for the rows only when it records the phase (`drain`). The compiled pass releases the GIL
(app/debugging/one_pass_moments.py), and so do the worker's matrix products, so on a
machine with a second core the two overlap: on the LSTM of benchmarks/debugger.py the
statistics were ~3.5 of the debugger's ~7 ms per iteration on the worker. The rows are
the same as computed in place: the arrays are the ones the frame keeps, and a phase is
recorded only once all its rows are in."""
import logging
import threading
from collections import deque

from app.debugging.statistics import summarize_large

log = logging.getLogger(__name__)


IDLE_EXIT_S = 5.0  # a helper with nothing to do for this long ends; the next submit starts one


class EagerStatistics:
    """A helper thread, started on demand; `submit(table, key, array)` sets table[key] to
    the array's statistics row (or leaves it unset, for the history to compute, on an
    error)."""

    def __init__(self):
        self._todo = deque()
        self._wake = threading.Condition()
        self._submitted = 0  # written by the submitting thread only
        self._done = 0  # written by the helper only
        self._idle = True  # no helper working: waiting, or none running
        self._thread = None

    def submit(self, table, key, array):
        self._todo.append((table, key, array))
        self._submitted += 1
        if self._idle:  # read after the append: a helper going idle still sees the item
            with self._wake:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, daemon=True,
                                                    name="stepgraph-statistics")
                    self._idle = False
                    self._thread.start()
                else:
                    self._wake.notify_all()

    def drain(self):
        """Wait until every submitted array has its row."""
        if self._done < self._submitted:
            with self._wake:
                self._wake.wait_for(lambda: self._done >= self._submitted)

    def _run(self):
        todo = self._todo
        while True:
            with self._wake:
                while not todo:
                    self._idle = True
                    self._wake.notify_all()  # a waiting drain()
                    if not self._wake.wait(IDLE_EXIT_S) and not todo:
                        self._thread = None
                        return
                self._idle = False
            while todo:
                table, key, array = todo.popleft()
                try:
                    row = summarize_large(array)
                except Exception:  # noqa: BLE001 - the history computes this row itself
                    log.exception("statistics of %s", key)
                    row = None
                if row is not None:
                    table[key] = row
                self._done += 1
