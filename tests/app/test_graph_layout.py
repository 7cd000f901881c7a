"""The graph model built from debugger records, and the layered layout (headless)."""
import numpy as np

from app.debugging.node_keys import GraphNode
from app.graph.layout import NODE_WIDTH, ROW, SLOT, edge_crossings, layout_graph
from app.graph.model import build_graph_model


def linear_relu_chain(layers):
    nodes, prev = [], "input"
    for i in range(layers):
        s = str(i)
        nodes += [GraphNode(f"{s}/matmul#0", "matmul", s, (prev, f"{s}.weight"), (4, 3),
                            np.float32, True),
                  GraphNode(f"{s}/add#0", "add", s, (f"{s}/matmul#0", f"{s}.bias", "const"),
                            (4, 3), np.float32, True),
                  GraphNode(f"{s}/relu#0", "relu", s, (f"{s}/add#0",), (4, 3), np.float32, True)]
        prev = f"{s}/relu#0"
    return nodes


def cell_with_fan_in():
    """An LSTM-like step: four gates read the same input and state, then merge."""
    nodes = [GraphNode("cell/matmul#0", "matmul", "cell", ("input", "cell.w"), (2, 8), "f", True)]
    for g in range(4):
        nodes.append(GraphNode(f"cell/sigmoid#{g}", "sigmoid", "cell", ("cell/matmul#0",),
                               (2, 2), "f", True))
    nodes.append(GraphNode("cell/mul#0", "mul", "cell", ("cell/sigmoid#0", "cell/sigmoid#1"),
                           (2, 2), "f", True))
    nodes.append(GraphNode("cell/mul#1", "mul", "cell", ("cell/sigmoid#2", "cell/sigmoid#3"),
                           (2, 2), "f", True))
    nodes.append(GraphNode("cell/add#0", "add", "cell", ("cell/mul#0", "cell/mul#1"), (2, 2),
                           "f", True))
    nodes.append(GraphNode("loss/mean#0", "mean", "loss", ("cell/add#0", "input"), (), "f", True))
    return nodes


def test_model_has_op_nodes_parameter_leaves_edges_and_groups():
    m = build_graph_model(linear_relu_chain(2))
    kinds = {n.key: n.kind for n in m.nodes}
    assert kinds["input"] == "input" and kinds["0.weight"] == "param"
    assert kinds["1/relu#0"] == "op" and "const" not in kinds
    assert ("0/relu#0", "1/matmul#0") in m.edges and ("1.bias", "1/add#0") in m.edges
    assert m.groups()["1"] == ["1.weight", "1/matmul#0", "1.bias", "1/add#0", "1/relu#0"]


def test_collapsed_group_replaces_its_nodes_and_merges_edges():
    m = build_graph_model(linear_relu_chain(3)).collapsed(["1"])
    group = m.by_key["1"]
    assert group.kind == "group" and group.size == 5 and group.shape == (4, 3)
    assert "1/add#0" not in m.by_key
    assert ("0/relu#0", "1") in m.edges and ("1", "2/matmul#0") in m.edges
    assert len(m.edges) == len(set(m.edges))


def test_layout_is_layered_top_down_without_overlaps():
    m = build_graph_model(cell_with_fan_in())
    lay = layout_graph(m)
    for a, b in m.edges:
        same_row = m.by_key[a].kind == "param"
        assert lay.positions[a][1] <= lay.positions[b][1] if same_row else \
            lay.positions[a][1] < lay.positions[b][1], (a, b)
    rows = {}
    for key, (x, y) in lay.positions.items():
        rows.setdefault(y, []).append(x)
    for xs in rows.values():
        xs.sort()
        assert all(b - a >= SLOT - 1e-6 for a, b in zip(xs, xs[1:]))
    assert lay.positions["cell.w"][1] == lay.positions["cell/matmul#0"][1]
    assert lay.positions["input"][1] == lay.positions["cell/matmul#0"][1] - ROW


def test_chain_is_straight_and_parameters_sit_beside_their_op():
    lay = layout_graph(build_graph_model(linear_relu_chain(4)))
    pos = lay.positions
    assert len({pos[f"{i}/{op}#0"][0] for i in range(4) for op in ("matmul", "add", "relu")}) == 1
    for i in range(4):
        assert pos[f"{i}.bias"][0] == pos[f"{i}/add#0"][0] + SLOT
        assert pos[f"{i}.bias"][1] == pos[f"{i}/add#0"][1]
    assert pos["input"] == (pos["0/matmul#0"][0], pos["0/matmul#0"][1] - ROW)
    assert edge_crossings(build_graph_model(linear_relu_chain(4)).edges, pos) == 0


def test_layout_is_deterministic():
    m = build_graph_model(cell_with_fan_in() + linear_relu_chain(3))
    assert layout_graph(m).positions == layout_graph(m).positions


def test_nodes_that_still_exist_keep_their_x_when_the_graph_changes():
    before = build_graph_model(linear_relu_chain(3))
    first = layout_graph(before)
    changed = linear_relu_chain(3)
    changed.insert(3, GraphNode("0/dropout#0", "dropout", "0", ("0/relu#0",), (4, 3), "f", True))
    changed[3 + 1] = changed[4]._replace(inputs=("0/dropout#0", "1.weight"))
    second = layout_graph(build_graph_model(changed), previous=first.positions)
    for key, (x, _) in first.positions.items():
        assert second.positions[key][0] == x, key
    xs = [x for k, (x, y) in second.positions.items()
          if y == second.positions["0/dropout#0"][1] and k != "0/dropout#0"]
    assert all(abs(second.positions["0/dropout#0"][0] - x) >= SLOT - 1e-6 for x in xs)


def test_crossing_count_finds_a_crossing():
    pos = {"a": (0, 0), "b": (NODE_WIDTH, 0), "c": (0, 100), "d": (NODE_WIDTH, 100)}
    assert edge_crossings([("a", "d"), ("b", "c")], pos) == 1
    assert edge_crossings([("a", "c"), ("b", "d")], pos) == 0
