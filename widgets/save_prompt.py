"""Save / Discard / Cancel before something replaces a modified project (New, Open, a preset,
a recent file, Quit), as every document editor asks."""
from PySide6.QtWidgets import QMessageBox

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"


def ask_save(parent, name):
    """SAVE, DISCARD or CANCEL: what to do with the unsaved changes of project `name`."""
    box = QMessageBox(QMessageBox.Warning, "Unsaved changes",
                      f"Save the changes to {name} before closing it?",
                      QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, parent)
    box.setInformativeText("Without saving, the changes (and the weights trained since the "
                           "last save) are lost.")
    box.setDefaultButton(QMessageBox.Save)
    box.setEscapeButton(QMessageBox.Cancel)
    answer = box.exec()
    return {QMessageBox.Save: SAVE, QMessageBox.Discard: DISCARD}.get(answer, CANCEL)
