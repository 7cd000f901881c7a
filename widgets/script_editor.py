"""The script editor: Python source with syntax highlighting and line numbers, the line of an
error highlighted with its message under the editor, and an Apply button that hands the
source over (`apply_requested(text)`); nothing here runs the code."""
import keyword
import re

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import (QColor, QFont, QFontDatabase, QPainter, QSyntaxHighlighter,
                           QTextCharFormat, QTextCursor, QTextFormat)
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QTextEdit,
                               QVBoxLayout, QWidget)

ERROR_BACKGROUND = QColor(120, 30, 30)
GUTTER_BACKGROUND = QColor(40, 40, 44)
GUTTER_TEXT = QColor(130, 130, 140)
TAB_SPACES = 4


def _format(colour, bold=False, italic=False):
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Bold)
    fmt.setFontItalic(italic)
    return fmt


# (pattern, format, group to colour); later rules paint over earlier ones
RULES = [
    (re.compile(r"\b(" + "|".join(keyword.kwlist) + r")\b"), _format("#c586c0", bold=True), 1),
    (re.compile(r"\b(self|sg|nn|F|static|True|False|None)\b"), _format("#569cd6"), 1),
    (re.compile(r"\b[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?\b"), _format("#b5cea8"), 0),
    (re.compile(r"\b(?:def|class)\s+([A-Za-z_][A-Za-z0-9_]*)"), _format("#dcdcaa", bold=True), 1),
    (re.compile(r"('''|\"\"\").*?\1|'[^'\n]*'|\"[^\"\n]*\""), _format("#ce9178"), 0),
    (re.compile(r"#[^\n]*"), _format("#6a9955", italic=True), 0),
]
STRING_FORMAT = _format("#ce9178")
TRIPLE = re.compile(r"'''|\"\"\"")


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, names of the engine, numbers, def/class names, strings (triple-quoted ones
    across lines) and comments."""

    def highlightBlock(self, text):
        for pattern, fmt, group in RULES:
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
            self.setFormat(start, len(text) - start, STRING_FORMAT)
            self.setCurrentBlockState(state)
        else:
            self.setFormat(0, end + 3, STRING_FORMAT)
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
    error line that can be highlighted."""

    def __init__(self, parent=None):
        super().__init__(parent)
        font = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * TAB_SPACES)
        self.error_line = None
        self.gutter = _Gutter(self)
        self.blockCountChanged.connect(lambda n: self.setViewportMargins(self.gutter_width(),
                                                                        0, 0, 0))
        self.updateRequest.connect(self._scrolled)
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def gutter_width(self):
        digits = len(str(max(1, self.blockCount())))
        return 12 + self.fontMetrics().horizontalAdvance("9") * max(2, digits)

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
        painter.fillRect(event.rect(), GUTTER_BACKGROUND)
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            number = block.blockNumber() + 1
            painter.setPen(QColor("#ff8080") if number == self.error_line else GUTTER_TEXT)
            painter.drawText(0, top, self.gutter.width() - 6, height, Qt.AlignRight,
                             str(number))
            top += round(self.blockBoundingRect(block).height())
            block = block.next()

    def keyPressEvent(self, event):
        if event.key() == Qt.Key_Tab and not event.modifiers():
            self.insertPlainText(" " * TAB_SPACES)
            return
        super().keyPressEvent(event)

    def set_error_line(self, line):
        """Highlight line `line` (1-based; None: no error) and move the cursor there."""
        self.error_line = line
        selections = []
        block = self.document().findBlockByNumber(line - 1) if line else None
        if block is not None and block.isValid():
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(ERROR_BACKGROUND)
            selection.format.setProperty(QTextFormat.FullWidthSelection, True)
            selection.cursor = QTextCursor(block)
            selections.append(selection)
            self.setTextCursor(QTextCursor(block))
            self.centerCursor()
        self.setExtraSelections(selections)
        self.gutter.update()

    def highlighted_line(self):
        """The line the error highlight is on (1-based), or None."""
        selections = self.extraSelections()
        return selections[0].cursor.blockNumber() + 1 if selections else None


class ScriptEditor(QWidget):
    """The editor, a notice line, the error message and the Apply button.
    `apply_requested(text)`: the user wants the text to become the project's script."""

    apply_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.notice = QLabel("The model: the script's last nn.Module class (or what build() "
                             "returns). It runs on Run or Step only.")
        self.notice.setWordWrap(True)
        self.editor = CodeEdit()
        self.highlighter = PythonHighlighter(self.editor.document())
        self.error = QLabel()
        self.error.setObjectName("scriptError")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.error.setStyleSheet("color: #ff8080;")
        self.error.hide()
        self.apply_button = QPushButton("Apply script")
        self.apply_button.setToolTip("Make this text the project's model (undoable); Run or "
                                     "Step then runs it")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(lambda: self.apply_requested.emit(self.text()))
        self.editor.textChanged.connect(self._edited)
        self._applied = ""
        buttons = QHBoxLayout()
        buttons.addStretch(1)
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
        self.apply_button.setEnabled(self.is_modified())

    def show_error(self, line, message):
        """Highlight `line` (None: no line) and show `message` under the editor."""
        self.editor.set_error_line(line)
        self.error.setText(f"line {line}: {message}" if line else message)
        self.error.show()

    def clear_error(self):
        self.editor.set_error_line(None)
        self.error.clear()
        self.error.hide()
