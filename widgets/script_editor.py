"""The script editor: Python source with syntax highlighting and line numbers, the line of an
error highlighted with its message under the editor, the line a paused forward is on marked
(a gutter arrow), edits not applied yet flagged, colours for a dark or a light theme, and an
Apply button that hands the source over (`apply_requested(text)`); nothing here runs the
code."""
import keyword
import re

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import (QColor, QFont, QFontDatabase, QPainter, QSyntaxHighlighter,
                           QTextCharFormat, QTextCursor, QTextFormat)
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QTextEdit,
                               QVBoxLayout, QWidget)

THEME_COLOURS = {  # role -> colour, for a dark and a light background
    "dark": {"keyword": "#c586c0", "name": "#569cd6", "number": "#b5cea8",
             "definition": "#dcdcaa", "string": "#ce9178", "comment": "#6a9955",
             "gutter": "#282a2f", "gutter_text": "#8c93a0", "error": "#782020",
             "error_text": "#ff8080", "current": "#5a4a12", "current_text": "#ffc24d"},
    "light": {"keyword": "#8a1f9e", "name": "#0b52a8", "number": "#116644",
              "definition": "#795e00", "string": "#a31515", "comment": "#3d7a2f",
              "gutter": "#e8ebf0", "gutter_text": "#5b6372", "error": "#f7caca",
              "error_text": "#b00020", "current": "#fff1b8", "current_text": "#8a5a00"},
}
TAB_SPACES = 4


def _format(colour, bold=False, italic=False):
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Bold)
    fmt.setFontItalic(italic)
    return fmt


# (pattern, role, bold, italic, group to colour); later rules paint over earlier ones
RULES = [
    (re.compile(r"\b(" + "|".join(keyword.kwlist) + r")\b"), "keyword", True, False, 1),
    (re.compile(r"\b(self|sg|nn|F|static|True|False|None)\b"), "name", False, False, 1),
    (re.compile(r"\b[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?\b"), "number", False, False, 0),
    (re.compile(r"\b(?:def|class)\s+([A-Za-z_][A-Za-z0-9_]*)"), "definition", True, False, 1),
    (re.compile(r"('''|\"\"\").*?\1|'[^'\n]*'|\"[^\"\n]*\""), "string", False, False, 0),
    (re.compile(r"#[^\n]*"), "comment", False, True, 0),
]
TRIPLE = re.compile(r"'''|\"\"\"")


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, names of the engine, numbers, def/class names, strings (triple-quoted ones
    across lines) and comments, in the colours of a dark or a light theme (`set_dark`)."""

    def __init__(self, document):
        super().__init__(document)
        self.set_dark(True)

    def set_dark(self, dark):
        colours = THEME_COLOURS["dark" if dark else "light"]
        self.rules = [(pattern, _format(colours[role], bold, italic), group)
                      for pattern, role, bold, italic, group in RULES]
        self.string_format = _format(colours["string"])
        self.rehighlight()

    def highlightBlock(self, text):
        for pattern, fmt, group in self.rules:
            for match in pattern.finditer(text):
                start, end = match.span(group)
                self.setFormat(start, end - start, fmt)
        self._triple_quoted(text)

    def _triple_quoted(self, text):
        """Block state 1 or 2: inside a ''' or \"\"\" string that continues on the next line."""
        quotes = {1: "'''", 2: '"""'}
        state, start = self.previousBlockState(), 0
        if state not in quotes:
            match = TRIPLE.search(text)
            if match is None or text.count(match.group()) % 2 == 0:
                self.setCurrentBlockState(0)
                return
            state, start = (1 if match.group() == "'''" else 2), match.start()
            end = -1
        else:
            end = text.find(quotes[state])
        if end < 0:
            self.setFormat(start, len(text) - start, self.string_format)
            self.setCurrentBlockState(state)
        else:
            self.setFormat(0, end + 3, self.string_format)
            self.setCurrentBlockState(0)


class _Gutter(QWidget):
    def __init__(self, editor):
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self):
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event):
        self.editor.paint_gutter(event)


