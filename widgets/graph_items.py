"""The QGraphicsItems of the graph view: nodes, layer frames and the edges (one path each).

Items are drawn cheaply for graphs of thousands of nodes: plain rectangles and text, no
shadows, text skipped when zoomed far out, all edges of a kind in a single path item.
"""
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem

from app.graph.layout import NODE_HEIGHT, NODE_WIDTH

LABEL_ZOOM = 0.35  # below this zoom node labels are not drawn (unreadable)

KIND_COLOURS = {"op": "#dfe8f5", "param": "#f4ecd8", "input": "#e3f1e0", "group": "#e6e0f2",
                "grad": "#f8e1da"}
SELECTED = QColor("#1f5fbf")
CURRENT = QColor("#e07b00")
NEW = QColor("#2e9b3a")
BREAKPOINT = QColor("#d21f1f")
GRADIENT = QColor("#d2452a")
FUSED = QColor("#8e44ad")  # outline of a fused node (static mode)
FRAME_MARGIN = 14.0
TITLE_HEIGHT = 18.0


def shape_text(shape):
    """A tensor shape as text ("4×3", "scalar")."""
    return "×".join(map(str, shape)) if shape else "scalar"


class NodeItem(QGraphicsItem):
    """One node (op, parameter, input, or a collapsed layer) centred on its layout position."""

    RECT = QRectF(-NODE_WIDTH / 2, -NODE_HEIGHT / 2, NODE_WIDTH, NODE_HEIGHT)
    FONT = QFont("Sans", 8)

    def __init__(self, node):
        super().__init__()
        self.node = node
        self.key = node.key
        self.fill = QColor(KIND_COLOURS[node.kind])
        self.current = False
        self.breakpoint = False
        self.setFlag(QGraphicsItem.ItemIsSelectable)
        self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        tip = f"{node.key}\n{node.op}  {shape_text(node.shape)}  {node.dtype}".strip()
        if node.fused_from:
            tip += f"\nfused: {' → '.join(node.fused_from)} (one buffer, no intermediates)"
        self.setToolTip(tip)

    def boundingRect(self):
        return self.RECT.adjusted(-4, -4, 4, 4)

    def set_state(self, fill, current, breakpoint):
        """Change the look; repaints (and re-renders the cache) only when something changed."""
        fill = QColor(fill)
        if (fill, current, breakpoint) != (self.fill, self.current, self.breakpoint):
            self.fill, self.current, self.breakpoint = fill, current, breakpoint
            self.update()

    def paint(self, painter, option, widget=None):
        status = self.node.status
        pen = QPen(FUSED, 2.5) if self.node.fused_from else QPen(QColor("#5a6475"), 1.0)
        if "new" in status:
            pen = QPen(NEW, 2.0, Qt.DashLine)
        if "vanished" in status:
            pen = QPen(QColor("#9a9a9a"), 1.5, Qt.DashLine)
        if self.current:
            pen = QPen(CURRENT, 3.0)
        if self.isSelected():
            pen = QPen(SELECTED, 3.0)
        elif self.node.kind == "grad" and not self.current:
            pen = QPen(GRADIENT, 1.0)
        painter.setPen(pen)
        fill = QColor("#f2f2f2") if "vanished" in status else self.fill
        painter.setBrush(QBrush(fill))
        radius = 12.0 if self.node.kind in ("param", "input") else 4.0
        painter.drawRoundedRect(self.RECT, radius, radius)
        if self.node.kind == "group":
            painter.drawRoundedRect(self.RECT.adjusted(3, 3, -3, -3), 3, 3)
        if self.breakpoint:
            painter.setPen(Qt.NoPen)
            painter.setBrush(BREAKPOINT)
            painter.drawEllipse(QPointF(self.RECT.left() + 8, self.RECT.top() + 8), 5, 5)
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        if lod < LABEL_ZOOM:
            return
        painter.setFont(self.FONT)
        painter.setPen(QColor("#777777") if "vanished" in status else _text_colour(fill))
        top = self.RECT.adjusted(14, 2, -6, -NODE_HEIGHT / 2)
        bottom = self.RECT.adjusted(14, NODE_HEIGHT / 2 - 2, -6, -2)
        metrics = painter.fontMetrics()
        painter.drawText(top, Qt.AlignLeft | Qt.AlignVCenter,
                         metrics.elidedText(self.node.label, Qt.ElideMiddle, int(top.width())))
        detail = {"param": "parameter", "input": "batch"}.get(self.node.kind,
                                                              shape_text(self.node.shape))
        if self.node.kind == "grad":  # the gradient's shape, or the parameter it accumulates
            detail = "\u2207 " + (self.key.partition(":")[2] if self.node.op == "AccumulateGrad"
                                  else shape_text(self.node.shape))
        if "vanished" in status:
            detail = "vanished"
        elif self.node.fused_from:
            detail = f"{len(self.node.fused_from)} ops · {detail}"
        painter.drawText(bottom, Qt.AlignLeft | Qt.AlignVCenter, detail)


