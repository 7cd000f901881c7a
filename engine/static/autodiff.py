"""Symbolic autodiff inside the IR (tf.gradients): gradient nodes are real IR nodes.
Gradient routing ops (add, sub, neg) and common elementwise ops (mul, exp, tanh, sigmoid,
relu) get symbolic rules made of elementwise nodes (the same maths as their engine backward,
and fusible); every other op gets a "backward"
node that runs the op's own engine backward (as TF registers ReluGrad for Relu) and
"select" nodes that pick each input's gradient from it."""
import numpy as np

from ..ops import elementwise as ew
from ..tensor import Tensor
from .symbolic import COMPARISONS, OnesLike, SumTo, SymbolicTensor

_DIFFERENTIABLE_KINDS = ("op",)


def gradients(ys, xs, grad_ys=None):
    """d(ys)/d(x) for each x in `xs` (Parameters or symbolic tensors of ys's graph), as
    symbolic tensors; None for an x that ys does not depend on."""
    if not isinstance(ys, SymbolicTensor):
        raise TypeError("static.gradients(ys, xs): ys must be a tensor of a static graph")
    single = not isinstance(xs, (list, tuple))
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
    for n in reversed(graph.nodes):
        parts = pending.pop(n.id, None)
        if parts is None or not needs.get(n.id, False):
            continue
        gy = _sum(graph, parts, n)
        total[n.id] = gy
        if n.kind in _DIFFERENTIABLE_KINDS and n.fn.differentiable:
            for x, gx in _backward(graph, n, gy, needs):
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


def _grad_node(graph, cls, inputs, like, attrs=None):
    """A gradient-phase op node shaped like `like` (no shape inference needed)."""
    return graph.new_node("op", cls.op, inputs, attrs=attrs, shape=like.shape, dtype=like.dtype,
                          scope=like.scope, fn=cls, phase="backward")


def _sum(graph, parts, like):
    total = parts[0]
    for p in parts[1:]:
        total = _grad_node(graph, ew.Add, [total, p], like)
    return total


def _sum_to(graph, g, x):
    """`g` (shaped like an op's output) summed back to the shape of input `x`."""
    if g.shape == x.shape:
        return g
    lead = len(g.shape) - len(x.shape)
    axes = tuple(i for i, (a, b) in enumerate(zip(x.shape, g.shape[lead:])) if a == 1 and b != 1)
    if not lead and not axes:
        return g
    return _grad_node(graph, SumTo, [g], x, attrs={"lead": lead, "axes": axes})


def _backward(graph, n, gy, needs):
    """(input node, gradient node) pairs for the inputs of `n` that need a gradient."""
    wanted = [(k, x) for k, x in enumerate(n.inputs)
              if needs.get(x.id, False) and x.dtype.kind == "f"]
    if not wanted:
        return []
    if n.fn is ew.Add:
        return [(x, _sum_to(graph, gy, x)) for _, x in wanted]
    if n.fn is ew.Sub:
        neg = None
        out = []
        for k, x in wanted:
            if k == 1 and neg is None:
                neg = _grad_node(graph, ew.Neg, [gy], gy)
            out.append((x, _sum_to(graph, gy if k == 0 else neg, x)))
        return out
    if n.fn is ew.Neg:
        return [(wanted[0][1], _grad_node(graph, ew.Neg, [gy], gy))]
    rule = _RULES.get(n.fn)
    if rule is not None:
        return rule(graph, n, gy, wanted)
    back = graph.new_node("backward", f"{n.op}_grad", [n, gy], scope=n.scope, phase="backward")
    return [(x, graph.new_node("select", "grad_select", [back], attrs={"index": k},
                               shape=x.shape, dtype=x.dtype, scope=n.scope, phase="backward"))
            for k, x in wanted]


def _scalar(graph, value, like):
    return graph.constant(np.asarray(value, like.dtype), scope=like.scope)


def _mul_rule(graph, n, gy, wanted):
    a, b = n.inputs
    return [(x, _sum_to(graph, _grad_node(graph, ew.Mul, [gy, b if k == 0 else a], gy), x))
            for k, x in wanted]


def _exp_rule(graph, n, gy, wanted):  # gy * y
    return [(wanted[0][1], _grad_node(graph, ew.Mul, [gy, n], gy))]


def _tanh_rule(graph, n, gy, wanted):  # gy * (1 - y * y)
    square = _grad_node(graph, ew.Mul, [n, n], n)
    rest = _grad_node(graph, ew.Sub, [_scalar(graph, 1, n), square], n)
    return [(wanted[0][1], _grad_node(graph, ew.Mul, [gy, rest], gy))]


def _sigmoid_rule(graph, n, gy, wanted):  # gy * y * (1 - y)
    scaled = _grad_node(graph, ew.Mul, [gy, n], gy)
    rest = _grad_node(graph, ew.Sub, [_scalar(graph, 1, n), n], n)
    return [(wanted[0][1], _grad_node(graph, ew.Mul, [scaled, rest], gy))]


def _relu_rule(graph, n, gy, wanted):  # gy * (x > 0)
    x = n.inputs[0]
    gt = COMPARISONS["__gt__"]
    mask = graph.new_node("op", gt.op, [x, _scalar(graph, 0, x)], shape=x.shape, dtype=bool,
                          scope=n.scope, fn=gt, phase="backward")
    return [(x, _grad_node(graph, ew.Mul, [gy, mask], gy))]


_RULES = {ew.Mul: _mul_rule, ew.Exp: _exp_rule, ew.Tanh: _tanh_rule,
          ew.Sigmoid: _sigmoid_rule, ew.ReLU: _relu_rule}
