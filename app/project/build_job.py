"""Building a project on a worker thread, so that the caller (the UI thread) never loads a
dataset or runs a user's script itself. One build runs at a time: a new job waits for the
one before it (whose result nobody wants any more) to end.

A job's `outcome()` is the BuiltProject or the exception the build raised; `cancel()`
interrupts a script still building (app/project/script_guard.interrupt); whoever started a
job it no longer wants drops it."""
import threading

from app.project.build import build
from app.project.script_guard import interrupt

_ONE_AT_A_TIME = threading.Lock()


class BuildJob:
    """build(project) on a daemon thread, started at once."""

    def __init__(self, project):
        self.project = project
        self.cancelled = False
        self.done = threading.Event()
        self._built = self._error = None
        self._building = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True, name="stepgraph-build")
        self._thread.start()

    def _run(self):
        try:
            with _ONE_AT_A_TIME:
                with self._lock:
                    if self.cancelled:
                        return
                    self._building = True
                try:
                    self._built = build(self.project)
                finally:
                    with self._lock:
                        self._building = False
        except BaseException as exc:  # reported to the owner, never lost in the thread
            self._error = exc
        finally:
            self.done.set()

    def wait(self, timeout=None):
        """True when the build has ended within `timeout` seconds (None: however long)."""
        return self.done.wait(timeout)

    def outcome(self):
        """(BuiltProject, None) or (None, the exception); call once `done` is set."""
        return self._built, self._error

    def cancel(self, why):
        """Drop this job: a script still running in it is interrupted with `why` (a build
        without a script ends by itself; its result is dropped)."""
        with self._lock:
            self.cancelled = True
            if self._building and self.project.network.script and not self.done.is_set():
                interrupt(self._thread.ident, why)
