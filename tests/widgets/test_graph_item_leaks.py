"""No Qt item leaks in the graph view when the graph changes at every step (as a model with a
data-dependent loop gives): the scene holds exactly what the current graph needs, and the
items of earlier graphs are deleted (their C++ objects gone, their Python wrappers freed)."""
import gc
import weakref

import numpy as np
import pytest
import shiboken6

from app.debugging.node_keys import GraphNode
from app.graph.model import build_graph_model
from widgets.graph_items import FrameItem, NodeItem
from widgets.graph_view import GraphView

from .window_setup import open_window, wait_idle

STEPS = 60


def looped(repeats, head_scope="head"):
    """The graph of a residual block applied `repeats` times (keys "block/linear#k", ...),
    as the debugger names a data-dependent loop's nodes."""
    nodes = [GraphNode("embed/linear#0", "linear", "embed",
                       ("input", "embed.weight", "embed.bias"), (8, 16), np.float32, True)]
    previous = "embed/linear#0"
    for k in range(repeats):
        nodes += [GraphNode(f"block/linear#{k}", "linear", "block",
                            (previous, "block.weight", "block.bias"), (8, 16), np.float32, True),
                  GraphNode(f"block/tanh#{k}", "tanh", "block", (f"block/linear#{k}",),
                            (8, 16), np.float32, True),
                  GraphNode(f"/add#{k}", "add", "", (previous, f"block/tanh#{k}"), (8, 16),
                            np.float32, True)]
        previous = f"/add#{k}"
    nodes += [GraphNode(f"{head_scope}/linear#0", "linear", head_scope,
                        (previous, f"{head_scope}.weight", f"{head_scope}.bias"), (8, 2),
                        np.float32, True),
              GraphNode("loss/cross_entropy#0", "cross_entropy", "loss",
                        (f"{head_scope}/linear#0", "target"), (), np.float32, True)]
    return nodes


def expected_items(view):
    """What the shown graph needs: a node item per shown node, a frame per layer, and the
    four edge paths (data flow, gradient flow, waiting for backward, far edges)."""
    return len(view.shown.nodes) + len(view.shown.groups()) + 4


@pytest.fixture
def view(qtbot):
    v = GraphView()
    v.resize(500, 400)
    qtbot.addWidget(v)
    v.show()
    return v


def test_changing_graphs_leave_only_the_current_items_in_the_scene(view, qtbot):
    rng = np.random.default_rng(0)
    old_items, old_wrappers = [], []
    sizes = set()
    for step in range(STEPS):
        previous = list(view.scene().items())
        repeats = int(rng.integers(1, 12))
        # a new head scope every few steps: keys never seen before, as a script may give
        view.set_graph(looped(repeats, head_scope=f"head{step // 5}"))
        if step % 3 == 0:
            view.set_gradient_reached([n.key for n in view.full.nodes][::2])  # redraws edges
        qtbot.wait(1)  # let the view paint the new scene
        items = view.scene().items()
        assert len(items) == expected_items(view)
        assert len([i for i in items if isinstance(i, NodeItem)]) == len(view.shown.nodes)
        assert len([i for i in items if isinstance(i, FrameItem)]) == len(view.shown.groups())
        assert set(view.items.values()) <= set(items)
        sizes.add(len(items))
        old_items += previous
        old_wrappers += [weakref.ref(i) for i in previous if isinstance(i, NodeItem)]
    assert len(sizes) > 5  # the graphs really differed
    current = set(view.scene().items())
    gone = [i for i in old_items if i not in current]
    assert gone and not any(shiboken6.isValid(i) for i in gone)
    del old_items, gone, previous, items, current
    gc.collect()
    alive = [r() for r in old_wrappers if r() is not None]
    assert all(i in view.items.values() for i in alive)  # only the current graph's wrappers


def test_vanished_nodes_are_kept_for_one_update_only(view):
    view.set_graph(looped(6))
    view.set_graph(looped(2))
    vanished = [n.key for n in view.full.nodes if "vanished" in n.status]
    assert vanished and all(k in view.items for k in vanished)
    assert len(view.scene().items()) == expected_items(view)
    view.set_graph(looped(2))
    assert not any("vanished" in n.status for n in view.full.nodes)
    assert not any(k in view.items for k in vanished)
    assert len(view.scene().items()) == expected_items(view)


def test_collapsing_and_expanding_many_times_keeps_the_item_count(view):
    view.set_graph(looped(5))
    counts = set()
    for _ in range(20):
        view.collapse_all()
        collapsed = len(view.scene().items())
        assert collapsed == expected_items(view)
        view.expand_all()
        counts.add((collapsed, len(view.scene().items())))
    assert len(counts) == 1


def test_the_window_stepping_a_data_dependent_model_keeps_the_graph_scene_bounded(
        qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data", preset="dynamic_depth")
    try:
        view, sizes = window.graph_view, set()
        for _ in range(24):
            window.session.step("iteration")
            wait_idle(window)  # pumps: the graph feed redraws the view
            shown = {n.key for n in view.full.nodes if "vanished" not in n.status}
            assert shown == set(build_graph_model(window.session.graph).by_key)
            assert len(view.scene().items()) == expected_items(view)
            sizes.add(len(window.session.graph))
        assert len(sizes) > 1  # the depth changed with the batch
    finally:
        window.close()
