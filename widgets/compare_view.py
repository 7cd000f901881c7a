"""The dynamic-vs-static compare view: the graph as written and as compiled side by side
(fused nodes marked), the passes (nodes before -> after, time), the live figures (time per
iteration of both modes and their ratio, compile time, peak memory of intermediates before
-> after planning), what each mode lets the user inspect, and "Add to fetch list" for the
selected compiled node with what the recompile cost.

It only shows what it is given (setters) and sends intents (signals): `refresh_requested`,
`timing_toggled(bool)`, `fetch_requested(key)`. `show_timings`, the
setter a controller calls from its timer, touches only labels whose text changed. Graphs
are fitted to their width (never below a readable scale) whenever their view's width changes.
The two graphs side by side move together, as Model Explorer's panes do: selecting a node
selects it in the other graph too, and zooming or scrolling one zooms or scrolls the other.
"Graphs only" gives them the whole tab (the figures and tables fold away), in place.
"""
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QGridLayout, QGroupBox,
                               QHBoxLayout, QHeaderView, QLabel, QLayout, QListWidget,
                               QPushButton, QSplitter, QStackedWidget, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from .graph_view import GraphView

PASS_COLUMNS = ("pass", "nodes before → after", "ms")
READABLE_SCALE = 1.0  # node labels at their design size (8 pt); they vanish below 0.35
LARGEST_SCALE = 1.4
DETAILS_MIN_HEIGHT = 56  # px: the tab bar and a row of the passes table


def format_seconds(seconds):
    if seconds is None:
        return "…"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def format_bytes(n):
    if n < 1024:
        return f"{n} B"
    if n < 1024 ** 2:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 1024 ** 2:.2f} MiB"


