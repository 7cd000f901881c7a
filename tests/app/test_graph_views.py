"""Rolled recurrent cells, the backward (grad_fn) graph and their arrangement (headless)."""
import numpy as np

from app.debugging.node_keys import GraphNode
from app.graph.layout import SLOT, layout_graph
from app.graph.model import build_graph_model
from app.graph.views import GRAD_PREFIX, arranged, backward_model, forward_key, rolled

from .test_graph_layout import linear_relu_chain


def recurrent(steps=5):
    """An RNN-like layer: per step x[:, t] -> matmul (with the state) -> tanh, then a head."""
    nodes, state = [], "const"
    for t in range(steps):
        nodes += [GraphNode(f"0/getitem#{t}", "getitem", "0", ("input",), (4, 3), "f", False),
                  GraphNode(f"0/matmul#{t}", "matmul", "0", (f"0/getitem#{t}", "0.w"),
                            (4, 3), "f", True),
                  GraphNode(f"0/add#{t}", "add", "0", (f"0/matmul#{t}", state), (4, 3), "f",
                            True),
                  GraphNode(f"0/tanh#{t}", "tanh", "0", (f"0/add#{t}",), (4, 3), "f", True)]
        state = f"0/tanh#{t}"
    nodes += [GraphNode("1/linear#0", "linear", "1", (state, "1.weight"), (4, 2), "f", True),
              GraphNode("loss/cross_entropy#0", "cross_entropy", "loss",
                        ("1/linear#0", "target"), (), "f", True)]
    return nodes


def test_a_recurrent_layer_rolls_into_one_node_per_op_of_its_cell():
    model = build_graph_model(recurrent(5))
    cell = rolled(model)
    ops = {n.key: n for n in cell.nodes if n.kind == "op"}
    assert set(ops) == {"0/getitem#0", "0/matmul#0", "0/add#0", "0/tanh#0", "1/linear#0",
                        "loss/cross_entropy#0"}
    assert ops["0/tanh#0"].steps == 5 and ops["0/tanh#0"].label == "tanh#0 \u00d75"
    assert ops["1/linear#0"].steps == 1
    assert cell.aliases["0/tanh#3"] == "0/tanh#0" and "1/linear#0" not in cell.aliases
    assert ("0/tanh#0", "0/add#0") in cell.edges  # the recurrence: state into the next step
    assert ("0/tanh#0", "1/linear#0") in cell.edges
    assert rolled(build_graph_model(linear_relu_chain(3))).nodes == \
        build_graph_model(linear_relu_chain(3)).nodes  # nothing repeats in an MLP


def test_the_backward_graph_mirrors_the_ops_that_need_a_gradient():
    model = build_graph_model(linear_relu_chain(2) + [
        GraphNode("loss/mean#0", "mean", "loss", ("1/relu#0",), (), "f", True)])
    grads = backward_model(model)
    names = {forward_key(n.key): n.op for n in grads.nodes}
    assert names["loss/mean#0"] == "MeanBackward0" and names["0.weight"] == "AccumulateGrad"
    assert "input" not in names  # the batch needs no gradient
    assert grads.nodes[0].key == GRAD_PREFIX + "loss/mean#0"  # backward starts at the loss
    assert (GRAD_PREFIX + "1/relu#0", GRAD_PREFIX + "1/add#0") in grads.edges
    assert (GRAD_PREFIX + "0/matmul#0", GRAD_PREFIX + "0.weight") in grads.edges
    assert len(grads.edges) == sum(1 for a, b in model.edges if a != "input")


def test_arranged_puts_each_gradient_node_right_of_the_forward_graph_at_its_height():
    model = build_graph_model(recurrent(3))
    shown, grads, lay = arranged(model, roll=True, backward=True)
    right = max(lay.positions[n.key][0] for n in shown.nodes)
    for node in grads.nodes:
        x, y = lay.positions[node.key]
        assert x > right and y == lay.positions[forward_key(node.key)][1]


def test_a_changed_graph_keeps_old_places_without_overlapping_boxes():
    first = build_graph_model(linear_relu_chain(3))
    lay = layout_graph(first)
    changed = linear_relu_chain(3)
    changed = [n for n in changed if n.key != "1/add#0"]  # 1/relu#0 moves up a row
    changed = [n._replace(inputs=("1/matmul#0",)) if n.key == "1/relu#0" else n for n in changed]
    second = layout_graph(build_graph_model(changed), previous=lay.positions)
    rows = {}
    for key, (x, y) in second.positions.items():
        rows.setdefault(y, []).append(x)
    for xs in rows.values():
        xs = np.sort(xs)
        assert (np.diff(xs) >= SLOT - 1e-9).all()


def test_ops_computed_from_leaves_only_sit_just_above_their_first_consumer():
    model = build_graph_model(recurrent(6))
    lay = layout_graph(model)
    for t in range(6):  # x[:, t] beside step t, not all in the top row
        assert lay.layers[f"0/getitem#{t}"] == lay.layers[f"0/matmul#{t}"] - 1
