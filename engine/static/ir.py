"""The graph IR: nodes with op, inputs, attributes, static shapes (None for the batch dim)
and dtypes, in topological order. Printable, and walkable by the app's views."""
import itertools
import sys
import weakref

import numpy as np

# Node kinds: "placeholder" (fed), "variable" (a Parameter, read at run time), "constant",
# "op" (runs an engine Function), "backward" (runs the backward of its forward node,
# inputs[0], on the incoming gradient, inputs[1], giving a tuple), "select" (picks one
# input's gradient from that tuple), "fused" (a chain of elementwise ops in one buffer),
# "update" (an optimizer step over variables and their gradients).


class Node:
    """One IR node. `id` is stable across passes for nodes a pass leaves alone."""

    __slots__ = ("id", "kind", "op", "fn", "inputs", "attrs", "shape", "dtype", "scope",
                 "phase", "name", "value", "fused_from", "graph")

    def __init__(self, graph, id, kind, op, inputs=(), attrs=None, shape=None, dtype=None,
                 scope="", fn=None, phase="forward", name=None, value=None, fused_from=()):
        self.graph = graph
        self.id = id
        self.kind = kind
        self.op = op
        self.fn = fn
        self.inputs = tuple(inputs)
        self.attrs = dict(attrs or {})
        self.shape = None if shape is None else tuple(shape)
        self.dtype = None if dtype is None else np.dtype(dtype)
        self.scope = scope
        self.phase = phase
        self.name = name
        self.value = value
        self.fused_from = list(fused_from)

    def copy_to(self, graph, inputs):
        """The same node in `graph` (same id), reading `inputs` (nodes of `graph`)."""
        return Node(graph, self.id, self.kind, self.op, inputs, self.attrs, self.shape,
                    self.dtype, self.scope, self.fn, self.phase, self.name, self.value,
                    self.fused_from)

    def nbytes(self, batch_size):
        """Bytes of this node's output with the batch dim set to `batch_size`."""
        if self.shape is None or self.dtype is None:
            return 0
        n = 1
        for d in self.shape:
            n *= batch_size if d is None else d
        return n * self.dtype.itemsize

    def describe(self):
        shape = "?" if self.shape is None else "(" + ", ".join(
            "None" if d is None else str(d) for d in self.shape) + ("," if len(self.shape) == 1 else "") + ")"
        dtype = "" if self.dtype is None else f" {self.dtype}"
        return f"{self.op} {shape}{dtype}" + (f" in '{self.scope}'" if self.scope else "")

    def __repr__(self):
        return f"<Node %{self.id} {self.describe()}>"


