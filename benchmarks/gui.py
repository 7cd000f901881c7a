"""GUI timings (offscreen): graph layout, scene build, first paint, and step refresh.

    python3 benchmarks/gui.py [--grandalf-large] [--screenshots DIR]

Graphs: MLP-like chains with parameter leaves and LSTM-like unrolled cells (gate fan-out
and fan-in, weights shared by every step). The layout is compared with grandalf's Sugiyama
layout when grandalf is importable (pure Python; on 2,000 nodes only with --grandalf-large,
it takes tens of seconds). Graphviz `dot` is a system package, not installable with pip, so
it is not measured here. Readability: edge crossings and total edge length (in node slots).
The refresh time runs a real debugger on an MLP: from a stopped step to the graph view and
the inspector redrawn.
"""
import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import engine as sg  # noqa: E402
from app.debugging.debugger import Debugger  # noqa: E402
from app.debugging.interface import TrainingRun  # noqa: E402
from app.debugging.node_keys import GraphNode  # noqa: E402
from app.graph.layout import SLOT, edge_crossings, layout_graph  # noqa: E402
from app.graph.model import build_graph_model  # noqa: E402
from engine import nn, optim  # noqa: E402
from widgets.graph_view import GraphView  # noqa: E402
from widgets.tensor_inspector import TensorInspector  # noqa: E402


def mlp_like(n_nodes):
    """linear (weight, bias) + relu per layer until about n_nodes nodes with leaves."""
    nodes, prev, i = [], "input", 0
    while len(nodes) * 2 < n_nodes:
        s = str(i)
        nodes += [GraphNode(f"{s}/linear#0", "linear", s, (prev, f"{s}.weight", f"{s}.bias"),
                            (32, 64), np.float32, True),
                  GraphNode(f"{s}/relu#0", "relu", s, (f"{s}/linear#0",), (32, 64), np.float32,
                            True)]
        prev, i = f"{s}/relu#0", i + 1
    return nodes


def lstm_like(n_nodes):
    """An unrolled LSTM cell: gates fan out from one pre-activation and merge into c and h."""
    nodes, h, c, t = [], "input", None, 0
    p = "lstm."
    while len(nodes) < n_nodes:
        k = lambda op, j=0: f"lstm/{op}#{t * 4 + j}"  # noqa: E731
        step = [GraphNode(k("matmul"), "matmul", "lstm", ("input", p + "weight_ih_l0"), (8, 64),
                          "f", True),
                GraphNode(k("matmul", 1), "matmul", "lstm", (h, p + "weight_hh_l0"), (8, 64),
                          "f", True),
                GraphNode(k("add"), "add", "lstm", (k("matmul"), k("matmul", 1)), (8, 64), "f",
                          True),
                GraphNode(k("add", 1), "add", "lstm", (k("add"), p + "bias_ih_l0"), (8, 64), "f",
                          True)]
        for j, op in enumerate(("sigmoid", "sigmoid", "tanh", "sigmoid")):
            step.append(GraphNode(k(op, j), op, "lstm", (k("add", 1),), (8, 16), "f", True))
        fc = (k("sigmoid", 1), c) if c else (k("sigmoid", 1), k("sigmoid", 0))
        step += [GraphNode(k("mul"), "mul", "lstm", fc, (8, 16), "f", True),
                 GraphNode(k("mul", 1), "mul", "lstm", (k("sigmoid", 0), k("tanh", 2)), (8, 16),
                           "f", True),
                 GraphNode(k("add", 2), "add", "lstm", (k("mul"), k("mul", 1)), (8, 16), "f",
                           True),
                 GraphNode(k("tanh", 3), "tanh", "lstm", (k("add", 2),), (8, 16), "f", True),
                 GraphNode(k("mul", 2), "mul", "lstm", (k("sigmoid", 3), k("tanh", 3)), (8, 16),
                           "f", True)]
        nodes += step
        h, c, t = k("mul", 2), k("add", 2), t + 1
    return nodes


def grandalf_layout(model):
    from grandalf.graphs import Edge, Graph, Vertex
    from grandalf.layouts import SugiyamaLayout

    class View:
        w, h, xy = 150.0, 34.0, (0.0, 0.0)

    vertices = {n.key: Vertex(n.key) for n in model.nodes}
    for v in vertices.values():
        v.view = View()
    graph = Graph(list(vertices.values()), [Edge(vertices[a], vertices[b])
                                            for a, b in model.edges])
    for component in graph.C:
        sugiyama = SugiyamaLayout(component)
        sugiyama.init_all()
        sugiyama.draw(3)
    return {k: tuple(v.view.xy) for k, v in vertices.items()}


def edge_length(edges, positions):
    return sum(np.hypot(positions[a][0] - positions[b][0], positions[a][1] - positions[b][1])
               for a, b in edges) / SLOT


def timed(fn, repeat=3):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def layout_rows(graphs, large_grandalf):
    rows = []
    have_grandalf = importlib.util.find_spec("grandalf") is not None
    for name, nodes in graphs:
        model = build_graph_model(nodes)
        seconds, lay = timed(lambda: layout_graph(model))
        rows.append((name, len(model), "own layered", seconds,
                     edge_crossings(model.edges, lay.positions),
                     edge_length(model.edges, lay.positions)))
        if have_grandalf and (len(model) <= 500 or large_grandalf):
            seconds, pos = timed(lambda: grandalf_layout(model), repeat=1)
            rows.append((name, len(model), "grandalf Sugiyama", seconds,
                         edge_crossings(model.edges, pos), edge_length(model.edges, pos)))
    return rows