class FrameItem(QGraphicsItem):
    """The frame around the nodes of one layer (scope), with its name as a title."""

    def __init__(self, scope, rect):
        super().__init__()
        self.scope = scope
        self.rect = rect.adjusted(-FRAME_MARGIN, -FRAME_MARGIN - TITLE_HEIGHT,
                                  FRAME_MARGIN, FRAME_MARGIN)
        self.breakpoint = False
        self.setZValue(-1)
        self.setToolTip(f"layer '{scope}' (double-click to collapse)")

    def boundingRect(self):
        return self.rect

    def set_breakpoint(self, on):
        if on != self.breakpoint:
            self.breakpoint = on
            self.update()

    def paint(self, painter, option, widget=None):
        painter.setPen(QPen(QColor("#a8b0c0"), 1.0, Qt.DashLine))
        painter.setBrush(QColor(240, 243, 248, 120))
        painter.drawRoundedRect(self.rect, 8, 8)
        x = self.rect.left() + 8
        if self.breakpoint:
            painter.setPen(Qt.NoPen)
            painter.setBrush(BREAKPOINT)
            painter.drawEllipse(QPointF(x + 5, self.rect.top() + 11), 5, 5)
            x += 14
        painter.setPen(QColor("#3c4658"))
        painter.setFont(NodeItem.FONT)
        painter.drawText(QRectF(x, self.rect.top() + 2, self.rect.width() - 16, TITLE_HEIGHT),
                         Qt.AlignLeft | Qt.AlignVCenter, f"▾ {self.scope}")


def edge_ends(source, destination):
    """(x0, y0, x1, y1, beside): from the bottom of the source to the top of the
    destination (from the top to the bottom when the destination is above: a gradient
    flowing back up, a recurrence), or, when both sit in one row (a parameter beside its
    op), from the bottom of the source to the near side of the destination (beside=True)."""
    (x0, y0), (x1, y1) = source, destination
    if y0 == y1:
        side = NODE_WIDTH / 2 if x0 > x1 else -NODE_WIDTH / 2
        return (x0, y0 + NODE_HEIGHT / 2, x1 + side, y1, True)
    if y1 < y0:
        return (x0, y0 - NODE_HEIGHT / 2, x1, y1 + NODE_HEIGHT / 2, False)
    return (x0, y0 + NODE_HEIGHT / 2, x1, y1 - NODE_HEIGHT / 2, False)


def edges_item(segments, colour, width, z):
    """All edges of one kind as a single path item of edge_ends() segments."""
    path = QPainterPath()
    for x0, y0, x1, y1, beside in segments:
        path.moveTo(x0, y0)
        if beside:  # down out of the parameter, then sideways into the op
            path.cubicTo(x0, y0 + 22, x1 + (x0 - x1) * 0.25, y1 + 10, x1, y1)
            continue
        mid = (y0 + y1) / 2
        path.cubicTo(x0, mid, x1, mid, x1, y1)
    item = QGraphicsPathItem(path)
    pen = QPen(QColor(colour), width)
    pen.setCosmetic(True)
    item.setPen(pen)
    item.setZValue(z)
    return item


def _text_colour(fill):
    return QColor("#111111") if fill.lightnessF() > 0.5 else QColor("#ffffff")
