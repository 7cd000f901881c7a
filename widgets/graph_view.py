"""The computation-graph view: the current iteration's graph, laid out top to bottom.

Feed it the debugger's records (`apply_record`) or call the setters directly. Nodes are
grouped in a frame per layer (scope); a layer collapses to one node (double-click; graphs
above COLLAPSE_ABOVE nodes start collapsed). Click selects (`node_selected`); F9 or the
context menu toggles a breakpoint on the node or its layer (`breakpoint_toggled(key, kind)`
with kind "node" or "layer"); `set_breakpoints` draws the red dots. Wheel zooms, drag pans,
`fit()` shows everything, the search box (or `search`) finds a node by name. When the graph
changes, nodes keep their place, the selection and viewport stay, and nodes that appeared
(green dashed) or vanished (grey, kept for one update) are marked.
"""
import math

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QLineEdit, QMenu

from app.graph.layout import layout_graph
from app.graph.model import GraphModel, build_graph_model

from .graph_items import GRADIENT, KIND_COLOURS, FrameItem, NodeItem, edge_ends, edges_item

STAT_ROW = {"mean": 0, "std": 1, "min": 2, "max": 3, "norm": 4, "zero_fraction": 5,
            "nonfinite": 6}
STATISTICS = {  # name -> (label, kind of tensor)
    "grad_rms": ("gradient RMS (norm/√n)", "grad"),
    "value_mean": ("activation mean", "value"),
    "dead_fraction": ("zero fraction (dead units)", "value"),
    "nonfinite": ("non-finite values", "value"),
}
PALETTE = ["#30123b", "#4662d7", "#1ae4b6", "#a2fc3c", "#fb8022", "#c3260d"]


