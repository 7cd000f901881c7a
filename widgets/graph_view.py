"""The computation-graph view: the current iteration's graph, laid out top to bottom.

Fed through its setters (widgets/window/feeds.py GraphFeed, from the session). Nodes are
grouped in a frame per layer (scope); a layer collapses to one node (double-click; graphs
above COLLAPSE_ABOVE nodes start collapsed). Click selects (`node_selected`); F9 or the
context menu toggles a breakpoint on the node or its layer (`breakpoint_toggled(key, kind)`
with kind "node" or "layer"); `set_breakpoints` draws the red dots. Wheel zooms, drag pans,
`fit()` shows everything, the search box (or `search`) finds a node by name. When the graph
changes, nodes keep their place, the selection and viewport stay, and nodes that appeared
(green dashed) or vanished (grey, kept for one update) are marked; `set_graph(...,
fresh=True)` (another project) starts again from nothing.

`set_view_options(backward=, rolled=)`: the backward graph (the grad_fn nodes, right of the
forward graph, gradient edges lit as backward reaches them; clicking one selects its forward
node, whose gradient the inspector shows) and recurrent cells rolled (app/graph/views.py).
The context menu's "Add condition..." emits `condition_requested(target)`.
"""
import numpy as np
from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QLineEdit, QMenu, QToolButton

from app.graph.layout import ROW
from app.graph.model import GraphModel, build_graph_model
from app.graph.views import GRAD_PREFIX, arranged, forward_key

from .graph_colours import STATISTICS, draw_legend, node_colours
from .graph_export import export_png, export_svg
from .graph_items import (GRADIENT, KIND_COLOURS, LABEL_ZOOM, FrameItem, NodeItem, edge_ends,
                          edges_item)

FAR_ROWS = 3  # edges spanning more rows than this are drawn faint
TOGGLE_STYLE = ("QToolButton { color: #222; background: #e8ecf3; border: 1px solid #9aa3b2; "
                "border-radius: 3px; padding: 2px 6px; } "
                "QToolButton:checked { background: #f6c8bb; border-color: #d2452a; }")
READABLE_FIT = LABEL_ZOOM + 0.05  # fit() zooms out no further: labels stay drawn


