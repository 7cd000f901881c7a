"""Where file dialogs start: the last folder used for that kind of file (QSettings
"dialogs/<kind>"), else the user's documents folder, never the process's working directory."""
from pathlib import Path

from PySide6.QtCore import QStandardPaths

SETTINGS_GROUP = "dialogs"


def documents_dir():
    """The user's documents folder (the home folder where the platform names none)."""
    return (QStandardPaths.writableLocation(QStandardPaths.DocumentsLocation) or
            str(Path.home()))


def start_dir(settings, kind="project"):
    """The folder a dialog for `kind` files opens in (`settings` None: the documents)."""
    last = settings.value(f"{SETTINGS_GROUP}/{kind}") if settings is not None else None
    if last and Path(last).is_dir():
        return str(last)
    return documents_dir()


def remember(settings, path, kind="project"):
    """Keep the folder of `path` (a file or a folder the user chose) for the next dialog."""
    if not path or settings is None:
        return
    chosen = Path(path)
    folder = chosen if chosen.is_dir() else chosen.parent
    settings.setValue(f"{SETTINGS_GROUP}/{kind}", str(folder))
