"""Define-by-run autograd: the Function base (the one dispatch point every op runs through),
per-thread grad mode, scopes and observers, and the non-recursive backward pass."""
import itertools
import threading
import weakref

import numpy as np

from .backend import DeviceError, OutOfMemoryError, device_of, get_array_module


class ShapeError(ValueError):
    """Shapes that do not fit an op; the message names the op, the scope and the shapes."""


class IndexShapeError(ShapeError, IndexError):
    """An index out of range (an IndexError, as Python's iteration protocol expects)."""


class RemovableHandle:
    """What register_hook and the module hooks return: `remove()` unregisters the hook."""

    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


class _State(threading.local):
    """Per-thread state, as PyTorch's grad mode: a worker's observers see its ops only."""

    def __init__(self):
        self.grad_enabled = True
        self.observers = ()
        self.scope = ""
        self.dispatch = None  # set by engine.static while a graph is being built


_state = _State()
_ids = itertools.count(1)
LAST_INPLACE = [0]
"""The stamp (from `_ids`) of the latest in-place change to any tensor: a node with a
larger id was recorded after it, so its inputs' history and saved versions need no check."""


class Observer:
    """Base for graph observers; override what you need (the debugger's contract)."""

    def on_forward(self, node):
        """After an op ran: node.output holds its value."""

    def on_backward(self, node, grad):
        """grad = d(loss)/d(node.output), before it flows on to node.inputs."""

    def on_optimizer_step(self, optimizer):
        """After optimizer.step() updated the parameters."""

    def on_module_enter(self, module, path):
        """A module's forward is about to run (`path` as in named_modules())."""

    def on_module_exit(self, module, path, output):
        """A module's forward returned `output` (step layer / step out stop here)."""


class observe:
    """Attach observers to this thread for the duration of the block (`with observe(o) as o`).
    A class, not a generator: the debugger enters it at every iteration."""

    def __init__(self, *observers):
        self.observers = observers

    def __enter__(self):
        self.previous = _state.observers
        _state.observers = self.previous + self.observers
        return self.observers[0] if len(self.observers) == 1 else self.observers

    def __exit__(self, *exc):
        _state.observers = self.previous