class CodeEdit(QPlainTextEdit):
    """A plain-text editor for code: monospace, tab as spaces, line numbers on the left, one
    error line and one current line (where a paused forward is) that can be highlighted."""

    def __init__(self, parent=None):
        super().__init__(parent)
        font = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * TAB_SPACES)
        self.error_line = None
        self.current_line = None
        self._roles = []  # what each extra selection marks: "error" or "current"
        self.colours = THEME_COLOURS["dark"]
        self.gutter = _Gutter(self)
        self.blockCountChanged.connect(lambda n: self.setViewportMargins(self.gutter_width(),
                                                                        0, 0, 0))
        self.updateRequest.connect(self._scrolled)
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def gutter_width(self):
        digits = len(str(max(1, self.blockCount())))
        return 12 + self.fontMetrics().horizontalAdvance("\u25b6 " + "9" * max(2, digits))

    def _scrolled(self, rect, dy):
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())

    def resizeEvent(self, event):
        super().resizeEvent(event)
        area = self.contentsRect()
        self.gutter.setGeometry(QRect(area.left(), area.top(), self.gutter_width(),
                                      area.height()))

    def paint_gutter(self, event):
        painter = QPainter(self.gutter)
        painter.fillRect(event.rect(), QColor(self.colours["gutter"]))
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            number = block.blockNumber() + 1
            role = ("error_text" if number == self.error_line else
                    "current_text" if number == self.current_line else "gutter_text")
            painter.setPen(QColor(self.colours[role]))
            marker = "\u25b6 " if number == self.current_line else ""
            painter.drawText(0, top, self.gutter.width() - 6, height, Qt.AlignRight,
                             marker + str(number))
            top += round(self.blockBoundingRect(block).height())
            block = block.next()

    def keyPressEvent(self, event):
        if event.key() == Qt.Key_Tab and not event.modifiers():
            self.insertPlainText(" " * TAB_SPACES)
            return
        super().keyPressEvent(event)

    def set_colours(self, colours):
        """The gutter's and the highlights' colours (a THEME_COLOURS entry)."""
        self.colours = colours
        self._highlight()

    def set_error_line(self, line):
        """Highlight line `line` (1-based; None: no error) and move the cursor there."""
        self.error_line = line
        self._highlight()
        if self.highlighted_line() is not None:
            self.setTextCursor(QTextCursor(self.document().findBlockByNumber(line - 1)))
            self.centerCursor()

    def set_current_line(self, line):
        """Mark line `line` (1-based; None: none) as the one running now, keeping it in view."""
        if line == self.current_line:
            return
        self.current_line = line
        self._highlight()
        block = self.document().findBlockByNumber(line - 1) if line else None
        if block is not None and block.isValid():
            cursor = QTextCursor(block)
            rect = self.cursorRect(cursor)
            if not self.viewport().rect().contains(rect.center()):
                self.setTextCursor(cursor)
                self.centerCursor()

    def _highlight(self):
        """The error line's and the current line's backgrounds (the error's drawn first)."""
        selections = []
        for line, role in ((self.error_line, "error"), (self.current_line, "current")):
            block = self.document().findBlockByNumber(line - 1) if line else None
            if block is not None and block.isValid():
                selection = QTextEdit.ExtraSelection()
                selection.format.setBackground(QColor(self.colours[role]))
                selection.format.setProperty(QTextFormat.FullWidthSelection, True)
                selection.cursor = QTextCursor(block)
                selections.append((role, selection))
        self._roles = [role for role, _ in selections]
        self.setExtraSelections([selection for _, selection in selections])
        self.gutter.update()

    def highlighted_line(self):
        """The line the error highlight is on (1-based), or None."""
        for role, selection in zip(self._roles, self.extraSelections()):
            if role == "error":
                return selection.cursor.blockNumber() + 1
        return None


class ScriptEditor(QWidget):
    """The editor, a notice line, the error message, a flag for edits not applied yet and the
    Apply button. `apply_requested(text)`: the user wants the text to become the project's
    script; `modified_changed(bool)`: the text became different from (or equal to) the
    applied script."""

    apply_requested = Signal(str)
    modified_changed = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.notice = QLabel("The model: the script's last nn.Module class (or what build() "
                             "returns). It runs on Run or Step only. PyTorch code runs "
                             "unchanged: import torch, torch.nn as nn, torch.nn.functional "
                             "as F are the engine.")
        self.notice.setWordWrap(True)
        self.editor = CodeEdit()
        self.editor.setPlaceholderText("import torch\nimport torch.nn as nn\nimport "
                                       "torch.nn.functional as F\n\n\nclass Net(nn.Module):"
                                       "\n    ...  # runs on the engine, as in PyTorch")
        self.highlighter = PythonHighlighter(self.editor.document())
        self.error = QLabel()
        self.error.setObjectName("scriptError")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.error.hide()
        self.unapplied = QLabel("\u25cf Edits not applied yet: Apply (Ctrl+Return) makes them "
                                "the model; Save asks what to do with them")
        self.unapplied.setObjectName("scriptUnapplied")
        self.unapplied.setWordWrap(True)
        self.unapplied.setToolTip("The project (and Run, Step, Save) still uses the applied "
                                  "script")
        self.unapplied.hide()
        self.apply_button = QPushButton("Apply script")
        self.apply_button.setToolTip("Make this text the project's model (undoable); Run or "
                                     "Step then runs it")
        self.apply_button.setShortcut("Ctrl+Return")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(lambda: self.apply_requested.emit(self.text()))
        self.editor.textChanged.connect(self._edited)
        self._applied = ""
        self._was_modified = False
        self.editor.setToolTip("The model's Python source; the marked line is the one the "
                               "paused forward is on")
        self.set_dark(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.unapplied, 1)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.notice)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

    def text(self):
        return self.editor.toPlainText()

    def set_applied(self, text):
        """Show `text` as the project's script (the editor keeps unapplied edits when `text`
        is what was applied already)."""
        if text != self._applied or not self.is_modified():
            self._applied = text
            if self.text() != text:
                self.editor.setPlainText(text)
        self._edited()

    def is_modified(self):
        return self.text() != self._applied

    def _edited(self):
        modified = self.is_modified()
        self.apply_button.setEnabled(modified)
        self.unapplied.setVisible(modified)
        if modified != self._was_modified:
            self._was_modified = modified
            self.modified_changed.emit(modified)

    def set_dark(self, dark):
        """Colours for a dark (True) or a light theme."""
        colours = THEME_COLOURS["dark" if dark else "light"]
        self.highlighter.set_dark(dark)
        self.editor.set_colours(colours)
        for label, role in ((self.error, "error_text"), (self.unapplied, "current_text")):
            label.setStyleSheet(f"color: {colours[role]};")

    def set_current_line(self, line):
        """Mark the line a paused forward is on (None: no mark)."""
        self.editor.set_current_line(line)

    def show_error(self, line, message):
        """Highlight `line` (None: no line) and show `message` under the editor."""
        self.editor.set_error_line(line)
        self.error.setText(f"line {line}: {message}" if line else message)
        self.error.show()

    def clear_error(self):
        self.editor.set_error_line(None)
        self.error.clear()
        self.error.hide()
