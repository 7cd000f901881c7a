"""What keeps a user's script from harming the app: the engine restored after a script
patched it, a forward that can be interrupted even in a pure-Python loop, a cap on the ops
one forward may record, and a deadline for building.

- `EngineSnapshot`: the functions, classes and modules of every `engine.*` module, and the
  methods of their classes, as they were before any script ran; `restore()` puts back what a
  script replaced or added (`nn.Linear.forward = ...` breaks no later project). Plain data
  (the random generator a seed rebinds) is left alone.
- `interrupt(thread_id)`: raise ScriptInterrupted in a thread at its next bytecode, which
  stops a `while True: pass` that never reaches an op (where the debugger's own stop waits).
- `OpCap`: an observer that stops a forward recording more than MAX_OPS_PER_FORWARD ops.
- `deadline(seconds)`: interrupts the calling thread when a block (building a script's model)
  runs longer than `seconds`.
"""
import ctypes
import inspect
import sys
import threading
import types

import engine as sg
import engine.nn.functional  # noqa: F401  (in the snapshot)
import engine.optim  # noqa: F401
import engine.static  # noqa: F401

MAX_OPS_PER_FORWARD = 50_000
STOP_GRACE_S = 0.5  # Stop interrupts a script forward that has not stopped by then
_CODE_TYPES = (types.FunctionType, types.BuiltinFunctionType, type, types.ModuleType,
               staticmethod, classmethod, property)


class ScriptInterrupted(Exception):
    """Raised inside a script's code by Stop or by the build deadline; `why` says which."""


def _is_code(value):
    return isinstance(value, _CODE_TYPES) or inspect.isroutine(value)


def _engine_modules():
    return {name: module for name, module in list(sys.modules.items())
            if module is not None and (name == "engine" or name.startswith("engine."))}


class EngineSnapshot:
    """The code objects of the engine's modules and classes, to restore after a script."""

    def __init__(self):
        self.modules, self.classes = {}, {}
        for name, module in _engine_modules().items():
            names = vars(module)
            self.modules[name] = {k: v for k, v in names.items() if _is_code(v)}
            for value in list(names.values()):
                if isinstance(value, type) and value.__module__ == name:
                    self.classes[value] = {k: v for k, v in vars(value).items() if _is_code(v)}

    def restore(self):
        """Undo what was replaced or added since the snapshot; the names restored."""
        restored = []
        for name, module in _engine_modules().items():
            if name in self.modules:  # (one imported since holds only its own code)
                restored += _restore(module, dict(vars(module)), self.modules[name], name)
        for cls, saved in self.classes.items():
            restored += _restore(cls, dict(vars(cls)), saved, cls.__qualname__)
        return restored


def _restore(owner, current, saved, label):
    changed = []
    for key, value in current.items():
        submodule = isinstance(value, types.ModuleType) and value.__name__ == f"{label}.{key}"
        if key not in saved and _is_code(value) and not submodule:
            changed.append(f"{label}.{key}")
            delattr(owner, key)
    for key, value in saved.items():
        if current.get(key, _MISSING) is not value:
            changed.append(f"{label}.{key}")
            setattr(owner, key, value)
    return changed


_MISSING = object()
PRISTINE = EngineSnapshot()  # taken on import: before the app runs any script


def interrupt(thread_id, why):
    """Raise ScriptInterrupted(why) in the thread `thread_id` at its next bytecode."""
    exc = type("ScriptInterrupted", (ScriptInterrupted,), {"why": why})
    done = ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                                      ctypes.py_object(exc))
    if done > 1:  # more than one thread state: undo, as the C API asks
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), None)


class deadline:
    """`with deadline(seconds, why):` interrupts this thread when the block outlasts
    `seconds` (the block must not catch ScriptInterrupted and go on)."""

    def __init__(self, seconds, why):
        self.seconds, self.why = seconds, why
        self._lock = threading.Lock()
        self._active = False

    def _expire(self, thread_id):
        with self._lock:
            if self._active:
                self._active = False
                interrupt(thread_id, self.why)

    def __enter__(self):
        self._active = True
        self._timer = threading.Timer(self.seconds, self._expire, (threading.get_ident(),))
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc):
        with self._lock:
            self._active = False
        self._timer.cancel()


class OpCap(sg.Observer):
    """Stops a forward that records more than `limit` ops (an op loop grows memory and the
    graph without end)."""

    def __init__(self, name, limit=None):
        self.name, self.limit, self.count = name, limit or MAX_OPS_PER_FORWARD, 0

    def on_forward(self, node):
        self.count += 1
        if self.count > self.limit:
            raise OverflowError(f"{self.name}.forward ran more than {self.limit:,} ops in one "
                                f"call (the last: {node.op}): a loop that does not end? The "
                                f"debugger records every op, so one forward is capped")


class ForwardCalls:
    """The threads running an outermost script forward now (for Stop to interrupt them)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._depth = {}

    def enter(self):
        """True when this is the thread's outermost script forward."""
        ident = threading.get_ident()
        with self._lock:
            self._depth[ident] = self._depth.get(ident, 0) + 1
            return self._depth[ident] == 1

    def exit(self):
        ident = threading.get_ident()
        with self._lock:
            self._depth[ident] -= 1
            if not self._depth[ident]:
                del self._depth[ident]

    def interrupt_all(self, why):
        """Interrupt every thread inside a script forward; how many there were."""
        with self._lock:
            threads = list(self._depth)
        for ident in threads:
            interrupt(ident, why)
        return len(threads)


FORWARDS = ForwardCalls()


def interrupt_if_still_running(still_running, delay=STOP_GRACE_S):
    """After `delay` seconds, interrupt the script forwards running then if
    `still_running()` (Stop was sent but the worker never reached an op to see it)."""
    def check():
        if still_running():
            FORWARDS.interrupt_all("stopped by the user (Stop) in the middle of the script's "
                                   "forward")
    timer = threading.Timer(delay, check)
    timer.daemon = True
    timer.start()
