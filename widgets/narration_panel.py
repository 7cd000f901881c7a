"""The narration panel: what the op being stepped computes, forward and backward, in words
and formulas with the actual shapes (app/teaching/narration.py), in a large readable font.

`show_state(state, param_shapes)` narrates a debugger state's current node (NarrationFeed,
widgets/window/feeds.py, calls it as the session changes). `set_font_scale(s)` enlarges the
text for presentation mode."""
import html

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QTextBrowser

from app.teaching.narration import narrate_state

BASE_POINT_SIZE = 13
EMPTY_TEXT = "Step into the training to see what each op computes."


class NarrationPanel(QTextBrowser):
    """See the module docstring."""
    def __init__(self, parent=None):
        super().__init__(parent)
        self.narration = None
        self.font_scale = 1.0
        self.setOpenLinks(False)
        self.set_font_scale(1.0)
        self.setPlainText(EMPTY_TEXT)

    def set_font_scale(self, scale):
        """Scale the text (1.0 normal; 1.5 to 2.5 for a lecture hall)."""
        if scale <= 0:
            raise ValueError(f"font scale must be positive, got {scale}")
        self.font_scale = scale
        size = BASE_POINT_SIZE * scale
        # its own style sheet: a window style sheet's font-size would override setFont
        self.setStyleSheet(f"QTextBrowser {{ font-size: {size:g}pt; }}")
        font = QFont(self.font())
        font.setPointSizeF(size)
        self.setFont(font)
        self.document().setDefaultFont(font)

    def show_state(self, state, param_shapes=None):
        """Narrate `state`'s current node (None: the empty text) with the parameters' shapes."""
        self.show_narration(narrate_state(state, param_shapes))

    def show_narration(self, narration):
        """Show a Narration (app/teaching/narration.py); None: the empty text."""
        self.narration = narration
        if narration is None:
            self.setPlainText(EMPTY_TEXT)
            return
        parts = [f"<h2>{html.escape(narration.title)}</h2>"]
        if narration.phase == "update":
            parts.append(_paragraph(narration.forward))
        else:
            now, other = ("backward", "forward") if narration.phase == "backward" else (
                "forward", "backward")
            parts.append(f"<h3>{now} (now)</h3>" + _paragraph(getattr(narration, now)))
            parts.append(f"<h3 style='color: gray'>{other}</h3>"
                         f"<div style='color: gray'>{_paragraph(getattr(narration, other))}</div>")
            parts.append("<p style='color: gray'>g = dL/dy, the gradient arriving from the loss; "
                         "⊙ ⊘ act entry by entry.</p>")
        self.setHtml("".join(parts))


def _paragraph(text):
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines())
