"""Consent before a script from a file runs: the scripts the user allowed, remembered by the
SHA-256 of their text in a small JSON file of the app-data folder (as VS Code remembers
trusted workspaces). No Qt: the window asks the question; this only remembers the answer."""
import hashlib
import json
from pathlib import Path

from app.project.atomic import write_atomic

TRUST_FILE = "trusted_scripts.json"
MAX_REMEMBERED = 1000  # the oldest are forgotten first


def script_digest(source):
    """SHA-256 (hex) of a script's text."""
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


class TrustedScripts:
    """The scripts allowed to run, by hash, kept in `directory`/trusted_scripts.json (an
    unreadable file trusts nothing)."""

    def __init__(self, directory):
        self.path = Path(directory) / TRUST_FILE

    def _digests(self):
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8")).get("sha256", [])
        except (OSError, ValueError, AttributeError, RecursionError):
            return []
        return [d for d in stored if isinstance(d, str)] if isinstance(stored, list) else []

    def is_trusted(self, source):
        return script_digest(source) in self._digests()

    def trust(self, source):
        """Remember that the user allowed `source` to run."""
        digest = script_digest(source)
        digests = [d for d in self._digests() if d != digest][-(MAX_REMEMBERED - 1):] + [digest]
        text = json.dumps({"sha256": digests}, indent=1).encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, lambda file: file.write(text))
