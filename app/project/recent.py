"""Recent files, and autosave with recovery after a crash. No Qt: the caller gives the
directory (the main window passes QStandardPaths' app-data location).

Recovery: the app autosaves the open project now and then (`Autosave.write`), and removes the
autosave after every clean save (`mark_clean_save`: it holds nothing newer) and on a clean exit
(`clean_exit`). At the next start, `find_recovery()` returns the autosave when one is left: the
previous session ended without a clean exit and has unsaved work. (The file itself says so,
not a time stamp beside it: a crash between writing the two cannot hide the work.)
"""
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from app.project.files import load_project, save_project, weights_path, write_atomic

STATE_FILE = "state.json"
AUTOSAVE_FILE = "autosave.json"


class _StateFile:
    """A small JSON dict in `directory`, rewritten atomically; an unreadable or malformed
    file reads as empty (it is only a cache of paths and times)."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.path = self.directory / STATE_FILE

    def read(self):
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return {}
        return state if isinstance(state, dict) else {}

    def update(self, **values):
        self.directory.mkdir(parents=True, exist_ok=True)
        state = {**self.read(), **values}
        text = json.dumps(state, indent=1).encode("utf-8")
        write_atomic(self.path, lambda file: file.write(text))


def _now_after(previous):
    """A timestamp (ns) strictly after every `previous` one, even with a coarse clock."""
    return max([time.time_ns(), *(p + 1 for p in previous if isinstance(p, int))])


class RecentFiles:
    """The last `limit` project files opened or saved, most recent first."""

    def __init__(self, directory, limit=10):
        self._state = _StateFile(directory)
        self.limit = limit

    def paths(self):
        """Recent files that still exist, most recent first."""
        stored = self._state.read().get("recent", [])
        if not isinstance(stored, list):
            return []
        return [p for p in stored if isinstance(p, str) and Path(p).is_file()]

    def add(self, path):
        path = str(Path(path).resolve())
        self._state.update(recent=([path] + [p for p in self.paths() if p != path])[:self.limit])

    def remove(self, path):
        path = str(Path(path).resolve())
        self._state.update(recent=[p for p in self.paths() if p != path])


@dataclass
class Recovery:
    path: Path  # the autosaved project file (load it with load_project)
    source: Optional[str]  # the file the user was editing, None if never saved
    saved_at: float  # seconds since the epoch

    def load(self):
        return load_project(self.path)


class Autosave:
    def __init__(self, directory):
        self._state = _StateFile(directory)
        self.path = Path(directory) / AUTOSAVE_FILE

    def write(self, project, source=None, state=None):
        """Autosave `project` (and optionally its weights) edited from file `source`. The
        source is recorded before the file and the time after it: a crash in between leaves
        a recovery that names its source and takes the file's own time."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._state.update(autosave_source=str(source) if source else None)
        save_project(self.path, project, state)
        previous = self._state.read().get("autosave_at")
        self._state.update(autosave_at=_now_after([previous]))

    def mark_clean_save(self):
        """The user saved the project: the autosave holds nothing newer."""
        self.clean_exit()

    def find_recovery(self):
        """Recovery when an autosave is left, else None."""
        try:
            written = self.path.stat().st_mtime_ns
        except OSError:
            return None
        state = self._state.read()
        stamp, source = state.get("autosave_at"), state.get("autosave_source")
        if not isinstance(stamp, int) or isinstance(stamp, bool) or stamp < written:
            stamp = written  # the write outlived its stamp (a crash in between)
        return Recovery(self.path, source if isinstance(source, str) else None, stamp / 1e9)

    def clean_exit(self):
        """Remove the autosave (the project first, then its weights): nothing is left to
        recover."""
        self.path.unlink(missing_ok=True)
        weights_path(self.path).unlink(missing_ok=True)
        self._state.update(autosave_at=None, autosave_source=None)
