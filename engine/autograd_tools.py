"""The parts of backward that PyTorch's surface adds: gradient hooks on tensors and nodes,
the check that saved tensors were not modified in place, the creator a node saw before an
in-place op rebound its input (`source`), AccumulateGrad (in next_functions) and
`autograd.grad`."""
from .autograd import run_backward
from .tensor import Tensor


def source(t, node_id):
    """(creator, requires_grad) of tensor t as node `node_id` saw it: an in-place op that
    ran later made t another node's output, and the node must not follow that one."""
    for stamp, creator, requires in getattr(t, "_history", None) or ():  # oldest first
        if node_id < stamp:
            return creator, requires
    return t.creator, t.requires_grad


def _output_grad(fn, g, capture):
    """Run the hooks registered on fn's output (each may replace the gradient), and
    capture it for autograd.grad."""
    for hook in fn.tensor_hooks or ():
        out = hook(Tensor._make(g, False, None))
        if out is not None:
            g = out.array if isinstance(out, Tensor) else out
    if capture is not None:
        out = fn.output
        if out is not None and id(out) in capture:
            capture[id(out)] = g
    return g


def _call_node_hooks(fn, grads, g):
    wrap = [None if x is None else Tensor._make(x, False, None) for x in grads]
    for hook in fn.node_hooks:
        hook(tuple(wrap), (Tensor._make(g, False, None),))


def _check_versions(fn):
    """PyTorch's safety: a tensor this node saved must not have changed in place since."""
    saved = fn.saved
    if not saved:
        return
    out = fn.output
    for t in fn.inputs + ((out,) if out is not None else ()):
        if getattr(t, "_stamp", 0) > fn.id and _holds(saved, t.array):
            where = f" in '{fn.scope}'" if fn.scope else ""
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by "
                f"an inplace operation: [{t.array.dtype} {list(t.shape)}], saved by "
                f"{fn.name()}{where}, is at version {t._version}; it was changed after the "
                "op used it. Hint: change the in-place op (x += y, x.add_(y), x[i] = v) "
                "into an out-of-place one (x = x + y).")


def _holds(saved, array):
    for s in saved:
        if s is array or (getattr(s, "base", None) is not None and s.base is array):
            return True
    return False


class AccumulateGrad:
    """The node that accumulates a leaf's gradient into `.grad` (in next_functions)."""

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()

    def name(self):
        return "AccumulateGrad"


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """d(outputs)/d(inputs) as a tuple of Tensors, leaving every `.grad` untouched
    (torch.autograd.grad). The engine's backward works on arrays: no create_graph."""
    if create_graph:
        raise NotImplementedError("autograd.grad(create_graph=True): the engine does not "
                                  "differentiate its own backward (no higher-order gradients)")
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,) * len(outputs)
    capture = {id(t): None for t in inputs}
    for out, g in zip(outputs, grad_outputs):
        if g is None:
            if out.array.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = _ones_like(out.array)
        else:
            g = g.array if isinstance(g, Tensor) else g
        run_backward(out, g, bool(retain_graph) or len(outputs) > 1, capture)
    result = []
    for t in inputs:
        g = capture[id(t)]
        if g is None and not allow_unused:
            raise RuntimeError("One of the differentiated Tensors appears to not have been "
                               "used in the graph. Set allow_unused=True if this is the "
                               "desired behavior.")
        result.append(None if g is None else Tensor._make(g, False, None))
    return tuple(result)


def _ones_like(array):
    from .backend import get_array_module
    return get_array_module(array).ones_like(array)
