"""Symbolic autodiff inside the IR (tf.gradients): gradient nodes are real IR nodes.
An op class that declares `symbolic_grad` (gradient routing: add, sub, neg; common
elementwise ops: mul, exp, tanh, sigmoid, relu) gets its gradient as the nodes that rule
builds with a `GradBuilder` (the same maths as its engine backward, and fusible); every
other op gets a "backward" node that runs the op's own engine backward (as TF registers
ReluGrad for Relu) and "select" nodes that pick each input's gradient from it."""
import numpy as np

from ..ops import elementwise as ew
from ..tensor import Tensor
from .symbolic import OnesLike, SumTo, SymbolicTensor

_DIFFERENTIABLE_KINDS = ("op",)


def gradients(ys, xs, grad_ys=None):
    """d(ys)/d(x) for each x in `xs` (Parameters or symbolic tensors of ys's graph), as
    symbolic tensors; None for an x that ys does not depend on."""
    if not isinstance(ys, SymbolicTensor):
        raise TypeError("static.gradients(ys, xs): ys must be a tensor of a static graph")
    single = hasattr(xs, "array")  # one tensor; else a list, tuple or iterator of them
    xs = [xs] if single else list(xs)
    y = ys.node
    graph = y.graph
    targets = [_node_of_x(graph, x) for x in xs]
    wanted = {n.id for n in targets if n is not None}
    ancestors = _ancestors(y)
    needs = {}
    for n in graph.nodes:
        if n.id in ancestors:
            needs[n.id] = n.id in wanted or (
                n.kind in _DIFFERENTIABLE_KINDS and n.fn.differentiable
                and any(needs.get(i.id, False) for i in n.inputs))
    if grad_ys is None and None not in y.shape:
        seed = graph.constant(np.ones(y.shape, y.dtype), scope=y.scope)
    elif grad_ys is None:
        seed = graph.new_node("op", OnesLike.op, [y], shape=y.shape, dtype=y.dtype,
                              scope=y.scope, fn=OnesLike, phase="backward")
    else:
        seed = graph.node_of(grad_ys) if isinstance(grad_ys, Tensor) else graph.constant(
            np.asarray(grad_ys, y.dtype), scope=y.scope)
    pending = {y.id: [seed]}
    total = {}
    d = GradBuilder(graph)
    for n in reversed(graph.nodes):
        parts = pending.pop(n.id, None)
        if parts is None or not needs.get(n.id, False):
            continue
        gy = _sum(d, parts, n)
        total[n.id] = gy
        if n.kind in _DIFFERENTIABLE_KINDS and n.fn.differentiable:
            for x, gx in _backward(d, n, gy, needs):
                pending.setdefault(x.id, []).append(gx)
    out = [graph.handle(total[n.id]) if n is not None and n.id in total else None
           for n in targets]
    return out[0] if single else out


def _node_of_x(graph, x):
    if isinstance(x, SymbolicTensor):
        return x.node if x.node.graph is graph else None
    if isinstance(x, Tensor):
        return graph.variables.get(id(x))
    raise TypeError(f"static.gradients: cannot differentiate with respect to {type(x).__name__}")


def _ancestors(y):
    seen = {y.id}
    stack = [y]
    while stack:
        for i in stack.pop().inputs:
            if i.id not in seen:
                seen.add(i.id)
                stack.append(i)
    return seen


class GradBuilder:
    """What an op's `symbolic_grad(d, node, gy, wanted)` builds its gradient with: IR nodes
    of the backward phase in `graph`."""

    def __init__(self, graph):
        self.graph = graph

    def op(self, cls, inputs, like, attrs=None, dtype=None):
        """An op node of class `cls` on `inputs`, shaped like the node `like` and in its
        scope (its dtype unless `dtype` is given): no shape inference needed."""
        return self.graph.new_node("op", cls.op, inputs, attrs=attrs, shape=like.shape,
                                   dtype=like.dtype if dtype is None else dtype,
                                   scope=like.scope, fn=cls, phase="backward")

    def sum_to(self, g, x):
        """`g` (shaped like an op's output) summed back to the shape of input `x`."""
        if g.shape == x.shape:
            return g
        lead = len(g.shape) - len(x.shape)
        axes = tuple(i for i, (a, b) in enumerate(zip(x.shape, g.shape[lead:]))
                     if a == 1 and b != 1)
        if not lead and not axes:
            return g
        return self.op(SumTo, [g], x, attrs={"lead": lead, "axes": axes})

    def constant(self, value, like):
        """A scalar constant of `like`'s dtype."""
        return self.graph.constant(np.asarray(value, like.dtype), scope=like.scope)


def _sum(d, parts, like):
    total = parts[0]
    for p in parts[1:]:
        total = d.op(ew.Add, [total, p], like)
    return total


def _backward(d, n, gy, needs):
    """(input node, gradient node) pairs for the inputs of `n` that need a gradient."""
    wanted = [(k, x) for k, x in enumerate(n.inputs)
              if needs.get(x.id, False) and x.dtype.kind == "f"]
    if not wanted:
        return []
    if n.fn.symbolic_grad is not None:
        return n.fn.symbolic_grad(d, n, gy, wanted)
    graph = d.graph
    back = graph.new_node("backward", f"{n.op}_grad", [n, gy], scope=n.scope, phase="backward")
    return [(x, graph.new_node("select", "grad_select", [back], attrs={"index": k},
                               shape=x.shape, dtype=x.dtype, scope=n.scope, phase="backward"))
            for k, x in wanted]
