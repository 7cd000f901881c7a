"""Module hooks with PyTorch's signatures: forward-pre `hook(module, args)`, forward
`hook(module, args, output)` (either may return a replacement) and full backward
`hook(module, grad_input, grad_output)` (called once the gradients with respect to the
module's tensor inputs are known; its return value is ignored). Modules check one global
count, so they cost nothing while no hook exists."""
from ..autograd import RemovableHandle

ACTIVE = [0]  # hooks registered on any module


class _Handle(RemovableHandle):
    def remove(self):
        if self.hook in self.hooks:
            ACTIVE[0] -= 1
        super().remove()


class HookMethods:
    """Mixin of Module."""

    def register_forward_pre_hook(self, hook):
        return self._add_hook("_forward_pre_hooks", hook)

    def register_forward_hook(self, hook):
        return self._add_hook("_forward_hooks", hook)

    def register_full_backward_hook(self, hook):
        return self._add_hook("_backward_hooks", hook)

    register_backward_hook = register_full_backward_hook

    def _add_hook(self, name, hook):
        hooks = self.__dict__.get(name)
        if hooks is None:
            hooks = []
            object.__setattr__(self, name, hooks)
        hooks.append(hook)
        ACTIVE[0] += 1
        return _Handle(hooks, hook)

    def _has_hooks(self):
        d = self.__dict__
        return bool(d.get("_forward_pre_hooks") or d.get("_forward_hooks")
                    or d.get("_backward_hooks"))

    def _call_with_hooks(self, args, kwargs):
        d = self.__dict__
        for hook in list(d.get("_forward_pre_hooks") or ()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        backward = d.get("_backward_hooks")
        if backward:
            args, collect = _watch_inputs(self, args, backward)
        out = self._call_plain(args, kwargs)
        for hook in list(d.get("_forward_hooks") or ()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        if backward:
            collect(out)
        return out


def _watch_inputs(module, args, hooks):
    """Route the tensor inputs through identity nodes whose gradients are grad_input; return
    the new args and a function that watches the output's gradient (grad_output)."""
    from ..ops.extra import Identity
    seen = {"gin": [None] * len(args), "gout": None, "pending": 0}

    def fire():
        for hook in list(hooks):
            hook(module, tuple(seen["gin"]), (seen["gout"],))

    def on_input(i):
        def hook(grad):
            seen["gin"][i] = grad
            seen["pending"] -= 1
            if seen["pending"] == 0:
                fire()
        return hook

    new = list(args)
    for i, a in enumerate(args):
        if getattr(a, "requires_grad", False):
            new[i] = Identity.apply(a)
            new[i].register_hook(on_input(i))
            seen["pending"] += 1

    def collect(out):
        if not getattr(out, "requires_grad", False):
            return

        def on_output(grad):
            seen["gout"] = grad
            if seen["pending"] == 0:
                fire()
        out.register_hook(on_output)
    return tuple(new), collect
