"""Undo/redo of project edits: each command holds the project before and after (small plain
data), and consecutive edits of the same field (typing in a spin box) merge into one."""
import copy

from PySide6.QtGui import QUndoCommand

_MERGE_IDS = {}


def _merge_id(name):
    return _MERGE_IDS.setdefault(name, 1000 + len(_MERGE_IDS))


class ProjectEdit(QUndoCommand):
    def __init__(self, session, after, description, merge=""):
        super().__init__(description)
        self.session = session
        self.before = copy.deepcopy(session.project)
        self.after = copy.deepcopy(after)
        self.merge = merge

    def id(self):
        return _merge_id(self.merge) if self.merge else -1

    def mergeWith(self, other):
        if other.merge != self.merge:
            return False
        self.after = other.after
        return True

    def redo(self):
        self.session.set_project(self.after, keep_path=True)

    def undo(self):
        self.session.set_project(self.before, keep_path=True)