class Graph:
    """Nodes in topological order, the variables (Parameters) they read, and the roots a
    pass must keep (nodes the user still holds a handle to, updates, traced outputs)."""

    def __init__(self, name="graph"):
        self.name = name
        self.nodes = []
        self.variables = {}  # id(Parameter) -> variable node
        self.inputs = []     # placeholder handles (trace)
        self.outputs = []    # output handles (trace)
        self.memory = None   # filled by memory planning
        self.batch_size = 32  # the batch size memory reports assume
        self._ids = itertools.count(1)
        self._handles = {}   # node id -> weakref to the SymbolicTensor handle
        self._roots = set()  # node ids kept whatever happens (updates, outputs)

    # ---- building -----------------------------------------------------------------------
    def new_node(self, kind, op, inputs=(), **fields):
        node = Node(self, next(self._ids), kind, op, inputs, **fields)
        self.nodes.append(node)
        return node

    def handle(self, node):
        """The SymbolicTensor that stands for `node` in user code."""
        ref = self._handles.get(node.id)
        t = ref() if ref is not None else None
        if t is None:
            from .symbolic import SymbolicTensor
            t = SymbolicTensor(node)
            self._handles[node.id] = weakref.ref(t)
        return t

    def keep(self, node):
        self._roots.add(node.id)

    def variable(self, tensor):
        """The variable node reading `tensor` (a Parameter) at run time; one per tensor."""
        node = self.variables.get(id(tensor))
        if node is None:
            from .. import backend
            node = self.new_node("variable", "variable", shape=tensor.shape,
                                 dtype=backend.to_numpy(tensor.array).dtype, value=tensor,
                                 name=tensor.name or _parameter_name(tensor), scope=_scope())
            self.variables[id(tensor)] = node
        return node

    def constant(self, array, scope=None):
        return self.new_node("constant", "constant", shape=array.shape, dtype=array.dtype,
                             value=array, scope=_scope() if scope is None else scope)

    def placeholders(self):
        return [n for n in self.nodes if n.kind == "placeholder"]

    def roots(self):
        """Ids of nodes that passes must keep: held by the user, updates, outputs."""
        alive = {i for i, ref in self._handles.items() if ref() is not None}
        return alive | self._roots

    # ---- passes -------------------------------------------------------------------------
    def derive(self, nodes, roots, replaced=None):
        """A new graph holding `nodes` (already built for it) that shares this graph's
        variables and id counter; `replaced` maps ids of nodes that vanished to the ids that
        now stand for them."""
        g = Graph(self.name)
        g.nodes = nodes
        for n in nodes:
            n.graph = g
        ids = {n.id for n in nodes}
        g.variables = {k: v for k, v in self.variables.items() if v.id in ids}
        g._ids = self._ids
        g._roots = set(roots)
        g.replaced = dict(replaced or {})
        g.memory = self.memory
        g.batch_size = self.batch_size
        return g

    def copy(self, keep=None):
        """A copy with new Node objects (same ids); only nodes in `keep` (ids) if given."""
        new = {}
        nodes = []
        for n in self.nodes:
            if keep is not None and n.id not in keep:
                continue
            c = n.copy_to(None, [new[i.id] for i in n.inputs])
            new[n.id] = c
            nodes.append(c)
        g = self.derive(nodes, self.roots() if keep is None else set(keep) & self.roots())
        g.variables = {k: new[v.id] for k, v in self.variables.items() if v.id in new}
        return g

    def consumers(self):
        """node id -> list of nodes that read it."""
        out = {n.id: [] for n in self.nodes}
        for n in self.nodes:
            for i in n.inputs:
                out[i.id].append(n)
        return out

    def node(self, id):
        for n in self.nodes:
            if n.id == id:
                return n
        raise KeyError(f"graph '{self.name}' has no node %{id}")

    # ---- showing ------------------------------------------------------------------------
    def __len__(self):
        return len(self.nodes)

    def __iter__(self):
        return iter(self.nodes)

    def __str__(self):
        lines = [f"graph {self.name} ({len(self.nodes)} nodes):"]
        for n in self.nodes:
            args = ", ".join(f"%{i.id}" for i in n.inputs)
            label = n.name if n.kind in ("placeholder", "variable") and n.name else ""
            attrs = ", ".join(f"{k}={_short(v)}" for k, v in n.attrs.items())
            extra = f" [{attrs}]" if attrs else ""
            fused = f" fused {[f.op for f in n.fused_from]}" if n.fused_from else ""
            lines.append(f"  %{n.id} = {n.kind}:{n.op}{' ' + label if label else ''}({args})"
                         f"{extra}{fused} -> {n.describe().split(' ', 1)[1]}")
        return "\n".join(lines)

    def __repr__(self):
        return f"<static.Graph '{self.name}' with {len(self.nodes)} nodes>"


def _short(v):
    if isinstance(v, np.ndarray):
        return f"array{v.shape}"
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _scope():
    from ..autograd import current_scope
    return current_scope()


def _parameter_name(tensor):
    """"<module path>.<attribute>" of a Parameter read inside a module's forward (the name
    named_parameters() gives it), found on the calling module; None elsewhere."""
    from ..nn.module import Module
    frame = sys._getframe(1)
    while frame is not None:
        owner = frame.f_locals.get("self")
        if isinstance(owner, Module):
            for name, p in owner._parameters.items():
                if p is tensor:
                    path = _scope()
                    return f"{path}.{name}" if path else name
        frame = frame.f_back
    return None


def freeze(value):
    """A hashable key for an attribute value (arrays and slices included), for CSE."""
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, (tuple, list)):
        return (type(value).__name__,) + tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, slice):
        return ("slice", value.start, value.stop, value.step)
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return (type(value).__name__, value)