class CompareView(QWidget):
    refresh_requested = Signal()
    timing_toggled = Signal(bool)
    fetch_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.fetchable = set()
        self.fetched = set()
        self.refresh_button = QPushButton("Compare")
        self.refresh_button.setToolTip("Compile the current project and measure both modes "
                                       "on copies of the model (your run is not touched)")
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.timing_button = QPushButton("Measuring")
        self.timing_button.setCheckable(True)
        self.timing_button.setEnabled(False)
        self.timing_button.toggled.connect(self._timing_toggled)
        self.timing_button.setToolTip("Measure the time per iteration of both modes, "
                                      "continuously, on copies of the model")
        self.graphs_button = QPushButton("Graphs only")
        self.graphs_button.setCheckable(True)
        self.graphs_button.setToolTip("Give the two graphs the whole tab (fold the figures "
                                      "and the tables away); press again to bring them back")
        self.graphs_button.toggled.connect(self.set_graphs_only)
        self.message = QLabel("Press Compare to compile the project and time both modes.")
        self.message.setWordWrap(True)
        self.time_label = _figure("time / iteration")
        self.compile_label = _figure("compile time")
        self.memory_label = _figure("peak memory of intermediates")

        self.written = []  # (title, GraphNodes) pairs, one GraphView each
        self.written_choice = QComboBox()
        self.written_choice.setToolTip("Which graph as written to show: the static graph "
                                       "before the passes, or the dynamic graph of one step")
        self.written_stack = QStackedWidget()
        self.written_choice.currentIndexChanged.connect(self._show_written)
        self.written_box = _boxed("As written", self.written_choice, self.written_stack)
        self.compiled_view = GraphView()
        self._watch(self.compiled_view)
        self.compiled_view.node_selected.connect(self._compiled_selected)
        self.fetch_label = QLabel("Select a node of the compiled graph to see whether static "
                                  "mode keeps its value.")
        self.fetch_label.setWordWrap(True)
        self.fetch_button = QPushButton("Add to fetch list")
        self.fetch_button.setToolTip("Recompile so that static mode keeps the selected node's "
                                     "value (and see what that costs)")
        self.fetch_button.setEnabled(False)
        self.fetch_button.clicked.connect(self._fetch_clicked)
        self.cost_label = QLabel("")
        self.cost_label.setWordWrap(True)
        self.cost_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        fetch_row = QHBoxLayout()
        fetch_row.addWidget(self.fetch_label, 1)
        fetch_row.addWidget(self.fetch_button)
        self.compiled_box = _boxed("Compiled", self.compiled_view, fetch_row, self.cost_label)
        graphs = QSplitter(Qt.Horizontal)
        graphs.addWidget(self.written_box)
        graphs.addWidget(self.compiled_box)
        graphs.setSizes([500, 500])

        self.passes_table = QTableWidget(0, len(PASS_COLUMNS))
        self.passes_table.setHorizontalHeaderLabels(PASS_COLUMNS)
        self.passes_table.verticalHeader().setVisible(False)
        self.passes_table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        header_view = self.passes_table.horizontalHeader()
        header_view.setSectionResizeMode(QHeaderView.ResizeToContents)
        header_view.setSectionResizeMode(0, QHeaderView.Stretch)
        self.dynamic_list = QListWidget()
        self.static_list = QListWidget()
        self.dynamic_box = _boxed("Dynamic", self.dynamic_list)
        self.static_box = _boxed("Static", self.static_list)
        inspectable = QSplitter(Qt.Horizontal)
        inspectable.addWidget(self.dynamic_box)
        inspectable.addWidget(self.static_box)
        self.details = QTabWidget()
        self.details.setDocumentMode(True)
        self.details.addTab(self.passes_table, "Passes")
        self.details.addTab(inspectable, "What can be inspected")
        self.details.setMinimumHeight(DETAILS_MIN_HEIGHT)  # its tables scroll below that

        header = QHBoxLayout()
        header.addWidget(self.refresh_button)
        header.addWidget(self.timing_button)
        header.addWidget(self.message, 1)
        header.addWidget(self.graphs_button)
        self.figures = QWidget()
        figures = QGridLayout(self.figures)
        figures.setContentsMargins(0, 0, 0, 0)
        for column, label in enumerate((self.time_label, self.compile_label,
                                        self.memory_label)):  # one row: room for the graphs
            figures.addWidget(label, 0, column)
        figures.setColumnStretch(2, 1)
        body = QSplitter(Qt.Vertical)
        body.addWidget(graphs)
        body.addWidget(self.details)
        body.setCollapsible(0, False)  # the tables fold away on a short screen, not the graphs
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 1)
        body.setSizes([600, 170])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(header)
        layout.addWidget(self.figures)
        layout.addWidget(body, 1)

    @property
    def written_view(self):
        """The GraphView of the graph as written that is shown now."""
        return self.written_stack.currentWidget()

    # ---- setters ------------------------------------------------------------------------------
    def show_message(self, text):
        _set_text(self.message, text)

    def show_graphs(self, written, compiled, compiled_caption):
        """`written`: (choice, caption, GraphNodes) triples, the ways to see the graph as
        written (the combo above the left view picks one; the caption titles it);
        `compiled`: the compiled graph's GraphNodes (the graph view marks fused nodes)."""
        self.written = list(written)
        self.written_choice.blockSignals(True)
        self.written_choice.clear()
        while self.written_stack.count():
            old = self.written_stack.widget(0)
            self.written_stack.removeWidget(old)
            old.deleteLater()
        for choice, _, nodes in self.written:
            self.written_choice.addItem(choice)
            graph = GraphView()
            self._watch(graph)
            graph.node_selected.connect(lambda key, g=graph: self._select_in(self.compiled_view,
                                                                              key))
            graph.set_graph(nodes)
            self.written_stack.addWidget(graph)
        self.written_choice.setCurrentIndex(0)
        self.written_choice.blockSignals(False)
        self._show_written(0)
        self.show_compiled(compiled, compiled_caption)

    def show_compiled(self, compiled, caption, fit=True):
        self.compiled_view.set_graph(compiled)
        if fit:
            fit_width(self.compiled_view)
        self.compiled_box.setTitle(f"Compiled: {caption}")

    def _show_written(self, index):
        if not 0 <= index < len(self.written):
            return
        _, caption, _ = self.written[index]
        self.written_stack.setCurrentIndex(index)
        fit_width(self.written_view)
        self.written_box.setTitle(f"As written: {caption}")

    def show_passes(self, passes):
        """Rows of (name, nodes_before, nodes_after, seconds) (e.g. PassRecords)."""
        rows = [(p.name, f"{p.nodes_before} → {p.nodes_after}", f"{p.seconds * 1e3:.2f}")
                for p in passes]
        table = self.passes_table
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                table.setItem(r, c, item)

    def show_compile(self, compile_seconds, peak_before, peak_after):
        _set_text(self.compile_label, _figure_text("compile time",
                                                   format_seconds(compile_seconds)))
        change = peak_after / peak_before - 1.0 if peak_before else 0.0
        _set_text(self.memory_label, _figure_text(
            "peak memory of intermediates",
            f"{format_bytes(peak_before)} → {format_bytes(peak_after)} "
            f"({abs(change):.0%} {'less' if change <= 0 else 'more'})"))

    def show_timings(self, dynamic_seconds, static_seconds, dynamic_steps=0, static_steps=0):
        value = f"dynamic {format_seconds(dynamic_seconds)} · static {format_seconds(static_seconds)}"
        if dynamic_seconds and static_seconds:
            ratio = dynamic_seconds / static_seconds
            value += (f" ({ratio:.1f}× faster)" if ratio >= 1 else
                      f" ({1 / ratio:.1f}× slower)")
        _set_text(self.time_label, _figure_text("time / iteration", value))
        self.time_label.setToolTip(f"best of the recent bursts of each mode (as benchmarks "
                                   f"time); {dynamic_steps} dynamic and {static_steps} static "
                                   "steps so far")

    def show_inspectable(self, dynamic, static):
        """(key, what can be seen) pairs for each mode; `what` shows as the tooltip."""
        for box, widget, rows, mode in ((self.dynamic_box, self.dynamic_list, dynamic, "dynamic"),
                                        (self.static_box, self.static_list, static, "static")):
            widget.clear()
            for key, what in rows:
                widget.addItem(key)
                widget.item(widget.count() - 1).setToolTip(f"{key}: {what}")
            box.setTitle(f"Inspectable, {mode}: {len(rows)}")

    def set_fetchable(self, fetchable, fetched):
        self.fetchable, self.fetched = set(fetchable), set(fetched)
        self._compiled_selected(self.compiled_view.selected_key())

    def set_timing_running(self, running, enabled=True):
        self.timing_button.blockSignals(True)
        self.timing_button.setChecked(running)
        self.timing_button.setText("Measuring" if running else "Measure")
        self.timing_button.setEnabled(enabled)
        self.timing_button.blockSignals(False)

    def show_fetch_cost(self, cost):
        self.cost_label.setText(
            f"Fetching {cost.key}: recompiled in {format_seconds(cost.recompile_seconds)}; "
            f"peak memory {format_bytes(cost.peak_bytes_before)} → "
            f"{format_bytes(cost.peak_bytes_after)}; static step "
            f"{format_seconds(cost.static_seconds_before)} → "
            f"{format_seconds(cost.static_seconds_after)}.")

    def set_graphs_only(self, on):
        """Fold the figures and the tables away (True) so that the graphs fill the tab."""
        if self.graphs_button.isChecked() != on:
            self.graphs_button.setChecked(on)
        self.figures.setVisible(not on)
        self.details.setVisible(not on)

    # ---- the two graphs move together ---------------------------------------------------------
    def _watch(self, view):
        """Fit `view` on resize; follow its zoom (wheel) and scrolling in the other graph."""
        view.installEventFilter(self)
        view.viewport().installEventFilter(self)
        view.verticalScrollBar().valueChanged.connect(lambda _=0, v=view: self._sync_scroll(v))
        view.horizontalScrollBar().valueChanged.connect(lambda _=0, v=view: self._sync_scroll(v))

    def _other(self, view):
        return self.compiled_view if view is not self.compiled_view else self.written_view

    def _sync_zoom(self, view):
        other = self._other(view)
        if other is not None and other.transform() != view.transform():
            other.setTransform(view.transform())
            self._sync_scroll(view)

    def _sync_scroll(self, view):
        """Scroll the other graph to the same place, as a fraction of its range."""
        other = self._other(view)
        if other is None or view is not self.compiled_view and view is not self.written_view:
            return
        for mine, theirs in ((view.verticalScrollBar(), other.verticalScrollBar()),
                             (view.horizontalScrollBar(), other.horizontalScrollBar())):
            span = mine.maximum() - mine.minimum()
            fraction = (mine.value() - mine.minimum()) / span if span else 0.0
            target = theirs.minimum() + round(fraction * (theirs.maximum() - theirs.minimum()))
            if theirs.value() != target:
                theirs.blockSignals(True)
                theirs.setValue(target)
                theirs.blockSignals(False)

    def _select_in(self, view, key):
        """Select `key` in `view` too when that graph has it."""
        if view is not None and key and view.selected_key() != key and key in view.full.by_key:
            view.select_node(key)

    def eventFilter(self, watched, event):
        if (event.type() == QEvent.Resize and isinstance(watched, GraphView) and
                event.size().width() != event.oldSize().width()):
            fit_width(watched)  # not when only the height changed: the user's zoom stays
        elif event.type() == QEvent.Wheel and isinstance(watched.parent(), GraphView):
            view = watched.parent()
            QTimer.singleShot(0, lambda: self._sync_zoom(view))  # after the view zoomed
        return False

    # ---- intents --------------------------------------------------------------------------------
    def _compiled_selected(self, key):
        self._select_in(self.written_view, key)
        if not key:
            self.fetch_button.setEnabled(False)
            return
        if key in self.fetched:
            text, ok = f"{key} is fetched: its value is visible each step.", False
        elif key in self.fetchable:
            text, ok = f"{key} is not fetched: static mode keeps no value of it.", True
        else:
            text, ok = f"{key} cannot be fetched (a parameter, input or update).", False
        self.fetch_label.setText(text)
        self.fetch_button.setEnabled(ok)

    def _fetch_clicked(self):
        key = self.compiled_view.selected_key()
        if key:
            self.fetch_button.setEnabled(False)
            self.cost_label.setText(f"Adding {key} to the fetch list: recompiling…")
            self.fetch_requested.emit(key)

    def _timing_toggled(self, on):
        self.timing_button.setText("Measuring" if on else "Measure")
        self.timing_toggled.emit(on)


