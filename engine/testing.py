"""Support for tests of code built on the engine (as torch.testing): fault injection.
Nothing in the engine imports this module."""
import threading
from contextlib import contextmanager

from . import autograd, optim


@contextmanager
def inject_out_of_memory(after=0, where="forward", nbytes=1 << 30):
    """Fault injection for tests: inside the block, the op forward or backward (`where`) or
    the parameter update ("update") that comes after `after` others raises MemoryError as
    CuPy's allocator words it ("Out of memory allocating N bytes"). It wraps those methods
    for the block only, so it costs nothing when unused. Yields a dict whose "raised" counts
    the faults raised (one: the count stops after it)."""
    base, name = ((optim.Optimizer, "_plan") if where == "update"
                  else (autograd.Function, where))
    if name not in ("forward", "backward", "_plan"):
        raise ValueError(f"where must be 'forward', 'backward' or 'update', got {where!r}")
    lock, seen = threading.Lock(), {"calls": 0, "raised": 0}

    def wrap(method):
        def faulty(*args, **kwargs):
            with lock:
                seen["calls"] += 1
                fail = seen["calls"] == after + 1
                seen["raised"] += fail
            if fail:
                raise MemoryError(f"Out of memory allocating {nbytes:,} bytes (injected fault)")
            return method(*args, **kwargs)
        return faulty

    patched, classes = [], [base]
    while classes:
        cls = classes.pop()
        classes += cls.__subclasses__()
        if name in cls.__dict__:
            patched.append((cls, cls.__dict__[name]))
            setattr(cls, name, wrap(cls.__dict__[name]))
    try:
        yield seen
    finally:
        for cls, method in patched:
            setattr(cls, name, method)
