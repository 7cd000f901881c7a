"""Node keys and graph descriptions: a forward that repeats the previous one reuses its
GraphNodes, and any change gives exactly the nodes a fresh description would."""
import numpy as np
import pytest

import engine as sg
from app.debugging.node_keys import NodeKeys


class Describer(sg.Observer):
    def __init__(self, keys):
        self.keys, self.nodes = keys, []

    def on_forward(self, node):
        out = node.output
        self.nodes.append(self.keys.describe(node, out.array.shape, out.array.dtype,
                                             out.requires_grad))


@pytest.fixture
def params():
    sg.manual_seed(0)
    w = sg.randn(3, 3, requires_grad=True)
    b = sg.randn(3, requires_grad=True)
    return w, b, {id(w): "fc.weight", id(b): "fc.bias"}


def describe(forward, x, names, previous=()):
    recorder = Describer(NodeKeys(names, (x,), {}, previous))
    with sg.observe(recorder):
        with sg.scope("fc"):
            forward(x)
    return tuple(recorder.nodes)


def variants(w, b):
    """Forwards that differ from `base` in one way each (same length where possible)."""
    def base(x):
        h = (x @ w + b).tanh()
        return (h * h).sum()

    def rewired(x):  # same ops, shapes and scope: only an edge differs
        h = (x @ w + b).tanh()
        return (h * x).sum()

    def inserted(x):  # one more op in the middle: later counts shift
        h = (x @ w + b).tanh().tanh()
        return (h * h).sum()

    def swapped(x):  # another op at the same position
        h = (x @ w + b).sigmoid()
        return (h * h).sum()

    def shorter(x):
        return (x @ w + b).tanh()

    return base, [rewired, inserted, swapped, shorter]


def test_a_repeated_forward_reuses_every_node(params):
    w, b, names = params
    base, _ = variants(w, b)
    x = sg.randn(2, 3)
    first = describe(base, x, names)
    again = describe(base, sg.randn(2, 3), names, previous=first)
    assert again == first and all(n is m for n, m in zip(again, first))
    assert [n.key for n in first] == ["fc/matmul#0", "fc/add#0", "fc/tanh#0", "fc/mul#0",
                                      "fc/sum#0"]
    assert first[0].inputs == ("input", "fc.weight")


@pytest.mark.parametrize("which", range(4))
def test_a_changed_forward_is_described_as_if_fresh(params, which):
    w, b, names = params
    base, changed = variants(w, b)
    x = sg.randn(2, 3)
    previous = describe(base, x, names)
    fresh = describe(changed[which], x, names)
    assert describe(changed[which], x, names, previous=previous) == fresh
    assert fresh != previous[:len(fresh)] or len(fresh) < len(previous)


def test_a_new_batch_size_or_dtype_gives_new_nodes(params):
    w, b, names = params
    base, _ = variants(w, b)
    previous = describe(base, sg.randn(2, 3), names)
    wider = describe(base, sg.randn(5, 3), names, previous=previous)
    assert [n.key for n in wider] == [n.key for n in previous]
    assert wider[0].shape == (5, 3) and wider[0] is not previous[0]
    grown = describe(base, sg.tensor(np.ones((2, 3))), names, previous=previous)  # float64
    assert grown[0].dtype == np.float64 and grown[0] is not previous[0]


def test_a_creator_not_seen_in_forward_is_keyed_where_a_fresh_pass_would(params):
    w, b, names = params
    outside = sg.randn(2, 3, requires_grad=True) * 2.0  # made before the recorder attached

    def forward(x):
        return (x @ w + outside).tanh()

    x = sg.randn(2, 3)
    previous = describe(forward, x, names)
    fresh = describe(forward, x, names)
    assert describe(forward, x, names, previous=previous) == fresh
    assert fresh[1].inputs == ("fc/matmul#0", "/mul#0")