def draw_rows(app, graphs):
    rows = []
    for name, nodes in graphs:
        view = GraphView()
        view.resize(1000, 800)
        view.show()
        view.COLLAPSE_ABOVE = 10**9  # draw every node: the worst case
        start = time.perf_counter()
        view.set_graph(nodes)
        built = time.perf_counter()
        view.grab()
        app.processEvents()
        painted = time.perf_counter()
        view.collapse_all()
        collapsed = len(view.items)
        rows.append((name, len(view.full), built - start, painted - built, painted - start,
                     collapsed))
        view.deleteLater()
        app.processEvents()
    return rows


class LSTMTagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 8, batch_first=True)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


def real_runs():
    sg.manual_seed(0)
    rng = np.random.default_rng(0)
    mlp = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                        nn.Linear(64, 10))
    cnn = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(16 * 4 * 4, 10))
    lstm = LSTMTagger()
    data = {"MLP 64-128-64-10": (mlp, rng.standard_normal((64, 64)).astype(np.float32), 10),
            "CNN 2 conv + linear": (cnn, rng.standard_normal((16, 1, 16, 16)).astype(np.float32),
                                    10),
            "LSTM 6 steps + linear": (lstm, rng.standard_normal((8, 6, 3)).astype(np.float32),
                                      2)}
    for name, (model, x, classes) in data.items():
        y = rng.integers(0, classes, len(x))
        yield name, TrainingRun(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(),
                                                                          lr=0.01), [(x, y)])


def grad_or_none(debugger, key):
    try:
        return debugger.grad(key)
    except KeyError:  # backward has not reached the node yet
        return None


def show_record(view, record):
    """Show one debugger record in the graph view (what the session and GraphFeed do)."""
    d = record.data
    if record.kind == "graph":
        view.set_graph(d["nodes"], d["new_keys"])
    elif record.kind in ("value", "grad"):
        view.set_stats(record.kind, d["keys"], d["stats"])
        if record.kind == "grad":
            view.set_gradient_reached(d["keys"])
    elif record.kind == "stopped" and d["position"] is not None:
        view.set_current(d["position"].key)


def refresh_rows(app, screenshots):
    rows = []
    for name, run in real_runs():
        debugger = Debugger(run)
        view, inspector = GraphView(), TensorInspector()
        view.resize(1000, 800)
        inspector.resize(700, 700)
        view.show()
        inspector.show()
        debugger.step_iteration()
        debugger.wait(30)
        for record in debugger.drain():
            show_record(view, record)
        view.set_colour_stat("grad_rms")
        app.processEvents()
        times = []
        for _ in range(10):
            debugger.step_op()
            debugger.wait(30)
            start = time.perf_counter()
            for record in debugger.drain():
                show_record(view, record)
            key = debugger.state().key
            inspector.show_node(key, debugger.value(key), grad_or_none(debugger, key), None,
                                debugger.history.stats(key))
            view.viewport().repaint()
            inspector.repaint()
            app.processEvents()
            times.append(time.perf_counter() - start)
        if screenshots:
            Path(screenshots).mkdir(parents=True, exist_ok=True)
            stem = name.split()[0].lower()
            view.fit()
            view.grab().save(str(Path(screenshots) / f"graph_{stem}.png"))
            key = max(debugger.state().graph, key=lambda n: (len(n.shape), n.key)).key
            view.select_node(key)
            inspector.show_node(key, debugger.value(key), grad_or_none(debugger, key), None,
                                debugger.history.stats(key))
            inspector.grab().save(str(Path(screenshots) / f"inspector_{stem}.png"))
        rows.append((name, len(view.full), float(np.median(times)), max(times)))
        debugger.close()
        view.deleteLater()
        inspector.deleteLater()
        app.processEvents()
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grandalf-large", action="store_true",
                        help="also run grandalf on the 2,000-node graphs (slow)")
    parser.add_argument("--screenshots", help="folder for screenshots of real graphs")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    graphs = [("MLP-like", mlp_like(200)), ("LSTM-like", lstm_like(200)),
              ("MLP-like", mlp_like(2000)), ("LSTM-like", lstm_like(2000))]

    print("Layout (best of 3; grandalf once)")
    print(f"{'graph':<10} {'nodes':>6} {'method':<18} {'time s':>8} {'crossings':>10} "
          f"{'edge length':>12}")
    for name, n, method, seconds, crossings, length in layout_rows(graphs, args.grandalf_large):
        print(f"{name:<10} {n:>6} {method:<18} {seconds:>8.4f} {crossings:>10} {length:>12.0f}")

    print("\nOn screen (every node drawn; target 0.5 s at 2,000 nodes)")
    print(f"{'graph':<10} {'nodes':>6} {'layout+scene s':>15} {'first paint s':>14} "
          f"{'total s':>8} {'collapsed items':>16}")
    for name, n, build, paint, total, collapsed in draw_rows(app, graphs):
        print(f"{name:<10} {n:>6} {build:>15.3f} {paint:>14.3f} {total:>8.3f} {collapsed:>16}")

    print("\nStep refresh: drain records, graph view + inspector redrawn (target 50 ms)")
    print(f"{'model':<24} {'nodes':>6} {'median ms':>10} {'max ms':>8}")
    for name, n, median, worst in refresh_rows(app, args.screenshots):
        print(f"{name:<24} {n:>6} {median * 1e3:>10.1f} {worst * 1e3:>8.1f}")


if __name__ == "__main__":
    main()
