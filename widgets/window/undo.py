"""Undo/redo of project edits: each command holds the project before and after (small plain
data), and consecutive edits of the same field (typing in a spin box) merge into one."""
import copy

from PySide6.QtGui import QUndoCommand

_MERGE_IDS = {}


def _merge_id(name):
    return _MERGE_IDS.setdefault(name, 1000 + len(_MERGE_IDS))


class ProjectEdit(QUndoCommand):
    """One user edit: the project before and after; `merge` names edits that merge
    (consecutive ones of the same field)."""
    def __init__(self, session, after, description, merge=""):
        super().__init__(description)
        self.session = session
        self.before = copy.deepcopy(session.project)
        self.after = copy.deepcopy(after)
        self.merge = merge

    def id(self):
        """Qt's merge id: the same for edits of the same field, -1 for none."""
        return _merge_id(self.merge) if self.merge else -1

    def mergeWith(self, other):
        """Absorb a following edit of the same field."""
        if other.merge != self.merge:
            return False
        self.after = other.after
        return True

    def redo(self):
        """Apply the edited project (in place when only optimizer settings or breakpoints
        changed: Session.apply_edit)."""
        self.session.apply_edit(self.after)

    def undo(self):
        """Return to the project before the edit."""
        self.session.apply_edit(self.before)
