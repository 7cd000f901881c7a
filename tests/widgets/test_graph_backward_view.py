"""The graph view's backward graph, rolled recurrent cells, a fresh graph for another
project, and "Add condition..." in the context menu (offscreen)."""
import pytest
from PySide6.QtCore import Qt

from tests.app.test_graph_views import recurrent
from tests.widgets.test_graph_view import chain
from widgets.graph_view import GraphView


@pytest.fixture
def view(qtbot):
    v = GraphView()
    v.resize(700, 500)
    qtbot.addWidget(v)
    return v


def lit_edges(view):
    return view._edge_items[1].path().elementCount()


def test_the_backward_graph_is_drawn_beside_and_lit_as_backward_reaches_it(view, qtbot):
    view.set_graph(chain(2))
    assert not any(k.startswith("grad:") for k in view.items)
    qtbot.mouseClick(view.backward_toggle, Qt.LeftButton)
    assert view.show_backward and view.backward_toggle.isChecked()
    grads = {k: i.node for k, i in view.items.items() if k.startswith("grad:")}
    assert grads["grad:1/relu#0"].op == "ReluBackward0"
    assert grads["grad:0.weight"].op == "AccumulateGrad"
    assert "grad:input" not in grads
    right = max(view.items[k].pos().x() for k in view.items if not k.startswith("grad:"))
    assert all(view.items[k].pos().x() > right for k in grads)
    assert lit_edges(view) == 0  # the forward edges stay unlit with the backward graph shown
    view.set_gradient_reached(["1/relu#0", "1/linear#0"])
    first = lit_edges(view)
    view.set_gradient_reached(["1/relu#0", "1/linear#0", "0/relu#0", "0/linear#0"])
    assert 0 < first < lit_edges(view)
    view.set_current("1/linear#0", "backward")
    assert view.items["grad:1/linear#0"].current and not view.items["1/linear#0"].current


def test_clicking_a_gradient_node_selects_its_forward_node(view, qtbot):
    view.set_graph(chain(2))
    view.set_view_options(backward=True)
    view.show()
    item = view.items["grad:1/linear#0"]
    view.centerOn(item)
    with qtbot.waitSignal(view.node_selected) as signal:
        qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view.mapFromScene(item.scenePos()))
    assert signal.args == ["1/linear#0"]
    view.select_node("1/linear#0")  # the session echoing the selection keeps it there
    assert item.isSelected()


def test_a_recurrent_layer_shows_rolled_and_unrolled(view, qtbot):
    view.set_graph(recurrent(6))
    unrolled = len(view.items)
    qtbot.mouseClick(view.rolled_toggle, Qt.LeftButton)
    assert len(view.items) < unrolled / 2
    assert view.items["0/tanh#0"].node.label == "tanh#0 \u00d76"
    view.set_current("0/tanh#4")
    assert view.items["0/tanh#0"].current
    view.set_view_options(backward=True)
    assert view.items["grad:0/tanh#0"].node.steps == 6
    view.set_view_options(rolled=False, backward=False)
    assert len(view.items) == unrolled


def test_nodes_never_overlap_and_another_project_leaves_no_vanished_nodes(view):
    view.set_graph(chain(3))
    view.set_graph(recurrent(3), fresh=True)
    assert not any("vanished" in i.node.status for i in view.items.values())
    boxes = [i.sceneBoundingRect().adjusted(5, 5, -5, -5) for i in view.items.values()]
    for i, a in enumerate(boxes):
        assert not any(a.intersects(b) for b in boxes[i + 1:])


def test_add_condition_from_the_context_menu(view, qtbot):
    view.set_graph(chain(2))
    actions = dict(view.context_actions(view.items["1/relu#0"]))
    with qtbot.waitSignal(view.condition_requested) as signal:
        actions["Add condition on 1/relu#0..."]()
    assert signal.args == ["1/relu#0"]
    frame = view.frames["1"]
    with qtbot.waitSignal(view.condition_requested) as signal:
        dict(view.context_actions(frame))["Add condition on layer '1'..."]()
    assert signal.args == ["1"]
