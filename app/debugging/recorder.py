"""What the dynamic debugger's worker observes (app/debugging/debugger.py): `Frame`, what it
knows of the iteration in progress, and `Recorder`, the engine observer that fills the frame,
checks the breakpoints and asks the debugger to stop (`_reached`) where a command wants it."""
import numpy as np

from engine import Observer

from app.debugging.statistics import LARGE, summarize_large
from app.debugging.node_keys import in_layer
from app.debugging.stepping import Position


OFF_THREAD = 1 << 16  # items from which a tensor's statistics are computed off the worker


class Frame:
    """What the debugger knows of the iteration in progress."""

    def __init__(self, iteration, keys):
        self.iteration = iteration
        self.keys = keys
        self.phase = "forward"
        self.nodes = []
        self.values = {}
        self.grads = {}
        self.known = {"value": {}, "grad": {}}  # statistics computed as the tensors came
        self.open_modules = []
        self.backward_root = None  # the key of the first backward event (the loss)
        self.backward_seen = {}  # scope -> backward events so far
        self._backward_expected = None
        self.last_key = None
        self.done = False
        self.weight_roots = None  # ids of the parameters' memory owners (on the first view)

    def backward_expected(self):
        """scope -> backward events this iteration will have (computed when first needed)."""
        if self._backward_expected is None:
            self._backward_expected = backward_counts(self.nodes, self.backward_root)
        return self._backward_expected

    def left_in(self, layer):
        """Backward events of `layer` (nested layers included) still to come."""
        if self.backward_root is None:
            return -1
        return sum(n - self.backward_seen.get(s, 0)
                   for s, n in self.backward_expected().items() if in_layer(s, layer))


def memory_root(array):
    """The array that owns `array`'s memory (following views to their base)."""
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


def backward_counts(nodes, root):
    """scope -> number of nodes that backward from `root` will reach."""
    by_key = {n.key: n for n in nodes}
    seen, stack = {root}, [root]
    while stack:
        node = by_key.get(stack.pop())
        if node is not None:
            for source in node.inputs:
                if source not in seen and source in by_key and by_key[source].requires_grad:
                    seen.add(source)
                    stack.append(source)
    counts = {}
    for key in seen:
        if key in by_key:
            s = by_key[key].scope
            counts[s] = counts.get(s, 0) + 1
    return counts


def _statistics(d, table, key, a):
    """table[key] = the statistics row of a large host array: computed now, while it is hot
    in the cache, or, for a very large one, on the helper thread while the worker goes on
    (handing over an LSTM's 8,192-item tensors cost more GIL switches than it saved)."""
    if type(a) is not np.ndarray:
        return
    if a.size >= OFF_THREAD:
        d.statistics.submit(table, key, a)
    else:
        table[key] = summarize_large(a)


class Recorder(Observer):
    """The worker's observer: names nodes, keeps values and gradients, asks to stop."""

    def __init__(self, debugger):
        self.d = debugger

    def on_forward(self, node):
        """Keep the node's value, name it, check breakpoints, stop if asked."""
        d = self.d
        f = d._frame
        out = node.output
        a = out.array
        if a.base is not None:
            roots = f.weight_roots
            if roots is None:  # once per iteration: no op replaces a parameter's array
                roots = f.weight_roots = d._memory_roots()
            if id(memory_root(a)) in roots:
                a = a.copy()  # a view of a weight would change under the optimizer step
        graph_node = f.keys.describe(node, a.shape, a.dtype, out.requires_grad)
        key = graph_node.key
        f.values[key] = a
        if a.size > LARGE:
            _statistics(d, f.known["value"], key, a)
        f.nodes.append(graph_node)
        f.last_key = key
        bps = d._breakpoints
        hit = (bps.check_op("forward", f.iteration, key, node.scope, node.op, a)
               if bps.wants("forward") else None)
        if (hit is not None or d._command is not None or d._abort is not None
                or d._target is not None):
            d._reached(Position(f.iteration, "forward", "op", key, node.op, node.scope), hit, a,
                       node.inputs)

    def on_backward(self, node, grad):
        """Keep the gradient reaching the node, check breakpoints, stop if asked (a layer
        whose backward is complete is marked on the position)."""
        d = self.d
        f = d._frame
        key = f.keys.key(node)
        g = grad.array
        f.grads[key] = g
        if g.size > LARGE:
            _statistics(d, f.known["grad"], key, g)
        if f.backward_root is None:
            f.backward_root = key
        seen_by_scope = f.backward_seen
        seen = seen_by_scope[node.scope] = seen_by_scope.get(node.scope, 0) + 1
        f.last_key = key
        bps = d._breakpoints
        hit = (bps.check_op("backward", f.iteration, key, node.scope, node.op, g)
               if bps.per_op else None)
        if (hit is not None or d._command is not None or d._abort is not None
                or d._target is not None):
            done = seen == f.backward_expected().get(node.scope)
            d._reached(Position(f.iteration, "backward", "op", key, node.op, node.scope,
                                node.scope if done else None), hit, g, node.inputs)

    def on_module_enter(self, module, path):
        """A module's forward begins."""
        self.d._frame.open_modules.append(path)

    def on_module_exit(self, module, path, output):
        """A module's forward returned: a layer end to stop at."""
        d, f = self.d, self.d._frame
        if f.open_modules and f.open_modules[-1] == path:
            f.open_modules.pop()
        if d._command is not None or d._abort is not None or d._target is not None:
            d._reached(Position(f.iteration, "forward", "layer_end", f.last_key, None, path, path))
