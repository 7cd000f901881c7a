"""Node keys that stay the same from one iteration to the next.

Node ids change every iteration (each forward creates new nodes), so the debugger names a
node by where it sits in the forward pass instead:

    <scope>/<op>#<k>

`scope` is the module path that ran the op ("0", "encoder.fc1", "loss"; "" at top level),
`op` the op's short name, and `k` counts the ops of that name within that scope in one
forward, from 0. The first matmul of layer "encoder.fc1" is "encoder.fc1/matmul#0" in every
iteration. Backward events carry the key of their forward node. Edges name their sources:
a node's key, a parameter's name as in named_parameters() ("0.weight"), "input" and
"target" for the batch, "const" for any other leaf.

When the graph changes between iterations (data-dependent control flow), keys that did not
exist appear and vanished ones are reported absent by the debugger; nothing else changes.

Most iterations repeat the previous one's graph. `describe()` recognises a node that sits
where the previous forward had the same op, in the same scope, with the same output shape,
dtype and sources, and returns the previous GraphNode itself (the debugger's cheap path: no
new key, tuple or node, and equal graphs compare by identity). The first node that differs
ends the repetition for the rest of the forward; from there on, keys are assigned as above,
exactly as if no node had repeated.
"""
from typing import Any, NamedTuple


class GraphNode(NamedTuple):
    """One node of a forward graph, as the debugger and the views describe it."""

    key: str
    op: str
    scope: str
    inputs: tuple  # keys of the sources: node keys, parameter names, "input", "target", "const"
    shape: tuple
    dtype: Any
    requires_grad: bool
    fused_from: tuple = ()  # static mode: the ops a fused node of a compiled graph runs


def in_layer(scope, layer):
    """Whether `scope` is `layer` or nested inside it ("" contains every scope)."""
    return not layer or scope == layer or scope.startswith(layer + ".")


class NodeKeys:
    """Assigns keys to the nodes of one forward pass (a new instance for each iteration).
    `names` may be shared between iterations: it caches the key strings themselves."""

    def __init__(self, param_names, batch=(), names=None, previous=()):
        self.param_names = param_names  # id(Parameter) -> name
        self.batch_names = {id(t): name for t, name in zip(batch, ("input", "target"))}
        self.names = {} if names is None else names  # (scope, op, k) -> key
        self._counts = {}
        self._by_id = {}  # node id -> key, for backward events and edges
        self._previous = previous  # the previous forward's nodes (key, op, scope, inputs, ...)
        self._repeated = 0 if previous else None  # nodes that repeated it so far; None: ended

    def describe(self, node, shape, dtype, requires_grad):
        """The GraphNode of a node seen in forward (its output's shape, dtype and
        requires_grad): the previous forward's node at this position when this one repeats
        it (same op, scope, shape, dtype, requires_grad and sources), else a new one."""
        i = self._repeated
        if i is not None:
            previous = self._previous
            if i < len(previous):
                previous = previous[i]
                if previous.op == node.op and previous.scope == node.scope and \
                        previous.shape == shape and previous.dtype == dtype and \
                        previous.requires_grad == requires_grad and \
                        previous.inputs == self._known_sources(node.inputs):
                    self._by_id[node.id] = previous.key
                    self._repeated = i + 1
                    return previous
            self._end_repeat()
        return GraphNode(self.key(node), node.op, node.scope, self.sources(node.inputs), shape,
                         dtype, requires_grad)

    def _end_repeat(self):
        """Count the repeated nodes as `key` would have; later nodes are keyed by `key`."""
        for node in self._previous[:self._repeated or 0]:
            counter = (node.scope, node.op)
            self._counts[counter] = self._counts.get(counter, 0) + 1
        self._repeated = None

    def key(self, node):
        """The key of a node seen in forward (assigned on first sight)."""
        key = self._by_id.get(node.id)
        if key is None:
            if self._repeated is not None:
                self._end_repeat()
            counter = (node.scope, node.op)
            k = self._counts.get(counter, 0)
            self._counts[counter] = k + 1
            name = (node.scope, node.op, k)
            key = self.names.get(name)
            if key is None:
                key = self.names[name] = f"{node.scope}/{node.op}#{k}"
            self._by_id[node.id] = key
        return key

    def source(self, tensor):
        """The key an edge into a node comes from."""
        return self.sources((tensor,))[0]

    def sources(self, tensors):
        """The keys of the edges into a node, as a tuple (the per-op hot path of `source`)."""
        out = self._known_sources(tensors)
        if None in out:  # a creator not seen in forward yet: keyed now, in input order
            out = tuple(self.key(t.creator) if s is None else s for t, s in zip(tensors, out))
        return out

    def _known_sources(self, tensors):
        """`sources`, with None for a creator that has no key yet."""
        by_id, params, batch = self._by_id, self.param_names, self.batch_names
        out = []
        for t in tensors:
            creator = t.creator
            if creator is None:
                tid = id(t)
                out.append(params.get(tid) or batch.get(tid, "const"))
            else:
                out.append(by_id.get(creator.id))
        return tuple(out)
