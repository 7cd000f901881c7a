"""The builder: `with static.Graph() as g:` routes every Function.apply through
`_state.dispatch`, so nn modules and functional ops add IR nodes instead of computing."""
import threading

import numpy as np

from ..autograd import _state, current_scope
from ..tensor import Tensor
from . import ir
from .symbolic import SymbolicTensor, infer, normalize_attrs

_local = threading.local()


def current_graph():
    stack = getattr(_local, "stack", None)
    return stack[-1][0] if stack else None


class Graph(ir.Graph):
    """A static graph being written; `with g:` adds the ops run in the block to it."""

    def __enter__(self):
        stack = getattr(_local, "stack", None)
        if stack is None:
            stack = _local.stack = []
        stack.append((self, _state.dispatch))
        _state.dispatch = self._dispatch
        return self

    def __exit__(self, *exc):
        _, previous = _local.stack.pop()
        _state.dispatch = previous

    def _dispatch(self, cls, inputs, attrs):
        nodes = [self.node_of(t) for t in inputs]
        return self.handle(self.add_op(cls, nodes, normalize_attrs(attrs)))

    def add_op(self, cls, nodes, attrs, scope=None, phase="forward"):
        """An op node, its shape and dtype inferred (ShapeError if they do not fit)."""
        scope = current_scope() if scope is None else scope
        shape, dtype = infer(cls, attrs, nodes, scope)
        return self.new_node("op", cls.op, nodes, attrs=attrs, shape=shape, dtype=dtype,
                             scope=scope, fn=cls, phase=phase)

    def node_of(self, t):
        """The node a tensor stands for: its own, a variable (Parameters and other tensors
        that require grad: read at run time) or a constant."""
        if isinstance(t, SymbolicTensor):
            if t.node.graph is not self:
                raise ValueError(f"{t.node.describe()} belongs to another graph "
                                 f"('{t.node.graph.name}'), not to '{self.name}'")
            return t.node
        if not isinstance(t, Tensor):
            t = Tensor(t)
        if t.requires_grad:
            return self.variable(t)
        return self.constant(t.array)


def current_or_error(what):
    g = current_graph()
    if g is None:
        raise RuntimeError(f"{what} needs a graph being built: use it inside `with static.Graph():`")
    return g


def placeholder(name, shape, dtype="float32"):
    """An input fed at run time; None in `shape` marks the batch dim."""
    g = current_or_error(f"placeholder('{name}')")
    if any(n.name == name for n in g.placeholders()):
        raise ValueError(f"placeholder '{name}' already exists in graph '{g.name}'")
    shape = tuple(shape)
    if any(d is not None and (not isinstance(d, (int, np.integer)) or d < 0) for d in shape):
        raise ValueError(f"placeholder '{name}': shape {shape} must hold sizes or None")
    node = g.new_node("placeholder", "placeholder", shape=shape, dtype=np.dtype(dtype),
                      name=name, scope=current_scope())
    return g.handle(node)
