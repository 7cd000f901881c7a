"""The Optimizer base with PyTorch's param_groups, state_dict and load_state_dict. Updates
write into each parameter's array in place (so views and the debugger keep seeing the same
parameter), bump its version (a tensor saved for backward then updated raises, as in
PyTorch) and tell observers.

A step is all or nothing: each rule's `_plan` first computes the new values (the only part
that allocates, so the only part that can run out of memory) and returns a function that
writes them in place; `step` plans every parameter before it writes any."""
import numpy as np

from ..autograd import notify_optimizer_step
from ..backend import get_array_module, to_device


class Optimizer:
    """Hyperparameters live in `param_groups` (one dict per group, PyTorch's layout);
    `optimizer.lr` and the like read the first group and set every group."""

    def __init__(self, params, defaults):
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        object.__setattr__(self, "param_groups", [])
        self.defaults = dict(defaults)
        for group in (params if isinstance(params[0], dict) else [{"params": params}]):
            self.add_param_group(group)
        self.state = {}  # id(param) -> dict of arrays and numbers
        self.step_count = 0

    def add_param_group(self, group):
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if hasattr(params, "array") else list(params)
        for name, value in self.defaults.items():
            group.setdefault(name, value)
        self.param_groups.append(group)

    @property
    def params(self):
        """Every parameter, group after group."""
        return [p for g in self.param_groups for p in g["params"]]

    def __getattr__(self, name):  # only for names not found the usual way
        groups = self.__dict__.get("param_groups")
        if groups and name in groups[0]:
            return groups[0][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name, value):
        groups = self.__dict__.get("param_groups")
        if groups and name != "params" and name in groups[0]:
            for g in groups:
                g[name] = value
        else:
            object.__setattr__(self, name, value)

    def zero_grad(self, set_to_none=True):
        for p in self.params:
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.array[...] = 0

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        writes = []
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    state = self.state.get(id(p), {})
                    writes.append((p, state, self._plan(p, p.grad.array, state, group)))
        self.step_count += 1
        for p, state, write in writes:
            self.state[id(p)] = state
            write()
            p._bump()
        notify_optimizer_step(self)
        return loss

    def _update(self, p, g, state, group=None):
        """Update one parameter now (the static executor's packed update)."""
        self._plan(p, g, state, group or self.param_groups[0])()

    def _plan(self, p, g, state, group):
        """Compute `p`'s update from its gradient `g`, `state` and the group's settings;
        return the function that writes it (into p.array and state, in place)."""
        raise NotImplementedError

    # ---- saving -------------------------------------------------------------------------
    def state_dict(self):
        """{"state": {index: {name: Tensor or number}}, "param_groups": [{..., "params":
        [indices]}]}, PyTorch's layout (indices count parameters across groups)."""
        from ..tensor import Tensor
        index = {id(p): i for i, p in enumerate(self.params)}
        state = {}
        for key, values in self.state.items():
            if key in index:
                state[index[key]] = {k: Tensor(np.array(to_device(v, "cpu")))
                                     if hasattr(v, "shape") else v for k, v in values.items()}
        groups = [dict(g, params=[index[id(p)] for p in g["params"]]) for g in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(a["params"]) != len(b["params"]) for a, b in zip(groups, self.param_groups)):
            raise ValueError("loaded state dict has a different number of parameter groups "
                             "or of parameters per group")
        params = self.params
        for own, saved in zip(self.param_groups, groups):
            own.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {}
        for i, values in state_dict["state"].items():
            p = params[int(i)]
            xp = get_array_module(p.array)
            self.state[id(p)] = {k: _restore(v, p, xp) for k, v in values.items()}


def _restore(value, p, xp):
    if hasattr(value, "detach"):  # an engine or torch tensor
        value = value.detach().cpu().numpy()
    if np.ndim(value) == 0:
        return value.item() if hasattr(value, "item") else value
    return to_device(np.asarray(value), p.device).astype(p.array.dtype, copy=False)


def store(state, name, value):
    """state[name] = value, written into the existing array (packed views share it)."""
    old = state.get(name)
    if old is None:
        state[name] = value
    else:
        old[...] = value
