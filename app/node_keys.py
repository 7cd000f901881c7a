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
"""


def in_layer(scope, layer):
    """Whether `scope` is `layer` or nested inside it ("" contains every scope)."""
    return not layer or scope == layer or scope.startswith(layer + ".")


class NodeKeys:
    """Assigns keys to the nodes of one forward pass (a new instance for each iteration).
    `names` may be shared between iterations: it caches the key strings themselves."""

    def __init__(self, param_names, batch=(), names=None):
        self.param_names = param_names  # id(Parameter) -> name
        self.batch_names = {id(t): name for t, name in zip(batch, ("input", "target"))}
        self.names = {} if names is None else names  # (scope, op, k) -> key
        self._counts = {}
        self._by_id = {}  # node id -> key, for backward events and edges

    def key(self, node):
        """The key of a node seen in forward (assigned on first sight)."""
        key = self._by_id.get(node.id)
        if key is None:
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
        creator = tensor.creator
        if creator is not None:
            return self.key(creator)
        tid = id(tensor)
        return self.param_names.get(tid) or self.batch_names.get(tid, "const")

    def sources(self, tensors):
        """The keys of the edges into a node, as a tuple (the per-op hot path of `source`)."""
        by_id, params, batch = self._by_id, self.param_names, self.batch_names
        out = []
        for t in tensors:
            creator = t.creator
            if creator is None:
                tid = id(t)
                out.append(params.get(tid) or batch.get(tid, "const"))
            else:
                out.append(by_id.get(creator.id) or self.key(creator))
        return tuple(out)
