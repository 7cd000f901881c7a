"""Static mode in the main window: the mode combo switches the project to a compiled graph,
a step is one Session.run, the graph view shows the compiled graph with its fused node
outlined, and the inspector says how to see a tensor that is not fetched."""
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QStyleOptionGraphicsItem

from app.static_debugger import StaticDebugger
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