class GraphView(QGraphicsView):
    """See the module docstring."""
    node_selected = Signal(str)
    breakpoint_toggled = Signal(str, str)
    condition_requested = Signal(str)  # a node key or layer scope to add a condition on
    options_changed = Signal()  # the backward graph or the rolled view was switched

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
        self.search_box.setToolTip("Type part of a node's name and press Enter to select it")
        self.search_box.setFixedWidth(160)
        self.search_box.move(6, 6)
        self.search_box.returnPressed.connect(lambda: self.search(self.search_box.text()))
        self.backward_toggle = self._toggle("\u2207 Backward graph",
                                            "Show the gradient nodes the engine records (each "
                                            "op's backward, as PyTorch's grad_fn graph)",
                                            lambda on: self.set_view_options(backward=on))
        self.rolled_toggle = self._toggle("Rolled", "Recurrent layers: one node per op of the "
                                          "cell (with its step count) or every step",
                                          lambda on: self.set_view_options(rolled=on))
        self._place_toggles()
        self.full = GraphModel()
        self.shown = GraphModel()
        self.backward = None  # the backward GraphModel shown, or None
        self.show_backward = False
        self.show_rolled = False
        self.current_phase = None
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
        self.fitted = False  # the view fits the graph (kept on resize until the user zooms)
        self.scene().selectionChanged.connect(self._selection_changed)

    def _place_toggles(self):
        """The toggles right of the search box, each as wide as its text needs."""
        x = self.search_box.x() + self.search_box.width() + 6
        for button in (self.backward_toggle, self.rolled_toggle):
            button.resize(button.sizeHint())
            button.move(x, self.search_box.y())
            x += button.width() + 6

    def changeEvent(self, event):
        if event.type() in (QEvent.FontChange, QEvent.StyleChange):
            self._place_toggles()
        super().changeEvent(event)

    def _toggle(self, text, tip, slot):
        button = QToolButton(self)
        button.setText(text)
        button.setCheckable(True)
        button.setToolTip(tip)
        button.setStyleSheet(TOGGLE_STYLE)  # on the graph's light background in any theme
        button.toggled.connect(slot)
        return button

    # ---- the graph ----------------------------------------------------------------------
    def set_graph(self, graph_nodes, new_keys=(), fresh=False, absent=None):
        """Show a new iteration's graph (the debugger's GraphNodes in forward order);
        `new_keys` are marked as appeared, the previous graph's nodes missing from this one
        as vanished. With `absent` (the keys gone from the graph), the graph of an
        iteration in progress: the previous graph's nodes that have not run yet stay, only
        those in `absent` vanish. `fresh`: another project's graph, nothing old is kept."""
        if fresh:
            self.full, self.positions, self.collapsed = GraphModel(), {}, set()
            self.current = self._selected = None
        model = build_graph_model(graph_nodes)
        if absent is not None:
            model = model.extended(self.full, set(absent))
        gone = [n for n in self.full.nodes
                if n.key not in model.by_key and "vanished" not in n.status]
        first = not self.full.nodes
        self.full = model.with_status(new_keys, gone)
        if first and len(model) > self.COLLAPSE_ABOVE:
            self.collapsed = {s.split(".")[0] for s in model.groups()}
        self.collapsed &= {s.split(".")[0] for s in model.groups()} | set(model.groups())
        self.reached = set()
        self._rebuild(fit=first)

    def _rebuild(self, fit=False):
        centre = self.mapToScene(self.viewport().rect().center())
        transform = self.transform()
        self.shown, self.backward, lay = arranged(self.full, self.collapsed, self.show_rolled,
                                                  self.show_backward, self.positions or None)
        smooth = len(self.shown.edges) <= self.SMOOTH_EDGES_UP_TO
        self.setRenderHint(QPainter.Antialiasing, smooth)
        self.positions.update(lay.positions)
        scene = self.scene()
        scene.blockSignals(True)
        scene.clear()
        self.items, self.frames, self._edge_items = {}, {}, []
        for node in self.shown.nodes + (self.backward.nodes if self.backward else []):
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
        self.updateSceneRect(scene.sceneRect())  # its signal was blocked: the scroll range
        if fit:
            self.fit()
        else:
            self.setTransform(transform)
            self.centerOn(centre)

    def _draw_edges(self):
        for item in self._edge_items:
            self.scene().removeItem(item)
        pos = self.positions
        flow, grads, waiting, far = [], [], [], []
        reached = {self._visible(k) for k in self.reached}
        backward = self.backward is not None
        for a, b in self.shown.edges:
            lit = b in reached and not backward  # without the backward graph: on the forward
            ends = edge_ends(pos[a], pos[b])
            if lit:
                grads.append(ends)
            else:  # edges across many rows (a weight read at every time step) stay faint
                (far if abs(ends[3] - ends[1]) > FAR_ROWS * ROW else flow).append(ends)
        for a, b in self.backward.edges if backward else ():
            source, into = forward_key(a), forward_key(b)  # gradient flows source -> into
            leaf = self.shown.by_key[into].kind == "param"
            lit = into in reached or (leaf and source in reached)
            (grads if lit else waiting).append(edge_ends(pos[a], pos[b]))
        self._edge_items = [edges_item(flow, "#8791a3", 1.2, -0.5),
                            edges_item(grads, GRADIENT, 2.2, -0.4),
                            edges_item(waiting, "#e3b3a8", 1.2, -0.5),
                            edges_item(far, "#d5dae3", 0.8, -0.6)]
        for item in self._edge_items:
            self.scene().addItem(item)

    def _visible(self, key):
        """The shown node standing for `key` (itself, its rolled cell node, or the collapsed
        group holding it)."""
        key = self.shown.aliases.get(key, key)
        if key in self.shown.by_key or key in self.items:
            return key
        node = self.full.by_key.get(key)
        scope = node.scope if node is not None else key
        for s in self.collapsed:
            if scope == s or scope.startswith(s + "."):
                return s
        return None

    # ---- layers -------------------------------------------------------------------------
    def collapse(self, scope):
        """Collapse layer `scope` to one node."""
        self.collapsed.add(scope)
        self._rebuild()

    def expand(self, scope):
        """Show layer `scope`'s nodes again."""
        self.collapsed = {s for s in self.collapsed if s != scope}
        self._rebuild()

    def collapse_all(self):
        """Collapse every top-level layer."""
        self.collapsed = {s.split(".")[0] for s in self.full.groups()}
        self._rebuild()

    def expand_all(self):
        """Expand every layer."""
        self.collapsed = set()
        self._rebuild()

    def visible_node_count(self):
        """How many nodes are drawn."""
        return len(self.items)

    def nodes_in_view(self):
        """Keys of the nodes the viewport shows now, at least in part."""
        shown = self.mapToScene(self.viewport().rect()).boundingRect()
        return [k for k, item in self.items.items() if item.sceneBoundingRect().intersects(shown)]

    # ---- statistics, current node, gradient flow, breakpoints ---------------------------
    def set_stats(self, kind, keys, stats):
        """Per-node statistics rows (app.debugging.statistics.STAT_NAMES order) of values or
        grads."""
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

    def set_current(self, key, phase=None):
        """Highlight the node being stepped and scroll it into view (in backward, its
        gradient node when the backward graph is shown)."""
        self.current = key
        self.current_phase = phase
        self._refresh_marks()
        item = self.items.get(self._current_item()) if key else None
        if item is not None:
            self.ensureVisible(item, 60, 60)

    def _current_item(self):
        shown = self._visible(self.current) if self.current else None
        if shown is not None and self.backward is not None and \
                self.current_phase == "backward" and \
                GRAD_PREFIX + shown in self.items:
            return GRAD_PREFIX + shown
        return shown

    def set_view_options(self, backward=None, rolled=None):
        """Show or hide the backward graph and roll or unroll recurrent cells (None: keep)."""
        if backward is not None:
            self.show_backward = bool(backward)
        if rolled is not None and bool(rolled) != self.show_rolled:
            self.show_rolled = bool(rolled)
            self.positions = {}  # other nodes: lay out afresh
        for button, on in ((self.backward_toggle, self.show_backward),
                           (self.rolled_toggle, self.show_rolled)):
            button.blockSignals(True)
            button.setChecked(on)
            button.blockSignals(False)
        self._rebuild(fit=True)
        self.options_changed.emit()

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
        current = self._current_item()
        for key, item in self.items.items():
            item.set_state(fill=fills.get(key, KIND_COLOURS[item.node.kind]),
                           current=key == current, breakpoint=key in self.breakpoints)
        for scope, frame in self.frames.items():
            frame.set_breakpoint(scope in self.breakpoints)

    def _colours(self):
        fills, self.legend = node_colours(self.colour_stat, self.items, self.full,
                                          self.collapsed, self.stats)
        return fills

    def drawForeground(self, painter, rect):
        if self.legend:
            draw_legend(painter, self.viewport().width(), self.legend)

    # ---- selection, search, navigation ----------------------------------------------------
    def selected_key(self):
        """The selected node's key, or None."""
        return self._selected

    def select_node(self, key):
        """Select a node (expanding its layer when collapsed) and scroll to it."""
        if key not in self.items and key in self.full.by_key:
            group = self._visible(key)
            if group in self.collapsed:
                self.expand(group)
        if self._selected in self.items and forward_key(self._selected) == key:
            key = self._selected  # its gradient node is the one selected
        item = self.items.get(self._visible(key) or key)
        if item is None:
            raise KeyError(f"GraphView: no node {key!r} in the current graph")
        if not item.isSelected():
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
        self.fitted = False
        anchor = self.transformationAnchor()
        self.setTransformationAnchor(QGraphicsView.AnchorViewCenter)
        self.scale(factor, factor)
        self.setTransformationAnchor(anchor)
        focus = self.items.get(self.current) or self.items.get(self._selected)
        if focus is not None:
            self.centerOn(focus)

    def fit(self):
        """Zoom to show the whole graph; it stays fitted as the view is resized until the
        user zooms."""
        self.fitted = True
        self.fitInView(self.scene().sceneRect(), Qt.KeepAspectRatio)
        if self.transform().m11() < READABLE_FIT:  # too big to read whole: its top, readable
            self.resetTransform()
            self.scale(READABLE_FIT, READABLE_FIT)
            rect = self.scene().sceneRect()
            top = min(self.items.values(), key=lambda item: item.sceneBoundingRect().top(),
                      default=None)
            x = top.sceneBoundingRect().center().x() if top is not None else rect.center().x()
            self.centerOn(x, rect.top() + self.viewport().height() / READABLE_FIT / 2)

    def _selection_changed(self):
        chosen = [i for i in self.scene().selectedItems() if isinstance(i, NodeItem)]
        if chosen and chosen[0].key != self._selected:
            self._selected = chosen[0].key
            self.node_selected.emit(forward_key(self._selected))

    def resizeEvent(self, event):
        super().resizeEvent(event)
        if self.fitted and self.items:
            self.fit()

    def wheelEvent(self, event):
        self.fitted = False
        factor = 1.2 ** (event.angleDelta().y() / 120)
        self.scale(factor, factor)

    def keyPressEvent(self, event):
        if event.key() == Qt.Key_F9 and self._selected in self.items:
            item = self.items[self._selected]
            if item.node.kind == "group":
                self.toggle_breakpoint(item.key, "layer")
            else:
                self.toggle_breakpoint(forward_key(item.key), "node")
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
                    (f"Add condition on layer '{item.scope}'...",
                     lambda: self.condition_requested.emit(item.scope)),
                    (f"Collapse layer '{item.scope}'", lambda: self.collapse(item.scope))]
        if not isinstance(item, NodeItem):
            return [("Fit to view", self.fit)]
        node = item.node
        if node.kind == "grad":
            return [(f"Show the gradient of {forward_key(node.key)}",
                     lambda: self.node_selected.emit(forward_key(node.key)))]
        if node.kind == "group":
            return [(f"Toggle breakpoint on layer '{node.scope}'",
                     lambda: self.toggle_breakpoint(node.scope, "layer")),
                    (f"Add condition on layer '{node.scope}'...",
                     lambda: self.condition_requested.emit(node.scope)),
                    (f"Expand layer '{node.scope}'", lambda: self.expand(node.scope))]
        actions = [(f"Toggle breakpoint on {node.key}",
                    lambda: self.toggle_breakpoint(node.key, "node")),
                   (f"Add condition on {node.key}...",
                    lambda: self.condition_requested.emit(node.key))]
        if node.scope:
            actions += [(f"Toggle breakpoint on layer '{node.scope}'",
                         lambda: self.toggle_breakpoint(node.scope, "layer")),
                        (f"Collapse layer '{node.scope}'", lambda: self.collapse(node.scope))]
        return actions

    # ---- export -----------------------------------------------------------------------------
    def export_png(self, path, max_side=8000):
        """Write the whole graph as a PNG picture at `path`."""
        export_png(self.scene(), list(self.items.values()), path, max_side)

    def export_svg(self, path):
        """Write the whole graph as an SVG drawing at `path`."""
        export_svg(self.scene(), list(self.items.values()), path)
