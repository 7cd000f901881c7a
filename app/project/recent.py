"""Recent files, and autosave with recovery after a crash. No Qt: the caller gives the
directory (the main window passes QStandardPaths' app-data location).

Recovery: each running instance autosaves the open project now and then (`Autosave.write`)
into its own folder `autosave/<pid>-<random>/`, which it holds a lock on (an OS file lock,
released by the OS when the process dies however it dies). It removes its autosave after every
clean save (`mark_clean_save`: it holds nothing newer) and on a clean exit (`clean_exit`);
it never touches another live instance's folder. At the next start, `find_recovery()` returns
the newest autosave whose owner is gone, and takes over its folder (and its lock): restoring
it or declining it, this instance is its owner from then on. (The file itself says when it
was written, not a time stamp beside it: a crash between writing the two cannot hide the
work.)
"""
import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from app.project.atomic import process_alive
from app.project.files import load_project, save_project, weights_path, write_atomic

try:
    import fcntl
except ImportError:  # Windows: a pid file instead
    fcntl = None

STATE_FILE = "state.json"
AUTOSAVE_DIR = "autosave"
AUTOSAVE_FILE = "autosave.json"
LOCK_FILE = "lock"


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


class _Lock:
    """An exclusive lock on the file `path` for as long as this object (or its process)
    lives: fcntl.flock where there is one (POSIX), else a file holding the owner's pid."""

    def __init__(self, path):
        self.path, self._file = Path(path), None

    def acquire(self):
        """Whether the lock is now held here (False: another live owner holds it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = open(self.path, "a+b")
        try:
            if fcntl is not None:
                fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            elif not self._take_pid_file(file):
                raise BlockingIOError
        except OSError:
            file.close()
            return False
        self._file = file
        return True

    @staticmethod
    def _take_pid_file(file):
        file.seek(0)
        owner = file.read().strip()
        if owner.isdigit() and int(owner) != os.getpid() and process_alive(int(owner)):
            return False
        file.seek(0)
        file.truncate()
        file.write(str(os.getpid()).encode("ascii"))
        file.flush()
        return True

    def release(self):
        if self._file is not None:
            self._file.close()
            self._file = None


class Autosave:
    """This instance's autosave in `directory`/autosave (see the module docstring)."""

    def __init__(self, directory):
        self.root = Path(directory) / AUTOSAVE_DIR
        self._folder, self._lock = None, None  # made on the first write
        self._found = []  # (folder, lock) of dead instances taken over by find_recovery

    @property
    def path(self):
        """The project file this instance autosaves to."""
        return self._own() / AUTOSAVE_FILE

    def _own(self):
        if self._folder is None or self._lock is None or self._owner_pid != os.getpid():
            self._take_new_folder()  # (a forked child makes its own)
        return self._folder

    def _take_new_folder(self):
        while True:
            folder = self.root / f"{os.getpid()}-{secrets.token_hex(4)}"
            lock = _Lock(folder / LOCK_FILE)
            if not folder.exists() and lock.acquire():
                self._folder, self._lock, self._owner_pid = folder, lock, os.getpid()
                return

    def write(self, project, source=None, state=None, keep_weights_of=None):
        """Autosave `project` (and optionally its weights: `state`, else those the project
        file `keep_weights_of` records, e.g. of a script not built yet) edited from file
        `source`. The source is recorded before the file and the time after it: a crash in
        between leaves a recovery that names its source and takes the file's own time."""
        folder = self._own()
        stamps = _StateFile(folder)
        stamps.update(autosave_source=str(source) if source else None)
        save_project(folder / AUTOSAVE_FILE, project, state,
                     keep_weights_of=None if state is not None else keep_weights_of)
        previous = stamps.read().get("autosave_at")
        stamps.update(autosave_at=_now_after([previous]))

    def mark_clean_save(self):
        """The user saved the project: the autosave holds nothing newer."""
        self.clean_exit()

    def find_recovery(self):
        """The newest autosave left by an instance that is gone (taken over), else None."""
        found = []
        for folder in sorted(self.root.glob("*")) if self.root.is_dir() else []:
            if folder == self._folder or any(folder == f for f, _ in self._found):
                continue
            lock = _Lock(folder / LOCK_FILE)
            if not lock.acquire():
                continue  # a running instance's
            self._found.append((folder, lock))
            recovery = _recovery_in(folder)
            if recovery is None:
                _remove_folder(folder)
            else:
                found.append(recovery)
        return max(found, key=lambda r: r.saved_at, default=None)

    def clean_exit(self):
        """Remove this instance's autosave (and those it took over): nothing is left to
        recover. The folders of other running instances are not touched."""
        owned = [(self._folder, self._lock)] if self._folder is not None else []
        for folder, lock in owned + self._found:
            _remove_folder(folder)
            lock.release()
        self._folder, self._lock, self._found = None, None, []


def _recovery_in(folder):
    """The Recovery of the autosave in `folder`, or None when it holds none."""
    path = folder / AUTOSAVE_FILE
    try:
        written = path.stat().st_mtime_ns
    except OSError:
        return None
    state = _StateFile(folder).read()
    stamp, source = state.get("autosave_at"), state.get("autosave_source")
    if not isinstance(stamp, int) or isinstance(stamp, bool) or stamp < written:
        stamp = written  # the write outlived its stamp (a crash in between)
    return Recovery(path, source if isinstance(source, str) else None, stamp / 1e9)


def _remove_folder(folder):
    """Remove an autosave folder: the project first, then its weights, the rest last."""
    project = folder / AUTOSAVE_FILE
    weights = weights_path(project) if project.exists() else None
    project.unlink(missing_ok=True)
    if weights is not None:
        weights.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)
