"""Activation layers. A layer that only applies one op to its input is declared by that op
(`Function.module`, e.g. ReLU's "ReLU"): its class is made here from the declaration."""
import inspect

from ..ops import op_classes, reduce as rd
from .module import Module


def layer_of(op):
    """The Module class declared by op class `op` (named `op.module`): its constructor
    takes the op's attrs (the keyword arguments of its forward, with their defaults, as
    PyTorch's constructor does) and keeps each as an attribute; forward applies the op."""
    attrs = [p.replace(kind=p.POSITIONAL_OR_KEYWORD)
             for p in inspect.signature(op.forward).parameters.values()
             if p.default is not p.empty]
    signature = inspect.Signature(attrs)

    def __init__(self, *args, **kwargs):
        Module.__init__(self)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        for name, value in bound.arguments.items():
            setattr(self, name, value)

    def forward(self, x):
        return op.apply(x, **{p.name: getattr(self, p.name) for p in attrs})

    def extra_repr(self):
        return ", ".join(f"{p.name}={getattr(self, p.name)}" for p in attrs)

    __init__.__signature__ = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)] + attrs)
    return type(op.module, (Module,), {
        "__init__": __init__, "forward": forward, "extra_repr": extra_repr,
        "__module__": __name__, "__qualname__": op.module,
        "__doc__": f"torch.nn.{op.module}: the {op.op} op as a layer."})


DECLARED = {op.module: layer_of(op) for op in op_classes() if op.module is not None}
globals().update(DECLARED)


class Softmax(Module):
    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return rd.Softmax.apply(x, dim=self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
