"""Static mode in the main window: the mode combo switches the project to a compiled graph,
a step is one Session.run, the graph view shows the compiled graph with its fused node
outlined, and the inspector says how to see a tensor that is not fetched."""
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QStyleOptionGraphicsItem

from app.debugging.static_debugger import StaticDebugger
from widgets.graph_items import FUSED

from .window_setup import open_window, wait_idle


def outline_pixels(item):
    """Pixels of the fused outline colour when `item` paints itself."""
    rect = item.boundingRect()
    image = QImage(int(rect.width()) + 2, int(rect.height()) + 2, QImage.Format_RGB32)
    image.fill(0xFFFFFF)
    painter = QPainter(image)
    painter.translate(-rect.left() + 1, -rect.top() + 1)
    item.paint(painter, QStyleOptionGraphicsItem())
    painter.end()
    return sum(image.pixelColor(x, y) == FUSED
               for x in range(image.width()) for y in range(image.height()))


def test_static_mode_in_the_window(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data", preset="xor")
    try:
        window.config.mode.setCurrentText("static")
        session = window.session
        assert session.project.train.mode == "static"
        assert isinstance(session.debugger, StaticDebugger)

        window.debug_actions.actions["step_op"].trigger()
        state = wait_idle(window)
        assert (state.status, state.completed, state.last_hit.kind) == ("paused", 1, "step_op")
        assert "Session.run" in state.last_hit.message
        qtbot.waitUntil(lambda: "2/fused#0" in window.graph_view.items, timeout=5000)

        fused = window.graph_view.items["2/fused#0"]
        assert fused.node.fused_from == ("mul", "sub", "mul")
        assert "fused: mul → sub → mul" in fused.toolTip()
        assert "1/sub#0" not in window.graph_view.items  # folded into the fused node
        assert outline_pixels(fused) > 0
        assert outline_pixels(window.graph_view.items["1/tanh#0"]) == 0

        session.select("1/tanh#0")
        window.inspector_feed.refresh()
        header = window.inspector.header.text()
        assert "static mode: only fetched tensors can be inspected" in header
        assert "add 1/tanh#0 to the fetch list" in header

        session.select(session.debugger.loss_key)
        window.inspector_feed.refresh()
        assert "shape scalar" in window.inspector.header.text()
    finally:
        window.close()


def test_add_to_fetch_list_from_the_inspector(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data", preset="xor")
    try:
        window.config.mode.setCurrentText("static")
        session, inspector = window.session, window.inspector
        session.step("iteration")
        wait_idle(window)
        session.select("1/tanh#0")
        window.inspector_feed.refresh()
        assert inspector.fetch_button.isVisibleTo(inspector)
        assert inspector.fetch_target == "1/tanh#0"

        inspector.fetch_button.click()
        message = window.statusBar().currentMessage()
        assert message.startswith("fetching 1/tanh#0: recompiled in ") and "KiB" in message
        assert "1/tanh#0" in session.debugger.build.fetch_keys
        session.step("iteration")
        wait_idle(window)
        window.inspector_feed.refresh()
        value = session.value("1/tanh#0")
        assert value is not None and value.shape == (session.project.train.batch_size, 8)
        assert abs(value).max() <= 1.0  # a tanh
        assert not inspector.fetch_button.isVisibleTo(inspector)
        assert "fetch list" not in inspector.header.text()
    finally:
        window.close()


def test_no_fetch_button_in_dynamic_mode(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data", preset="xor")
    try:
        window.session.step("op")
        wait_idle(window)
        window.session.select("1/tanh#0")
        window.inspector_feed.refresh()
        assert not window.inspector.fetch_button.isVisibleTo(window.inspector)
        assert not window.session.can_fetch("1/tanh#0")
    finally:
        window.close()
