"""Consent before a project's script runs, as VS Code asks before trusting a workspace: the
script is shown, and it runs only when the user says so. (The answer is remembered by the
script's hash in app/project/trust.py.)"""
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout)


class TrustDialog(QDialog):
    """Shows `source` read-only, and why it matters; accepted = allowed to run."""

    def __init__(self, source, origin, action, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Run this project's script?")
        layout = QVBoxLayout(self)
        text = QLabel(f"<b>{action} runs this project's script: Python code that came with "
                      f"{origin}.</b><br>It can do anything you can do on this computer "
                      "(read and delete files, use the network). Run it only if you trust "
                      "where the file came from. Read it below.")
        text.setWordWrap(True)
        layout.addWidget(text)
        self.code = QPlainTextEdit(source)
        self.code.setReadOnly(True)
        self.code.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.code.setMinimumSize(560, 280)
        layout.addWidget(self.code, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        self.run_button = buttons.addButton("Trust and run", QDialogButtonBox.AcceptRole)
        buttons.button(QDialogButtonBox.Cancel).setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def ask_trust(parent, source, origin, action="Run"):
    """Whether the user allows `source` (from `origin`, e.g. a file name) to run."""
    return TrustDialog(source, origin, action, parent).exec() == QDialog.Accepted
