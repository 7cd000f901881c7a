"""The narration panel shows the current node's narration and, fed by NarrationFeed,
follows the session."""
from app.debugging.debugger import Debugger
from app.teaching.narration import parameter_shapes
from widgets.narration_panel import EMPTY_TEXT, NarrationPanel
from widgets.window.feeds import NarrationFeed

from tests.app.debugger_setup import command, mlp_run


class FakeSession:
    """What the narration feed reads of app.session.Session: state, parameter shapes,
    subscribe."""

    def __init__(self, built):
        self.state, self.built, self.listeners = None, built, []

    def parameter_shapes(self):
        return parameter_shapes(self.built.model)

    def subscribe(self, fn):
        self.listeners.append(fn)

    def notify(self, changes):
        for fn in self.listeners:
            fn(changes)


def test_panel_shows_and_follows_the_state(qtbot):
    run = mlp_run(sizes=(2, 8, 2), batch=16)
    session = FakeSession(run)
    panel = NarrationPanel()
    NarrationFeed(session, panel)
    qtbot.addWidget(panel)
    assert panel.toPlainText() == EMPTY_TEXT
    debugger = Debugger(run)
    try:
        session.state = command(debugger, "step_op")
        session.notify({"state"})
        text = panel.toPlainText()
        assert "Linear layer in layer 0" in text
        assert "(16, 2) · (2, 8) + (8,) → (16, 8)" in text
        assert "forward (now)" in text
        while session.state.phase != "backward":
            session.state = command(debugger, "step_op")
        session.notify({"state"})
        assert "backward (now)" in panel.toPlainText()
        assert "dL/d" in panel.toPlainText()
    finally:
        debugger.close()


def test_show_state_and_font_scale(qtbot):
    run = mlp_run(sizes=(2, 4, 2), batch=8)
    panel = NarrationPanel()
    qtbot.addWidget(panel)
    debugger = Debugger(run)
    try:
        panel.show_state(command(debugger, "step_op"), parameter_shapes(run.model))
    finally:
        debugger.close()
    assert "(8, 2) · (2, 4) + (4,) → (8, 4)" in panel.toPlainText()
    size = panel.font().pointSizeF()
    panel.set_font_scale(2.0)
    assert panel.font().pointSizeF() == 2 * size
    panel.show_state(None)
    assert panel.toPlainText() == EMPTY_TEXT
