"""Python's cyclic garbage collector runs on the UI thread only, while a window is open.

A collection runs in whichever thread happens to allocate; when the training worker runs one
and it frees a Qt object (a closed dialog, a replaced graph view caught in a reference cycle),
PySide6 destroys it off the UI thread and can deadlock with the UI thread. So the automatic
collector is switched off and a UI timer collects instead: the young generation often, a
full collection now and then. The automatic collector comes back when the last window
that switched it off closes."""
import gc

from PySide6.QtCore import QTimer

COLLECT_MS = 250  # young generations; cycles made by training wait at most this long
FULL_EVERY = 40  # ticks between full collections (10 s)


_running = set()  # the collectors running now
_automatic = {"before": True}  # whether collection was automatic before the first of them


class UiThreadCollector:
    """Owned by the main window: `stop()` when it closes."""

    def __init__(self, parent):
        if not _running:
            _automatic["before"] = gc.isenabled()
        _running.add(self)
        gc.disable()
        self._ticks = 0
        self.timer = QTimer(parent)
        self.timer.setInterval(COLLECT_MS)
        self.timer.timeout.connect(self._collect)
        self.timer.start()

    def _collect(self):
        self._ticks += 1
        gc.collect(2 if self._ticks % FULL_EVERY == 0 else 1)

    def stop(self):
        """Collect once more here; the last collector to stop gives the collector back its
        automatic runs."""
        self.timer.stop()
        gc.collect()
        if self in _running:
            _running.discard(self)
            if not _running and _automatic["before"]:
                gc.enable()
