"""Optimizers with PyTorch's update rules. Updates write into each parameter's array in
place (so views and the debugger keep seeing the same parameter) and tell observers.

A step is all or nothing: each rule's `_plan` first computes the new values (the only part
that allocates, so the only part that can run out of memory) and returns a function that
writes them in place; `step` plans every parameter before it writes any."""
from .autograd import notify_optimizer_step
from .backend import get_array_module


class Optimizer:
    def __init__(self, params, defaults):
        self.params = [p for p in params]
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        self.defaults = dict(defaults)
        self.lr = defaults["lr"]
        self.state = {}  # id(param) -> dict of arrays
        self.step_count = 0

    def zero_grad(self, set_to_none=True):
        for p in self.params:
            p.grad = None

    def step(self):
        writes = []
        for p in self.params:
            if p.grad is not None:
                state = self.state.get(id(p), {})
                writes.append((id(p), state, self._plan(p, p.grad.data, state)))
        self.step_count += 1
        for key, state, write in writes:
            self.state[key] = state
            write()
        notify_optimizer_step(self)

    def _update(self, p, g, state):
        """Update one parameter now (the static executor's packed update)."""
        self._plan(p, g, state)()

    def _plan(self, p, g, state):
        """Compute `p`'s update from its gradient `g` and `state`; return the function
        that writes it (into p.data and state, in place)."""
        raise NotImplementedError

    def state_arrays(self):
        """{param index: {name: array}} for saving and for the debugger to show."""
        return {i: self.state[id(p)] for i, p in enumerate(self.params) if id(p) in self.state}


def _store(state, name, value):
    """state[name] = value, written into the existing array (packed views share it)."""
    old = state.get(name)
    if old is None:
        state[name] = value
    else:
        old[...] = value


class SGD(Optimizer):
    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD: lr ({lr}), momentum ({momentum}) and weight_decay "
                             f"({weight_decay}) must be non-negative")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))
        self.momentum, self.weight_decay = momentum, weight_decay

    def _plan(self, p, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * p.data
        buf = None
        if self.momentum:
            old = state.get("momentum_buffer")
            if old is None:
                buf = g.copy()
            else:
                buf = old * self.momentum
                buf += g
            g = buf
        step = self.lr * g

        def write():
            if buf is not None:
                _store(state, "momentum_buffer", buf)
            p.data -= step
        return write


class Adam(Optimizer):
    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if lr < 0 or eps < 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"{type(self).__name__}: invalid lr={lr}, betas={betas}, "
                             f"eps={eps} or weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))
        self.betas, self.eps, self.weight_decay = tuple(betas), eps, weight_decay

    def _plan(self, p, g, state):
        xp = get_array_module(p.data)
        b1, b2 = self.betas
        decay = self.weight_decay
        if decay and not self.decoupled:
            g = g + decay * p.data
        t = state.get("step", 0) + 1
        m = state.get("exp_avg")
        v = state.get("exp_avg_sq")
        m = (xp.zeros_like(p.data) if m is None else m) * b1
        m += (1 - b1) * g
        v = (xp.zeros_like(p.data) if v is None else v) * b2
        v += (1 - b2) * g * g
        step_size = self.lr / (1 - b1 ** t)
        denom = xp.sqrt(v) / (1 - b2 ** t) ** 0.5 + self.eps
        step = step_size * m / denom

        def write():
            if decay and self.decoupled:
                p.data *= 1 - self.lr * decay
            state["step"] = t
            _store(state, "exp_avg", m)
            _store(state, "exp_avg_sq", v)
            p.data -= step
        return write


class AdamW(Adam):
    """Adam with decoupled weight decay (applied to the weights, not the gradient)."""

    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, weight_decay)
