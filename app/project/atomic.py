"""Writing a file so that it holds either its old content or all of the new, and the error
every project-file problem raises. A write through a symbolic link replaces the link's target
(the link stays), and a replaced file keeps its permission bits."""
import glob
import os
import stat
import tempfile
from pathlib import Path


class ProjectError(Exception):
    """A project or weights file cannot be used; the message names the file and why."""

    def __init__(self, path, problem):
        self.path, self.problem = str(path), problem
        super().__init__(f"{path}: {problem}")


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_NEW_FILE_MODE = 0o666 & ~_umask()  # what open() would create


def resolve_link(path):
    """`path`, or the file a symbolic link at `path` points to (the link itself is kept)."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def write_atomic(path, write):
    """Create or replace `path` (through a link: its target) so that it holds either its old
    content or all of the new: `write(file)` fills a temporary file in the same directory,
    which gets the old file's mode (a new file: the umask's), is fsynced and renamed. The
    temporary file's name holds the writer's process id, so that the next write removes one a
    killed process left behind."""
    path = resolve_link(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = _NEW_FILE_MODE
    _remove_orphan_temps(path)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                                dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            if hasattr(os, "fchmod"):
                os.fchmod(file.fileno(), mode)
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _remove_orphan_temps(path):
    """Delete the temporary files of writes to `path` whose process is gone (POSIX only:
    elsewhere, probing a process id is not harmless)."""
    if os.name != "posix":
        return
    for temp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid = temp.name[len(path.name) + 2:].split(".")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid)):
            temp.unlink(missing_ok=True)


def process_alive(pid):
    """Whether a process `pid` exists (POSIX)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def require_regular_file(path):
    """ProjectError unless `path` is a regular file (a pipe or a device would block reading,
    or never end)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        reason = getattr(exc, "strerror", None) or exc
        raise ProjectError(path, f"cannot read the file ({reason})") from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise ProjectError(path, f"cannot read the file: it is {kind}")


def read_capped(path, limit):
    """The first `limit` + 1 bytes of the regular file `path` (more than `limit`: it is too
    long); ProjectError when it cannot be read."""
    require_regular_file(path)
    try:
        with open(path, "rb") as file:
            return file.read(limit + 1)
    except OSError as exc:
        raise ProjectError(path, f"cannot read the file ({exc.strerror or exc})") from None
