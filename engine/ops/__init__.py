"""Engine ops, one module per family. Each op is a Function subclass that declares all there
is to know about it: forward and backward side by side, what it saves, its attrs (the
forward's keyword arguments), `explain` (why shapes do not fit), `narrate` (its formulas in
words), and optionally `fuse` (its ufunc calls, for static fusion) and `symbolic_grad` (its
gradient as IR nodes, for static autodiff); plus a lowercase functional wrapper."""
import functools
import importlib
import pkgutil


def op_classes():
    """Every op class of engine.ops (its family modules imported), in a stable order."""
    from ..autograd import Function
    for info in pkgutil.iter_modules(__path__, __name__ + "."):
        importlib.import_module(info.name)
    found, todo = [], list(Function.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.startswith(__name__ + "."):
            found.append(cls)
    return sorted(found, key=lambda cls: (cls.__module__, cls.__name__))


def op_class(name):
    """The op class named `name` ("relu", "linear", ...), None for an unknown name; ops
    that share a name (pow by a number or by a tensor) share their declarations too."""
    return _by_name().get(name)


@functools.cache
def _by_name():
    found = {}
    for cls in op_classes():
        found.setdefault(cls.op, cls)
    return found
