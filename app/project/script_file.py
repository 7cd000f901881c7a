"""A Python file (a model written for PyTorch, say) as a new script project: its text becomes
the Script tab's source, read but never run here (it runs on Run or Step, once allowed)."""
from pathlib import Path

from app.project.atomic import ProjectError, read_capped
from app.project.specs import NetworkSpec, Project
from app.project.validation import MAX_SCRIPT_CHARS

MAX_SCRIPT_BYTES = 4 * MAX_SCRIPT_CHARS  # UTF-8 takes at most 4 bytes a character


def load_script_project(path):
    """A project named after the file `path` whose network is the file's text (data and
    training settings: the defaults of a new project); ProjectError when the file cannot be
    read, is not UTF-8 text, is empty or is longer than a script may be."""
    data = read_capped(path, MAX_SCRIPT_BYTES)
    try:
        source = data.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        raise ProjectError(path, f"not UTF-8 text (byte {exc.start})") from None
    if len(data) > MAX_SCRIPT_BYTES or len(source) > MAX_SCRIPT_CHARS:
        raise ProjectError(path, f"longer than the {MAX_SCRIPT_CHARS:,} characters a script "
                                 "may have")
    if not source.strip():
        raise ProjectError(path, "the file is empty")
    return Project(name=Path(path).stem, network=NetworkSpec(script=source))
