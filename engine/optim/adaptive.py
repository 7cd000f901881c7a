"""Adagrad, RMSprop and Adadelta, with PyTorch's update rules and state names."""
from ..backend import get_array_module
from .optimizer import Optimizer, store


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10):
        if lr < 0 or lr_decay < 0 or weight_decay < 0 or eps < 0:
            raise ValueError(f"Adagrad: invalid lr={lr}, lr_decay={lr_decay}, "
                             f"weight_decay={weight_decay} or eps={eps}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps))

    def _plan(self, p, g, state, group):
        xp = get_array_module(p.array)
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.array
        t = state.get("step", 0) + 1
        total = state.get("sum")
        if total is None:
            total = xp.full_like(p.array, group["initial_accumulator_value"])
        total = total + g * g
        clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        step = clr * g / (xp.sqrt(total) + group["eps"])

        def write():
            state["step"] = t
            store(state, "sum", total)
            p.array -= step
        return write


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        if lr < 0 or eps < 0 or weight_decay < 0 or momentum < 0 or alpha < 0:
            raise ValueError(f"RMSprop: invalid lr={lr}, alpha={alpha}, eps={eps}, "
                             f"weight_decay={weight_decay} or momentum={momentum}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _plan(self, p, g, state, group):
        xp = get_array_module(p.array)
        alpha = group["alpha"]
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.array
        t = state.get("step", 0) + 1
        sq = state.get("square_avg")
        sq = (xp.zeros_like(p.array) if sq is None else sq) * alpha + (1 - alpha) * g * g
        new = {"square_avg": sq}
        if group["centered"]:
            ga = state.get("grad_avg")
            ga = (xp.zeros_like(p.array) if ga is None else ga) * alpha + (1 - alpha) * g
            new["grad_avg"] = ga
            avg = xp.sqrt(sq - ga * ga) + group["eps"]
        else:
            avg = xp.sqrt(sq) + group["eps"]
        if group["momentum"] > 0:
            buf = state.get("momentum_buffer")
            buf = (xp.zeros_like(p.array) if buf is None else buf) * group["momentum"] + g / avg
            new["momentum_buffer"] = buf
            step = group["lr"] * buf
        else:
            step = group["lr"] * g / avg

        def write():
            state["step"] = t
            for name, value in new.items():
                store(state, name, value)
            p.array -= step
        return write


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        if lr < 0 or eps < 0 or weight_decay < 0 or not 0 <= rho <= 1:
            raise ValueError(f"Adadelta: invalid lr={lr}, rho={rho}, eps={eps} or "
                             f"weight_decay={weight_decay}")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def _plan(self, p, g, state, group):
        xp = get_array_module(p.array)
        rho, eps = group["rho"], group["eps"]
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.array
        t = state.get("step", 0) + 1
        sq = state.get("square_avg")
        acc = state.get("acc_delta")
        sq = (xp.zeros_like(p.array) if sq is None else sq) * rho + (1 - rho) * g * g
        acc = xp.zeros_like(p.array) if acc is None else acc
        delta = xp.sqrt(acc + eps) / xp.sqrt(sq + eps) * g
        acc = acc * rho + (1 - rho) * delta * delta
        step = group["lr"] * delta

        def write():
            state["step"] = t
            store(state, "square_avg", sq)
            store(state, "acc_delta", acc)
            p.array -= step
        return write