class scope:
    """Set `node.scope` (a module path such as "encoder.fc1") for ops run in the block."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.previous = _state.scope
        _state.scope = self.name

    def __exit__(self, *exc):
        _state.scope = self.previous


class _GradMode:
    def __init__(self, enabled):
        self.enabled = enabled

    def __enter__(self):
        self.previous = _state.grad_enabled
        _state.grad_enabled = self.enabled

    def __exit__(self, *exc):
        _state.grad_enabled = self.previous

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with type(self)(self.enabled):
                return fn(*args, **kwargs)
        return wrapper


def no_grad():
    """Context manager (or decorator): ops inside record nothing."""
    return _GradMode(False)


def enable_grad():
    return _GradMode(True)


def is_grad_enabled():
    return _state.grad_enabled


def current_scope():
    return _state.scope


def notify_optimizer_step(optimizer):
    for obs in _state.observers:
        obs.on_optimizer_step(optimizer)


class Function:
    """One op: `forward(*arrays, **attrs)` returns an array and keeps in `self.saved` what
    `backward(grad)` needs; `backward` returns one gradient (or None) per input.

    An instance that ran while grad mode was on is a node of the graph: `id`, `op`,
    `scope`, `inputs` (Tensors), `output` (Tensor), `attrs` (the op's keyword arguments).
    Gradients returned for broadcast inputs are summed back to each input's shape here.
    """

    op = "function"
    differentiable = True
    saved = None
    tensor_hooks = None  # hooks registered on this node's output (Tensor.register_hook)
    scatter = None
    """Ops that pick entries of their one input: `scatter()` -> (index, input shape, input
    dtype) where each entry is picked at most once, else None; backward then adds the
    gradient into the input's at `index` in place, instead of calling `backward`."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "op" not in cls.__dict__:
            cls.op = cls.__name__.lower()

    @classmethod
    def apply(cls, *inputs, **attrs):
        st = _state
        if st.dispatch is not None:
            return st.dispatch(cls, inputs, attrs)
        fn = object.__new__(cls)
        fn.attrs = attrs
        try:
            y = fn.forward(*[t.array for t in inputs], **attrs)
        except (ValueError, TypeError, IndexError) as exc:
            raise fn._error(inputs, exc, st.scope) from exc
        except MemoryError as exc:
            raise out_of_memory(fn, inputs, exc, st.scope, "forward") from exc
        if not st.grad_enabled:
            return Tensor._make(y, False, None)
        fn.id = next(_ids)
        fn.scope = st.scope
        fn.inputs = inputs
        requires = False
        if cls.differentiable:
            for t in inputs:  # a plain loop: any() over a generator costs more than the op
                if t.requires_grad:
                    requires = True
                    break
        out = Tensor._make(y, requires, fn if requires else None)
        fn._output = weakref.ref(out)
        if st.observers:
            for obs in st.observers:
                obs.on_forward(fn)
        return out

    @property
    def output(self):
        return self._output()

    @property
    def next_functions(self):
        """((node, 0), ...) per input, as PyTorch's grad_fn: the input's creator, an
        AccumulateGrad for a leaf that requires grad, or None."""
        return tuple((t.creator if t.creator is not None else
                      AccumulateGrad(t) if t.requires_grad else None, 0)
                     for t in self.inputs or ())

    def name(self):
        """PyTorch's node name, e.g. "MulBackward0"."""
        return f"{type(self).__name__}Backward0"

    def register_hook(self, hook):
        """`hook(grad_inputs, grad_outputs)` after this node's backward ran."""
        hooks = self.__dict__.setdefault("node_hooks", [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def forward(self, *arrays, **attrs):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def explain(self, shapes):
        """Why these input shapes do not fit; ops override this for a precise message."""
        return None

    # ---- what the rest of the engine and the app read of an op (declared once, here) ----
    narrate = None
    """`narrate(c)` -> (title, forward text, backward text) for an engine.ops.words.Shapes
    `c`: what the op computes and what its backward sends to each input, in words and with
    the shapes (a staticmethod; words.unary / words.binary make the common ones)."""

    fuse = None
    """Elementwise ops only: `fuse(attrs)` -> the ufunc calls that compute the op, each
    (ufunc name, *operands), an operand "{0}"/"{1}" (the op's inputs), "{acc}" (the value
    so far) or a literal; static mode fuses chains of such ops into one kernel."""

    symbolic_grad = None
    """`symbolic_grad(d, node, gy, wanted)` -> [(input node, gradient node)] for the wanted
    (index, input node) pairs, built from IR nodes with `d` (engine.static.autodiff's
    builder: d.op, d.sum_to, d.constant); without it, static mode calls the op's backward."""

    module = None
    """The torch.nn name ("ReLU") of a layer that only applies this op to its input:
    engine.nn makes that class from this declaration (its constructor takes the op's attrs,
    the forward's keyword arguments, with their names and defaults, and keeps each as an
    attribute), and engine.nn.functional exports the op's wrapper (named as the op)."""

    @staticmethod
    def complete_shapes(shapes, out):
        """Input shapes with the unknown ones (None: the batch, which the debugger does not
        record) filled in from the others and the output shape `out`, where the op says."""
        return list(shapes)

    def _error(self, inputs, exc, scope):
        where = f"{self.op} in '{scope}'" if scope else self.op
        devices = {device_of(t.array) for t in inputs}
        if len(devices) > 1:
            listed = ", ".join(f"{tuple(t.shape)} on {device_of(t.array)}" for t in inputs)
            return DeviceError(f"{where}: inputs are on different devices ({listed}); "
                               f"move them with .to(device) first")
        shapes = [tuple(t.shape) for t in inputs]
        if isinstance(exc, IndexError):  # e.g. an index out of range
            return IndexShapeError(f"{where}: {exc}")
        reason = self.explain(shapes) or f"{exc} (input shapes {', '.join(map(str, shapes))})"
        return ShapeError(f"{where}: {reason}")

    def __repr__(self):
        scope = f" in '{self.scope}'" if getattr(self, "scope", "") else ""
        return f"<{self.op} #{getattr(self, 'id', '?')}{scope}>"


def out_of_memory(fn, inputs, exc, scope, phase):
    """An OutOfMemoryError naming the op, the layer, the phase, the shapes and the device,
    with the allocator's message (the memory asked); one already named is kept."""
    if isinstance(exc, OutOfMemoryError):
        return exc
    shapes = [tuple(t.shape) for t in inputs]
    device = "cuda" if any(device_of(t.array) == "cuda" for t in inputs) else "cpu"
    where = f"{fn.op} in layer '{scope}'" if scope else fn.op
    listed = ", ".join(map(str, shapes))
    return OutOfMemoryError(f"{where} ({phase}, input shapes {listed}) on {device}: {exc}",
                            fn.op, scope, phase, shapes, device)


def unbroadcast(grad, shape):
    """Sum a broadcast gradient back to `shape`."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def _consumer_counts(root_fn):
    """How many times each node's output feeds another node of the graph below root_fn."""
    counts = {root_fn: 0}
    stack = [root_fn]
    while stack:
        fn = stack.pop()
        if fn.inputs is None:
            raise RuntimeError(
                f"backward through {fn.op}{' in ' + repr(fn.scope) if fn.scope else ''} a "
                "second time: its graph was freed by the first backward(); pass "
                "retain_graph=True to the first call to keep it")
        plain = LAST_INPLACE[0] < fn.id
        for t in fn.inputs:
            c = t.creator if plain else source(t, fn.id)[0]
            if c is not None:
                if c in counts:
                    counts[c] += 1
                else:
                    counts[c] = 1
                    stack.append(c)
    return counts


def run_backward(root, grad, retain_graph=False, capture=None):
    """Propagate `grad` from `root` to every leaf that requires grad, in reverse
    topological order (a node runs once all its consumers have sent their gradient).
    With `capture` (id(tensor) -> None, for autograd.grad) the gradients of those tensors
    are stored there instead of being accumulated into any leaf's `.grad`."""
    fn = root.creator
    if fn is None:
        if root.requires_grad:
            _accumulate(root, grad, capture)
        return
    counts = _consumer_counts(fn)
    pending = {fn: grad}
    owned = set()  # the nodes whose pending gradient is an array this pass allocated
    ready = [fn]
    observers = _state.observers
    while ready:
        fn = ready.pop()
        g = pending.pop(fn, None)
        owned.discard(fn)
        if g is None:  # no gradient reached this node: only release its inputs' counts
            grads = (None,) * len(fn.inputs)
        else:
            if fn.tensor_hooks is not None or capture is not None:
                g = _output_grad(fn, g, capture)
            if observers:
                gt = Tensor._make(g, False, None)
                for obs in observers:
                    obs.on_backward(fn, gt)
            if LAST_INPLACE[0] > fn.id:
                _check_versions(fn)
            if fn.scatter is not None and _scatter(fn, g, pending, owned):
                grads = (None,)
            else:
                try:
                    grads = fn.backward(g)
                except MemoryError as exc:
                    raise out_of_memory(fn, fn.inputs, exc, fn.scope, "backward") from exc
                if "node_hooks" in fn.__dict__:
                    _call_node_hooks(fn, grads, g)
        plain = LAST_INPLACE[0] < fn.id
        for t, gx in zip(fn.inputs, grads):
            c, requires = (t.creator, t.requires_grad) if plain else source(t, fn.id)
            if gx is not None and requires:
                if gx.shape != t.array.shape:
                    gx = unbroadcast(gx, t.array.shape)
                if c is None:
                    _accumulate(t, gx, capture)
                    continue
                if c not in pending:
                    pending[c] = gx
                elif c in owned and pending[c].dtype == gx.dtype:
                    pending[c] += gx  # an array only this pass holds: add in place
                else:
                    pending[c] = pending[c] + gx
                    owned.add(c)
            if c is not None:
                counts[c] -= 1
                if counts[c] == 0:
                    ready.append(c)
        if not retain_graph:
            fn.inputs = None
            fn.saved = None


def _scatter(fn, g, pending, owned):
    """Add the gradient of `fn`, an op that picks entries of its one input (basic
    indexing), straight into the input's pending gradient: one array per input for all
    its slices, not a zero-filled copy of the whole input per slice. False where that
    does not apply (a leaf input, an advanced index, hooks on the node)."""
    t = fn.inputs[0]
    c, requires = (t.creator, t.requires_grad) if LAST_INPLACE[0] < fn.id \
        else source(t, fn.id)
    picked = fn.scatter() if c is not None and requires and "node_hooks" not in fn.__dict__ \
        else None
    if picked is None:
        return False
    index, shape, dtype = picked
    g = g.astype(dtype, copy=False)
    acc = pending.get(c)
    if acc is None:
        acc = get_array_module(g).zeros(shape, dtype)
        acc[index] = g
    else:
        wide = np.result_type(acc.dtype, dtype)
        if c not in owned or acc.dtype != wide:
            acc = acc.astype(wide)  # a copy this pass owns
        acc[index] += g
    pending[c] = acc
    owned.add(c)
    return True


def _accumulate(leaf, g, capture=None):
    if g.dtype != leaf.array.dtype:
        g = g.astype(leaf.array.dtype)
    hooks = getattr(leaf, "_hooks", None)
    for hook in hooks or ():
        out = hook(Tensor._make(g, False, None))
        if out is not None:
            g = out.array if isinstance(out, Tensor) else out
    if capture is not None:
        if id(leaf) in capture:
            previous = capture[id(leaf)]
            capture[id(leaf)] = g if previous is None else previous + g
        return
    if leaf.grad is None:
        if g.base is not None:  # a view (e.g. a read-only broadcast): .grad owns its array
            g = g.copy()
        leaf.grad = Tensor._make(g, False, None)
    else:
        leaf.grad.array = leaf.grad.array + g  # the same .grad tensor, as PyTorch


from .tensor import Tensor  # noqa: E402  (Tensor uses Function; imported last on purpose)
from .autograd_tools import (AccumulateGrad, _call_node_hooks, _check_versions,  # noqa: E402
                             _output_grad, grad, source)
