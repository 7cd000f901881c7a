"""What a Tensor does in place, with PyTorch's safety: `.data`, the `*_` methods, `x += y`,
item assignment, the version counter that backward checks, and gradient hooks.

Outside the graph (no grad needed, or inside `no_grad()`) an in-place op writes into the
tensor's array, so every view of that storage (`.data`, `.detach()`) sees it, and bumps
the tensor's version. Inside the graph (the tensor or the operand requires grad while grad
mode is on) it records the op as a new node and rebinds the tensor to its result, as PyTorch
does; a leaf that requires grad refuses, with PyTorch's message."""
import numpy as np

from .autograd import LAST_INPLACE, _ids, _state, RemovableHandle


class InplaceMethods:
    """Mixin of Tensor (no state of its own)."""

    __slots__ = ()

    # ---- .data and the version counter ---------------------------------------------------
    @property
    def data(self):
        """As in PyTorch: a tensor sharing this one's storage, cut from the graph, whose
        in-place changes autograd does not track (the raw array is `.array`)."""
        return type(self)._make(self.array, False, None)

    @data.setter
    def data(self, value):
        self.array = value.array if hasattr(value, "array") else value

    @property
    def _version(self):
        """How many in-place changes this tensor has had."""
        return getattr(self, "_vcount", 0)

    def _bump(self):
        self._vcount = getattr(self, "_vcount", 0) + 1
        self._stamp = LAST_INPLACE[0] = next(_ids)  # later than every node recorded so far

    # ---- the one path every in-place op takes --------------------------------------------
    def _inplace(self, compute, *others):
        """Make `compute(self)` (an out-of-place result) this tensor's value."""
        tracked = _state.grad_enabled and (self.requires_grad or any(
            getattr(o, "requires_grad", False) for o in others))
        if not tracked:
            from .autograd import no_grad
            with no_grad():
                out = compute(self)
            self._write(out.array)
            return self._traced(out)
        if self.requires_grad and self.creator is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
        before = type(self)._make(self.array, self.requires_grad, self.creator)
        out = compute(before)
        self._check_shape(out.shape)
        if out.creator is not None:
            import weakref
            out.creator._output = weakref.ref(self)
        self._rebind(out.array.astype(self.array.dtype, copy=False), out.creator,
                     out.requires_grad)
        return self._traced(out)

    def _traced(self, out):
        """Tell a running static.trace that this tensor now holds `out` (None: a constant
        value written over it), so the graph reads the new value, not the example's."""
        hook = getattr(_state, "on_inplace", None)
        if hook is not None:
            hook(self, out)
        return self

    def _rebind(self, array, creator, requires_grad):
        """Make this tensor a new node's output; nodes recorded before keep seeing the old
        node through `_history` (autograd.source)."""
        history = getattr(self, "_history", None) or []
        self._bump()
        history.append((self._stamp, self.creator, self.requires_grad))
        self._history = history
        self.array, self.creator, self.requires_grad = array, creator, requires_grad

    def _check_shape(self, shape):
        if tuple(shape) != self.shape:
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the "
                               f"broadcast shape {list(shape)}")

    def _write(self, value):
        value_kind = getattr(value, "dtype", np.dtype(type(value))).kind
        if value_kind == "f" and self.array.dtype.kind in "iub":
            raise RuntimeError(f"result type {value.dtype} can't be cast to the desired "
                               f"output type {self.array.dtype}")
        self._check_shape(np.broadcast_shapes(np.shape(value), self.shape))
        self.array[...] = value
        self._bump()

    # ---- in-place methods (PyTorch's names) ----------------------------------------------
    def add_(self, other, alpha=1):
        other = self._other(other)
        return self._inplace(lambda t: t + (other * alpha if alpha != 1 else other), other)

    def sub_(self, other, alpha=1):
        other = self._other(other)
        return self._inplace(lambda t: t - (other * alpha if alpha != 1 else other), other)

    def mul_(self, other):
        other = self._other(other)
        return self._inplace(lambda t: t * other, other)

    def div_(self, other):
        other = self._other(other)
        return self._inplace(lambda t: t / other, other)

    def pow_(self, exponent):
        return self._inplace(lambda t: t ** exponent, exponent)

    def clamp_(self, min=None, max=None):
        return self._inplace(lambda t: t.clamp(min, max))

    def neg_(self):
        return self._inplace(lambda t: -t)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_
    __ipow__ = pow_

    def _fill(self, array):
        """Overwrite every element with `array` (no gradient flows from the old value)."""
        if _state.grad_enabled and self.requires_grad:
            if self.creator is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an "
                                   "in-place operation.")
            self._rebind(self.array.copy(), None, False)
        self._write(array)
        return self._traced(None)

    def zero_(self):
        return self._fill(0)

    def fill_(self, value):
        return self._fill(value.array if hasattr(value, "array") else value)

    def copy_(self, src):
        """Copy `src` (broadcast to this shape) into this tensor; the gradient flows to src."""
        src = self._other(src)
        if src.requires_grad and _state.grad_enabled:
            from .ops.extra import SetItem
            return self._inplace(lambda t: SetItem.apply(t, src, index=Ellipsis), src)
        return self._fill(src.array.astype(self.array.dtype, copy=False))

    def uniform_(self, a=0.0, b=1.0, generator=None):
        rng = _generator(generator)
        return self._fill(rng.uniform(a, b, self.shape).astype(self.array.dtype))

    def normal_(self, mean=0.0, std=1.0, generator=None):
        rng = _generator(generator)
        return self._fill((rng.standard_normal(self.shape) * std + mean).astype(self.array.dtype))

    def __setitem__(self, index, value):
        index = _unwrap_index(index)
        value_t = value if hasattr(value, "array") else None
        tracked = _state.grad_enabled and (self.requires_grad or (
            value_t is not None and value_t.requires_grad))
        if not tracked and getattr(_state, "on_inplace", None) is None:
            array = value_t.array if value_t is not None else value
            self.array[index] = array
            self._bump()
            return
        from .ops.extra import SetItem
        value_t = self._other(value)
        self._inplace(lambda t: SetItem.apply(t, value_t, index=index), value_t)

    # ---- gradient hooks ------------------------------------------------------------------
    def register_hook(self, hook):
        """`hook(grad)` runs when this tensor's gradient is computed; a tensor it returns
        replaces the gradient. Returns a handle whose remove() unregisters it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.creator is not None:
            hooks = self.creator.tensor_hooks
            if hooks is None:
                hooks = self.creator.tensor_hooks = []
        else:
            hooks = getattr(self, "_hooks", None)
            if hooks is None:
                hooks = self._hooks = []
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in `.grad` after backward."""
        if self.creator is None or self.retains_grad:
            return
        import weakref
        ref = weakref.ref(self)

        def retain(grad):
            t = ref()
            if t is not None:
                t.grad = grad if t.grad is None else t.grad + grad
        retain.retains = True
        self.register_hook(retain)

    @property
    def retains_grad(self):
        hooks = self.creator.tensor_hooks if self.creator is not None else None
        return any(getattr(h, "retains", False) for h in hooks or ())

    @property
    def grad_fn(self):
        """The node that made this tensor (None for a leaf); see Function.next_functions."""
        return self.creator


def _unwrap_index(index):
    if hasattr(index, "array"):
        return index.array
    if isinstance(index, tuple):
        return tuple(i.array if hasattr(i, "array") else i for i in index)
    return index


def _generator(generator):
    from .tensor import default_generator
    return default_generator() if generator is None else getattr(generator, "rng", generator)
