"""SGD (momentum, dampening, Nesterov), Adam and AdamW, with PyTorch's update rules."""
from ..backend import get_array_module
from .optimizer import Optimizer, store


def _check(name, **values):
    bad = {k: v for k, v in values.items() if v < 0}
    if bad:
        raise ValueError(f"{name}: invalid (negative) {', '.join(f'{k}={v}' for k, v in bad.items())}")


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, maximize=False):
        _check("SGD", lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _plan(self, p, g, state, group):
        if group["maximize"]:
            g = -g
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.array
        buf = None
        momentum = group["momentum"]
        if momentum:
            old = state.get("momentum_buffer")
            if old is None:
                buf = g.copy()
            else:
                buf = old * momentum
                buf += (1 - group["dampening"]) * g
            g = g + momentum * buf if group["nesterov"] else buf
        step = group["lr"] * g

        def write():
            if buf is not None:
                store(state, "momentum_buffer", buf)
            p.array -= step
        return write


class Adam(Optimizer):
    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False):
        if lr < 0 or eps < 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"{type(self).__name__}: invalid lr={lr}, betas={betas}, "
                             f"eps={eps} or weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad))

    def _plan(self, p, g, state, group):
        xp = get_array_module(p.array)
        b1, b2 = group["betas"]
        decay, lr = group["weight_decay"], group["lr"]
        if decay and not self.decoupled:
            g = g + decay * p.array
        t = state.get("step", 0) + 1
        m = state.get("exp_avg")
        v = state.get("exp_avg_sq")
        m = (xp.zeros_like(p.array) if m is None else m) * b1
        m += (1 - b1) * g
        v = (xp.zeros_like(p.array) if v is None else v) * b2
        v += (1 - b2) * g * g
        vmax = None
        if group["amsgrad"]:
            old = state.get("max_exp_avg_sq")
            vmax = v.copy() if old is None else xp.maximum(old, v)
        step_size = lr / (1 - b1 ** t)
        denom = xp.sqrt(v if vmax is None else vmax) / (1 - b2 ** t) ** 0.5 + group["eps"]
        step = step_size * m / denom

        def write():
            if decay and self.decoupled:
                p.array *= 1 - lr * decay
            state["step"] = t
            store(state, "exp_avg", m)
            store(state, "exp_avg_sq", v)
            if vmax is not None:
                store(state, "max_exp_avg_sq", vmax)
            p.array -= step
        return write


class AdamW(Adam):
    """Adam with decoupled weight decay (applied to the weights, not the gradient)."""

    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
