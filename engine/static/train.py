"""static.minimize: the optimizer update as one graph node, so a whole training step is
one compiled graph. The update runs the optimizer's own update rule on its own state, so
static and dynamic training give the same numbers and share the same Parameters."""
from .autodiff import gradients
from .symbolic import SymbolicTensor


def minimize(loss, optimizer):
    """Add d(loss)/d(params) and `optimizer`'s update of its params to loss's graph; fetch
    the returned handle to run one training step (it evaluates to None)."""
    if not isinstance(loss, SymbolicTensor):
        raise TypeError("static.minimize(loss, optimizer): loss must be a tensor of a static graph")
    graph = loss.node.graph
    grads = gradients(loss, optimizer.params)
    pairs = [(p, g) for p, g in zip(optimizer.params, grads) if g is not None]
    if not pairs:
        raise ValueError(f"static.minimize: {loss.node.describe()} depends on none of the "
                         "optimizer's parameters")
    inputs = []
    for p, g in pairs:
        inputs += [graph.variables[id(p)], g.node]
    node = graph.new_node("update", f"{type(optimizer).__name__.lower()}_update", inputs,
                          attrs=dict(optimizer.defaults), value=optimizer, phase="update",
                          scope=loss.node.scope)
    graph.keep(node)
    return graph.handle(node)