class GraphView(QGraphicsView):
    node_selected = Signal(str)
    breakpoint_toggled = Signal(str, str)

    COLLAPSE_ABOVE = 200
    SMOOTH_EDGES_UP_TO = 1000  # more edges are drawn without antialiasing (5x faster)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.BoundingRectViewportUpdate)
        self.setBackgroundBrush(QColor("#fbfcfe"))
        self.search_box = QLineEdit(self)
        self.search_box.setPlaceholderText("Find node…")
        self.search_box.setFixedWidth(160)
        self.search_box.move(6, 6)
        self.search_box.returnPressed.connect(lambda: self.search(self.search_box.text()))
        self.full = GraphModel()
        self.shown = GraphModel()
        self.items = {}
        self.frames = {}
        self.positions = {}
        self.collapsed = set()
        self.breakpoints = set()
        self.stats = {"value": {}, "grad": {}}
        self.colour_stat = None
        self.legend = None  # (label, low, high) when colouring
        self.current = None
        self.reached = set()
        self._selected = None
        self._edge_items = []
        self.node_scale = 1.0
        self.scene().selectionChanged.connect(self._selection_changed)

    # ---- the graph ----------------------------------------------------------------------
    def set_graph(self, graph_nodes, new_keys=()):
        """Show a new iteration's graph (the debugger's GraphNodes in forward order);
        `new_keys` are marked as appeared, the previous graph's nodes missing from this one
        as vanished."""
        model = build_graph_model(graph_nodes)
        gone = [n for n in self.full.nodes
                if n.key not in model.by_key and "vanished" not in n.status]
        first = not self.full.nodes
        self.full = model.with_status(new_keys, gone)
        if first and len(model) > self.COLLAPSE_ABOVE:
            self.collapsed = {s.split(".")[0] for s in model.groups()}
        self.collapsed &= {s.split(".")[0] for s in model.groups()} | set(model.groups())
        self.reached = set()
        self._rebuild(fit=first)

    def apply_record(self, record):
        """Update from one debugger Record (graph, values, grads or stopped)."""
        d = record.data
        if record.kind == "graph":
            self.set_graph(d["nodes"], d["new_keys"])
        elif record.kind in ("values", "grads"):
            kind = "value" if record.kind == "values" else "grad"
            self.set_stats(kind, d["keys"], d["stats"])
            if kind == "grad":
                self.set_gradient_reached(d["keys"])
        elif record.kind == "stopped" and d["position"] is not None:
            self.set_current(d["position"].key)

    def _rebuild(self, fit=False):
        centre = self.mapToScene(self.viewport().rect().center())
        transform = self.transform()
        self.shown = self.full.collapsed(self.collapsed)
        smooth = len(self.shown.edges) <= self.SMOOTH_EDGES_UP_TO
        self.setRenderHint(QPainter.Antialiasing, smooth)
        lay = layout_graph(self.shown, previous=self.positions or None)
        self.positions.update(lay.positions)
        scene = self.scene()
        scene.blockSignals(True)
        scene.clear()
        self.items, self.frames, self._edge_items = {}, {}, []
        for node in self.shown.nodes:
            item = NodeItem(node)
            item.setPos(*lay.positions[node.key])
            scene.addItem(item)
            self.items[node.key] = item
        for scope, keys in self.shown.groups().items():
            rect = QRectF()
            for key in keys:
                rect = rect.united(self.items[key].sceneBoundingRect().adjusted(4, 4, -4, -4))
            frame = FrameItem(scope, rect)
            scene.addItem(frame)
            self.frames[scope] = frame
        scene.setSceneRect(scene.itemsBoundingRect().adjusted(-40, -40, 40, 40))
        self._draw_edges()
        self._refresh_marks()
        selected = self._visible(self._selected) if self._selected else None
        if selected in self.items:
            self.items[selected].setSelected(True)
        scene.blockSignals(False)
        if fit:
            self.fit()
        else:
            self.setTransform(transform)
            self.centerOn(centre)

    def _draw_edges(self):
        for item in self._edge_items:
            self.scene().removeItem(item)
        pos = self.positions
        flow, grads = [], []
        reached = {self._visible(k) for k in self.reached}
        for a, b in self.shown.edges:
            (grads if b in reached else flow).append(edge_ends(pos[a], pos[b]))
        self._edge_items = [edges_item(flow, "#8791a3", 1.2, -0.5),
                            edges_item(grads, GRADIENT, 2.2, -0.4)]
        for item in self._edge_items:
            self.scene().addItem(item)

    def _visible(self, key):
        """The shown node standing for `key` (itself, or the collapsed group holding it)."""
        if key in self.shown.by_key:
            return key
        node = self.full.by_key.get(key)
        scope = node.scope if node is not None else key
        for s in self.collapsed:
            if scope == s or scope.startswith(s + "."):
                return s
        return None

    # ---- layers -------------------------------------------------------------------------
    def collapse(self, scope):
        self.collapsed.add(scope)
        self._rebuild()

    def expand(self, scope):
        self.collapsed = {s for s in self.collapsed if s != scope}
        self._rebuild()

    def collapse_all(self):
        self.collapsed = {s.split(".")[0] for s in self.full.groups()}
        self._rebuild()

    def expand_all(self):
        self.collapsed = set()
        self._rebuild()

    def visible_node_count(self):
        return len(self.items)

    # ---- statistics, current node, gradient flow, breakpoints ---------------------------
    def set_stats(self, kind, keys, stats):
        """Per-node statistics rows (app.debugging.history.STAT_NAMES order) of values or grads."""
        self.stats[kind].update(zip(keys, np.asarray(stats, dtype=np.float64)))
        if self.colour_stat and STATISTICS[self.colour_stat][1] == kind:
            self._refresh_marks()

    def replace_stats(self, kind, keys, stats):
        """Like set_stats, but nodes absent from `keys` lose their statistics (an older
        iteration shown from the history)."""
        self.stats[kind] = {}
        self.set_stats(kind, keys, stats)

    def set_colour_stat(self, name):
        """Colour nodes by one of STATISTICS (None: by kind) and show its legend."""
        if name is not None and name not in STATISTICS:
            raise ValueError(f"GraphView: colour statistic must be one of {list(STATISTICS)}, "
                             f"got {name!r}")
        self.colour_stat = name
        self._refresh_marks()

    def set_current(self, key):
        """Highlight the node being stepped and scroll it into view."""
        self.current = key
        self._refresh_marks()
        item = self.items.get(self._visible(key)) if key else None
        if item is not None:
            self.ensureVisible(item, 60, 60)

    def set_gradient_reached(self, keys):
        """Nodes whose gradient backward has computed: their incoming edges show the flow."""
        self.reached = set(keys)
        self._draw_edges()

    def set_breakpoints(self, keys):
        """Node keys and layer scopes that have a breakpoint (drawn as red dots)."""
        self.breakpoints = set(keys)
        self._refresh_marks()

    def toggle_breakpoint(self, key, kind):
        """Toggle a "node" or "layer" breakpoint, draw it, and emit breakpoint_toggled."""
        self.breakpoints ^= {key}
        self._refresh_marks()
        self.breakpoint_toggled.emit(key, kind)

    def _refresh_marks(self):
        legend = self.legend
        fills = self._colours()
        if self.legend != legend:
            self.viewport().update()  # the legend is drawn over the viewport
        current = self._visible(self.current) if self.current else None
        for key, item in self.items.items():
            item.set_state(fill=fills.get(key, KIND_COLOURS[item.node.kind]),
                           current=key == current, breakpoint=key in self.breakpoints)
        for scope, frame in self.frames.items():
            frame.set_breakpoint(scope in self.breakpoints)

    def _colours(self):
        if self.colour_stat is None:
            self.legend = None
            return {}
        label, kind = STATISTICS[self.colour_stat]
        values = {}
        for key in self.items:
            members = self.full.groups().get(key, [key]) if key in self.collapsed else [key]
            found = [v for v in (self._statistic(m, kind) for m in members) if v is not None]
            if found:
                values[key] = max(found) if self.colour_stat != "value_mean" else np.mean(found)
        if not values:
            self.legend = (label, None, None)
            return {}
        if self.colour_stat == "nonfinite":
            self.legend = (label, 0, 1)
            return {k: PALETTE[-1] if v > 0 else "#c9ebc9" for k, v in values.items()}
        log = self.colour_stat == "grad_rms"
        shown = {k: math.log10(v) if log and v > 0 else (v if not log else -12.0)
                 for k, v in values.items() if np.isfinite(v)}
        low, high = min(shown.values(), default=0.0), max(shown.values(), default=1.0)
        self.legend = (label + (" (log10)" if log else ""), low, high)
        return {k: _palette((v - low) / (high - low) if high > low else 0.5)
                for k, v in shown.items()}

    def _statistic(self, key, kind):
        row = self.stats[kind].get(key)
        if row is None:
            return None
        if self.colour_stat == "grad_rms":
            node = self.full.by_key.get(key)
            n = max(1, int(np.prod(node.shape))) if node is not None else 1
            return row[STAT_ROW["norm"]] / math.sqrt(n)
        if self.colour_stat == "value_mean":
            return row[STAT_ROW["mean"]]
        if self.colour_stat == "dead_fraction":
            return row[STAT_ROW["zero_fraction"]]
        return row[STAT_ROW["nonfinite"]]

    def drawForeground(self, painter, rect):
        if not self.legend:
            return
        label, low, high = self.legend
        painter.save()
        painter.resetTransform()
        w = self.viewport().width()
        box = QRectF(w - 250, 8, 240, 46)
        painter.setPen(QColor("#9aa3b2"))
        painter.setBrush(QColor(255, 255, 255, 230))
        painter.drawRect(box)
        painter.setPen(QColor("#222222"))
        painter.drawText(box.adjusted(6, 2, -6, -28), Qt.AlignLeft, label)
        bar = QRectF(box.left() + 6, box.top() + 20, box.width() - 12, 10)
        gradient = QLinearGradient(bar.topLeft(), bar.topRight())
        for i, colour in enumerate(PALETTE):
            gradient.setColorAt(i / (len(PALETTE) - 1), QColor(colour))
        painter.fillRect(bar, gradient)
        if low is None:
            text = ("no statistics yet", "")
        else:
            text = (f"{low:.3g}", f"{high:.3g}")
        painter.drawText(QRectF(bar.left(), bar.bottom(), bar.width(), 14), Qt.AlignLeft, text[0])
        painter.drawText(QRectF(bar.left(), bar.bottom(), bar.width(), 14), Qt.AlignRight,
                         text[1])
        painter.restore()

    # ---- selection, search, navigation ----------------------------------------------------
    def selected_key(self):
        return self._selected

    def select_node(self, key):
        """Select a node (expanding its layer when collapsed) and scroll to it."""
        if key not in self.items and key in self.full.by_key:
            group = self._visible(key)
            if group is not None:
                self.expand(group)
        item = self.items.get(key)
        if item is None:
            raise KeyError(f"GraphView: no node {key!r} in the current graph")
        self.scene().clearSelection()
        item.setSelected(True)
        self.ensureVisible(item, 60, 60)

    def search(self, text):
        """Keys whose name contains `text` (case-insensitive); selects the first."""
        needle = text.strip().lower()
        found = [n.key for n in self.full.nodes if needle and needle in n.key.lower()
                 and "vanished" not in n.status]
        if found:
            self.select_node(found[0])
        return found

    def set_scale(self, scale):
        """Draw nodes and their labels `scale` times their normal size (presentation mode):
        the view zooms by the change, around the viewport's centre."""
        if scale <= 0:
            raise ValueError(f"GraphView: scale must be positive, got {scale}")
        factor = scale / self.node_scale
        self.node_scale = scale
        anchor = self.transformationAnchor()
        self.setTransformationAnchor(QGraphicsView.AnchorViewCenter)
        self.scale(factor, factor)
        self.setTransformationAnchor(anchor)
        focus = self.items.get(self.current) or self.items.get(self._selected)
        if focus is not None:
            self.centerOn(focus)

    def fit(self):
        self.fitInView(self.scene().sceneRect(), Qt.KeepAspectRatio)
        if self.transform().m11() < 0.05:  # a very tall graph: show its top readable
            self.resetTransform()
            self.scale(0.6, 0.6)
            self.centerOn(self.scene().sceneRect().center().x(), self.scene().sceneRect().top())

    def _selection_changed(self):
        chosen = [i for i in self.scene().selectedItems() if isinstance(i, NodeItem)]
        if chosen and chosen[0].key != self._selected:
            self._selected = chosen[0].key
            self.node_selected.emit(self._selected)

    def wheelEvent(self, event):
        factor = 1.2 ** (event.angleDelta().y() / 120)
        self.scale(factor, factor)

    def keyPressEvent(self, event):
        if event.key() == Qt.Key_F9 and self._selected in self.items:
            item = self.items[self._selected]
            if item.node.kind == "group":
                self.toggle_breakpoint(item.key, "layer")
            else:
                self.toggle_breakpoint(item.key, "node")
            return
        super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event):
        item = self.itemAt(event.position().toPoint())
        if isinstance(item, NodeItem) and item.node.kind == "group":
            self.expand(item.key)
        elif isinstance(item, FrameItem):
            self.collapse(item.scope)
        else:
            super().mouseDoubleClickEvent(event)

    def contextMenuEvent(self, event):
        item = self.itemAt(event.pos())
        menu = QMenu(self)
        for text, action in self.context_actions(item):
            menu.addAction(text, action)
        if not menu.isEmpty():
            menu.exec(event.globalPos())

    def context_actions(self, item):
        """(text, callable) entries of the context menu for a node or frame item."""
        if isinstance(item, FrameItem):
            return [(f"Toggle breakpoint on layer '{item.scope}'",
                     lambda: self.toggle_breakpoint(item.scope, "layer")),
                    (f"Collapse layer '{item.scope}'", lambda: self.collapse(item.scope))]
        if not isinstance(item, NodeItem):
            return [("Fit to view", self.fit)]
        node = item.node
        if node.kind == "group":
            return [(f"Toggle breakpoint on layer '{node.scope}'",
                     lambda: self.toggle_breakpoint(node.scope, "layer")),
                    (f"Expand layer '{node.scope}'", lambda: self.expand(node.scope))]
        actions = [(f"Toggle breakpoint on {node.key}",
                    lambda: self.toggle_breakpoint(node.key, "node"))]
        if node.scope:
            actions += [(f"Toggle breakpoint on layer '{node.scope}'",
                         lambda: self.toggle_breakpoint(node.scope, "layer")),
                        (f"Collapse layer '{node.scope}'", lambda: self.collapse(node.scope))]
        return actions

    # ---- export -----------------------------------------------------------------------------
    def export_png(self, path, max_side=8000):
        rect = self.scene().sceneRect()
        scale = min(2.0, max_side / max(rect.width(), rect.height(), 1.0))
        image = QImage(int(rect.width() * scale), int(rect.height() * scale),
                       QImage.Format_ARGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self._render(painter, QRectF(image.rect()), rect)
        if not image.save(str(path), "PNG"):
            raise OSError(f"GraphView: could not write the PNG file {path}")

    def export_svg(self, path):
        rect = self.scene().sceneRect()
        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(rect.size().toSize())
        generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
        generator.setTitle("Stepgraph computation graph")
        self._render(QPainter(generator), QRectF(0, 0, rect.width(), rect.height()), rect)

    def _render(self, painter, target, source):
        """Render the scene with item caches off, so that an SVG gets shapes and text
        rather than the cached pixmaps."""
        items = list(self.items.values())
        for item in items:
            item.setCacheMode(NodeItem.NoCache)
        self.scene().render(painter, target, source)
        painter.end()
        for item in items:
            item.setCacheMode(NodeItem.DeviceCoordinateCache)


def _palette(t):
    """A colour on PALETTE at t in [0, 1]."""
    t = min(max(t, 0.0), 1.0) * (len(PALETTE) - 1)
    i = min(int(t), len(PALETTE) - 2)
    a, b = QColor(PALETTE[i]), QColor(PALETTE[i + 1])
    f = t - i
    return QColor(*(round(getattr(a, c)() * (1 - f) + getattr(b, c)() * f)
                    for c in ("red", "green", "blue")))

