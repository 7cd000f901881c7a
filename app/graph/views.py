"""Other views of a GraphModel: the recurrent cells rolled up, and the backward graph.

`rolled(model)`: in each scope whose ops repeat (a recurrent layer run one time step at a
time), one node per op of the cell stands for all its time steps (`steps`), as TorchLens
rolls a recurrent graph; edges from one step to the next become edges inside the cell (drawn
back up: the recurrence); `aliases` maps every step's key to its cell node.

`backward_model(model)`: the gradient nodes the engine records, as PyTorch's grad_fn graph
(and torchviz) shows them: one "<Op>Backward0" node per op that requires grad, one
"AccumulateGrad" per parameter, and edges in the direction gradients flow (from an op's
backward to the backward of each input's producer). Keys are GRAD_PREFIX + the forward key.
"""
from app.graph.layout import SLOT, layout_graph
from app.graph.model import GraphModel, ModelNode

GRAD_PREFIX = "grad:"
MIN_STEPS = 2


def forward_key(key):
    """The forward node (or parameter) a backward node's key stands for; else `key`."""
    return key[len(GRAD_PREFIX):] if key.startswith(GRAD_PREFIX) else key


def _cell(ops):
    """(start, period, steps) of the longest run of a repeated op sequence in `ops` (the
    shortest period among equally long runs), or None. A run of k positions where
    ops[i] == ops[i + period] is a sequence of k + period periodic ops."""
    best, n = None, len(ops)
    for period in range(2, n // MIN_STEPS + 1):
        run = 0
        for i in range(n - period):
            if ops[i] != ops[i + period]:
                run = 0
                continue
            run += 1
            steps = (run + period) // period
            if steps >= MIN_STEPS and (best is None or steps * period > best[1] * best[2]):
                best = (i - run + 1, period, steps)
    return best


def rolled(model):
    """`model` with each scope's repeated op sequence rolled into one cell (see above)."""
    by_scope = {}
    for n in model.nodes:
        if n.kind == "op":
            by_scope.setdefault(n.scope, []).append(n)
    aliases, steps = {}, {}
    for nodes in by_scope.values():
        found = _cell([n.op for n in nodes])
        if found is None:
            continue
        start, period, count = found
        for t in range(count):
            for j in range(period):
                node = nodes[start + t * period + j]
                aliases[node.key] = nodes[start + j].key
        for j in range(period):
            steps[nodes[start + j].key] = count
    if not aliases:
        return model
    kept = [n if n.key not in steps else _with_steps(n, steps[n.key])
            for n in model.nodes if aliases.get(n.key, n.key) == n.key]
    edges, seen = [], set()
    for a, b in model.edges:
        e = (aliases.get(a, a), aliases.get(b, b))
        if e[0] != e[1] and e not in seen:
            seen.add(e)
            edges.append(e)
    return GraphModel(kept, edges, {k: v for k, v in aliases.items() if k != v})


def _with_steps(node, count):
    return ModelNode(node.key, node.op, node.scope, node.shape, node.kind, node.dtype,
                     node.requires_grad, node.size, node.status, node.fused_from, count)


def has_gradient(node):
    """Whether backward computes a gradient for this node of a (possibly collapsed) model."""
    return node.kind in ("param", "group") or (node.kind == "op" and node.requires_grad)


def backward_model(model):
    """The backward (grad_fn) graph of a forward GraphModel (see the module docstring)."""
    grads = {n.key: n for n in model.nodes if has_gradient(n) and "vanished" not in n.status}
    nodes = []
    for n in reversed(model.nodes):
        if n.key in grads:
            op = "AccumulateGrad" if n.kind == "param" else (
                f"{n.scope} backward" if n.kind == "group" else
                n.op.replace("_", " ").title().replace(" ", "") + "Backward0")
            nodes.append(ModelNode(GRAD_PREFIX + n.key, op, "", n.shape, "grad", n.dtype, True,
                                   n.size, frozenset(), (), n.steps))
    edges = [(GRAD_PREFIX + b, GRAD_PREFIX + a) for a, b in model.edges
             if a in grads and b in grads]
    return GraphModel(nodes, edges)


def arranged(full, collapsed=(), roll=False, backward=False, previous=None):
    """(forward model shown, backward model or None, Layout of both): recurrent cells
    rolled when `roll`, the `collapsed` scopes as one node each, and, with `backward`, each
    gradient node to the right of the forward graph at its forward node's height, so that the
    gradient flows back up beside the values it differentiates."""
    shown = (rolled(full) if roll else full).collapsed(collapsed)
    lay = layout_graph(shown, previous=previous)
    if not backward:
        return shown, None, lay
    grads = backward_model(shown)
    left, _, right, _ = lay.bounds()
    shift = right - left + SLOT
    for node in grads.nodes:
        x, y = lay.positions[forward_key(node.key)]
        lay.positions[node.key] = (x + shift, y)
        lay.layers[node.key] = lay.layers[forward_key(node.key)]
    return shown, grads, lay
