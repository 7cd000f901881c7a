"""Garbage is collected on the UI thread while a window is open (widgets/window/ui_gc.py):
the automatic collector is off, a UI timer collects cycles made on a worker thread, and the
collector is automatic again once the last window closed."""
import gc
import threading
import weakref

from .window_setup import open_window


class Cycle:
    def __init__(self):
        self.me = self


def test_cycles_made_by_a_worker_are_collected_by_the_ui_timer(qtbot, tmp_path):
    assert gc.isenabled()
    first = open_window(qtbot, tmp_path / "a", preset=None)
    second = open_window(qtbot, tmp_path / "b", preset=None)
    assert not gc.isenabled()
    refs = []
    worker = threading.Thread(target=lambda: refs.append(weakref.ref(Cycle())))
    worker.start()
    worker.join()
    assert refs[0]() is not None  # garbage, waiting for the UI thread's collection
    qtbot.waitUntil(lambda: refs[0]() is None, timeout=3000)
    first.close()
    assert not gc.isenabled()  # the second window still collects on its UI thread
    second.close()
    assert gc.isenabled()