def fit_width(view, largest=LARGEST_SCALE, smallest=READABLE_SCALE):
    """Scale `view` so that its graph's width fills the view (between `smallest` and
    `largest`), showing the top (and, when the graph is wider than the view, the chain that
    starts at its topmost node, the input): a training step's graph is tall, and scrolling
    down it reads best."""
    rect = view.scene().sceneRect()
    if rect.isEmpty():
        return
    scale = max(smallest, min(largest, (view.viewport().width() - 8) / rect.width()))
    view.fitted = False  # this view keeps the width fitted (on resize: eventFilter)
    view.resetTransform()
    view.scale(scale, scale)
    half_width = view.viewport().width() / scale / 2
    x = rect.center().x()
    if rect.width() > 2 * half_width and view.items:  # on the chain from the input down
        top = min(view.items.values(), key=lambda item: item.sceneBoundingRect().top())
        x = min(max(top.sceneBoundingRect().center().x(), rect.left() + half_width),
                rect.right() - half_width)
    view.centerOn(x, rect.top() + view.viewport().height() / scale / 2)


def _figure(title):
    label = QLabel(_figure_text(title, "…"))
    label.setTextFormat(Qt.RichText)
    label.setWordWrap(True)
    label.setStyleSheet("QLabel { padding: 4px; }")
    return label


def _figure_text(title, value):
    return f"{title}<br><b>{value}</b>"


def _set_text(label, text):
    if label.text() != text:
        label.setText(text)


def _boxed(title, *parts):
    """A group box holding widgets and layouts, top to bottom; views take the spare room."""
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(4, 4, 4, 4)
    for part in parts:
        if isinstance(part, QLayout):
            layout.addLayout(part)
        else:
            layout.addWidget(part, 0 if isinstance(part, (QLabel, QComboBox)) else 1)
    return box
