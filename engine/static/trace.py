"""static.trace: run dynamic code once on example inputs and keep the ops it ran as a graph
(torch.jit.trace style). Python control flow that read a traced tensor's value is baked
in: that raises a TraceWarning naming the user's file and line."""
import os
import sys
import warnings

from ..autograd import _state
from ..tensor import Tensor
from .builder import Graph

_ENGINE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class TraceWarning(UserWarning):
    """A trace kept one branch of Python control flow that depended on a tensor's value."""


def trace(fn, *example_inputs):
    """The graph of the ops `fn(*example_inputs)` runs. `graph.inputs` are placeholders
    (shaped as the examples, named input0, input1, ...), `graph.outputs` the results."""
    graph = Graph(getattr(fn, "__name__", "trace"))
    tracer = _Tracer(graph)
    for k, x in enumerate(example_inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"static.trace: example input {k} must be a Tensor, not {type(x).__name__}")
        node = graph.new_node("placeholder", "placeholder", shape=x.shape, dtype=x.dtype,
                              name=f"input{k}")
        tracer.record(x, node)
        graph.inputs.append(graph.handle(node))
    with tracer:
        result = fn(*example_inputs)
    many = isinstance(result, (tuple, list))
    for t in result if many else [result]:
        if not isinstance(t, Tensor):
            raise TypeError(f"static.trace: {graph.name} returned {type(t).__name__}, not a Tensor")
        node = tracer.node_of(t)
        graph.keep(node)
        graph.outputs.append(graph.handle(node))
    return graph


class _Tracer:
    def __init__(self, graph):
        self.graph = graph
        self.nodes = {}  # id(tensor) -> node
        self.alive = []  # the traced tensors, so that their ids stay unique

    def record(self, tensor, node):
        self.nodes[id(tensor)] = node
        self.alive.append(tensor)

    def node_of(self, t):
        node = self.nodes.get(id(t))
        if node is None:
            node = self.graph.variable(t) if t.requires_grad else self.graph.constant(t.array)
            self.record(t, node)
        return node

    def __enter__(self):
        self.saved = (_state.dispatch, getattr(_state, "on_concrete", None),
                      getattr(_state, "on_inplace", None))
        _state.dispatch = self.dispatch
        _state.on_concrete = self.on_concrete
        _state.on_inplace = self.on_inplace

    def __exit__(self, *exc):
        _state.dispatch, _state.on_concrete, _state.on_inplace = self.saved

    def on_inplace(self, tensor, out):
        """`tensor` was changed in place: it now stands for `out`'s node (a constant of its
        new value when `out` is None)."""
        node = self.node_of(out) if out is not None else self.graph.constant(tensor.array.copy())
        self.record(tensor, node)

    def dispatch(self, cls, inputs, attrs):
        nodes = [self.node_of(t if isinstance(t, Tensor) else Tensor(t)) for t in inputs]
        _state.dispatch = None
        try:
            out = cls.apply(*inputs, **attrs)
        finally:
            _state.dispatch = self.dispatch
        node = self.graph.new_node("op", cls.op, nodes, attrs=attrs, shape=out.shape,
                                   dtype=out.dtype, scope=_state.scope, fn=cls)
        self.record(out, node)
        return out

    def on_concrete(self, tensor, kind):
        node = self.nodes.get(id(tensor))
        if node is None or node.kind == "constant":
            return
        filename, lineno = _user_frame()
        warnings.warn_explicit(
            f"{kind}() of a traced tensor ({node.describe()}) steered Python control flow at "
            f"{filename}:{lineno}; the traced graph keeps only the branch taken for the "
            "example inputs (use static.cond to keep both)",
            TraceWarning, filename, lineno)


def _user_frame():
    """File and line of the innermost frame outside the engine package."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_ENGINE_DIR + os.sep):
        frame = frame.f_back
    if frame is None:
        return "<unknown>", 0
    return frame.f_code.co_filename, frame.f_lineno
