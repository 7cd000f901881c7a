"""A model written as a script against the engine API (the Script tab).

The source runs only when the user asks for it (Run, Step, or the control-flow contrast),
never when a project or preset is loaded. It is compiled with the file name SCRIPT_FILENAME
and executed in a fresh namespace that provides `sg` (engine), `nn`, `F`
(engine.nn.functional) and `static`; `import torch` (`torch.nn`, `torch.nn.functional`...)
imports the engine (app/project/torch_alias.py). The script defines a `build()` function
returning the model, or nn.Module subclasses (the last one defined is the model). Every
error, while compiling, building or in forward during a Step or Run, becomes a ScriptError
carrying the line of the user's script where it happened, SystemExit and KeyboardInterrupt
included (a script cannot end the app). A script's forward can be interrupted by Stop and
records at most MAX_OPS_PER_FORWARD ops per call (app/project/script_guard.py).
"""
import functools
import re

import engine as sg
import engine.nn.functional as F
from engine import nn, static

from app.project.script_guard import FORWARDS, OpCap, ScriptInterrupted
from app.project.torch_alias import script_builtins

SCRIPT_FILENAME = "<script>"
CHECK_SAMPLES = 2  # samples the model's output is checked on when it is built
SCRIPT_FAILURES = (Exception, SystemExit, KeyboardInterrupt)  # a script's errors; not the
# debugger's own BaseException that abandons an iteration
_IN_MESSAGE = re.compile(r"ScriptError: line (\d+): (.*)", re.S)


class ScriptError(Exception):
    """An error of the user's script: `line` (1-based, or None when no line is to blame)
    and `message` (what went wrong, naming the class, layer and shapes where known)."""

    def __init__(self, message, line=None):
        self.message, self.line = message, line
        super().__init__(f"line {line}: {message}" if line else message)


def parse_error(text):
    """(line, message) of a ScriptError as the debugger reports it ("ScriptError: line 7:
    ..."), or None for any other error message."""
    match = _IN_MESSAGE.search(text or "")
    return (int(match.group(1)), match.group(2)) if match else None


def script_line(traceback):
    """The line of the innermost frame of `traceback` that belongs to the script, or None."""
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == SCRIPT_FILENAME:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def as_script_error(exc):
    """`exc` as a ScriptError naming its type and the script line it came from."""
    if isinstance(exc, ScriptError):
        return exc
    if isinstance(exc, ScriptInterrupted):
        return ScriptError(exc.why, script_line(exc.__traceback__))
    if isinstance(exc, SystemExit):
        return ScriptError(f"SystemExit({exc.code!r}): a script cannot end the app",
                           script_line(exc.__traceback__))
    if isinstance(exc, SyntaxError) and exc.filename == SCRIPT_FILENAME:
        return ScriptError(f"{type(exc).__name__}: {exc.msg}", exc.lineno)
    return ScriptError(f"{type(exc).__name__}: {exc}", script_line(exc.__traceback__))


def run_script(source):
    """The namespace the script leaves after running (its definitions); ScriptError when it
    does not compile or raises."""
    namespace = {"__name__": "stepgraph_script", "sg": sg, "nn": nn, "F": F, "static": static,
                 "__builtins__": script_builtins()}
    try:
        code = compile(source, SCRIPT_FILENAME, "exec")
        exec(code, namespace)  # the user's own code, run because the user asked to run it
    except SCRIPT_FAILURES as exc:
        raise as_script_error(exc) from exc
    return namespace


def module_classes(namespace):
    """The nn.Module subclasses the script defined, in order."""
    return [value for value in namespace.values() if isinstance(value, type)
            and issubclass(value, nn.Module) and value.__module__ == namespace["__name__"]]


def model_factory(namespace):
    """(name, callable making the model): the script's build() or its last nn.Module class."""
    build = namespace.get("build")
    if callable(build):
        return "build()", build
    classes = module_classes(namespace)
    if not classes:
        raise ScriptError("the script defines no model: write a class deriving from nn.Module "
                          "(the last one defined is the model) or a build() function "
                          "returning one")
    return classes[-1].__name__, classes[-1]


def build_script_model(source):
    """Run the script and make its model; the forward of every module class the script
    defines reports errors as ScriptErrors."""
    namespace = run_script(source)
    name, make = model_factory(namespace)
    for cls in module_classes(namespace):
        _guard_forward(cls)
    try:
        model = make()
    except SCRIPT_FAILURES as exc:
        raise as_script_error(exc) from exc
    if not isinstance(model, nn.Module):
        raise ScriptError(f"{name} returned {type(model).__name__}, not an nn.Module")
    return model


def _guard_forward(cls):
    """Make cls.forward raise ScriptErrors with the script's line (the class was made by this
    run of the script, so changing it touches nothing else; copies of the model share it).
    The outermost call can be interrupted by Stop and is capped in ops (script_guard)."""
    forward = cls.__dict__.get("forward")
    if forward is None:  # inherited: guarded where it is defined
        return

    @functools.wraps(forward)
    def guarded(self, *args, **kwargs):
        outermost = FORWARDS.enter()
        try:
            if not outermost:
                return forward(self, *args, **kwargs)
            with sg.observe(OpCap(cls.__name__)):
                return forward(self, *args, **kwargs)
        except SCRIPT_FAILURES as exc:
            raise as_script_error(exc) from exc
        finally:
            FORWARDS.exit()
    cls.forward = guarded


class _LastLayer(sg.Observer):
    """Remembers the innermost module that finished its forward last."""

    def __init__(self):
        self.path = ""

    def on_module_exit(self, module, path, output):
        if path:
            self.path = f"{path} ({type(module).__name__})"


def check_output(model, name, x, expected_shape, why):
    """ScriptError unless model(x) per sample has `expected_shape` (the loss's need, `why`
    says which loss and data); x is a batch of CHECK_SAMPLES inputs."""
    last = _LastLayer()
    try:
        with sg.no_grad(), sg.observe(last):
            out = model(x)
    except SCRIPT_FAILURES as exc:  # e.g. an engine container's layers that do not fit
        raise as_script_error(exc) from exc
    if not isinstance(out, sg.Tensor):
        raise ScriptError(f"{name}.forward returned {type(out).__name__}, not a tensor")
    if tuple(out.shape[1:]) != tuple(expected_shape):
        layer = f", last layer {last.path}" if last.path else ""
        raise ScriptError(f"{name}: output {_shape(out.shape)} for input {_shape(x.shape)}"
                          f"{layer}; {why} needs {_shape(('N',) + tuple(expected_shape))}")


def _shape(shape):
    return "(" + ", ".join(map(str, shape)) + ")"
