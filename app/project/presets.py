"""Lecture-demo presets: project files in resources/presets/, loaded through the same
validating loader as any project file."""
from dataclasses import dataclass
from pathlib import Path

from app.project.files import load_project

PRESET_DIR = Path(__file__).resolve().parents[2] / "resources" / "presets"
DEFAULT_PRESET = "spirals"


@dataclass(frozen=True)
class PresetInfo:
    name: str
    description: str  # one line, shown in the app
    path: Path


def list_presets(directory=PRESET_DIR):
    """Every preset, the default first, then by name."""
    infos = []
    for path in sorted(Path(directory).glob("*.json")):
        project = load_project(path)
        infos.append(PresetInfo(path.stem, project.description, path))
    return sorted(infos, key=lambda info: (info.name != DEFAULT_PRESET, info.name))


def load_preset(name=DEFAULT_PRESET, directory=PRESET_DIR):
    """The preset project `name` (KeyError naming the known ones when there is none)."""
    path = Path(directory) / f"{name}.json"
    if not path.is_file():
        known = ", ".join(info.name for info in list_presets(directory))
        raise KeyError(f"no preset {name!r} (known: {known})")
    return load_project(path)
