"""The optimizer update over all parameters at once. Parameters, their gradients and the
optimizer's state live in one flat array each (the Parameters' `.array` and the state's
arrays become views into them), and the optimizer's own `_update` runs once on the flat
arrays: the same elementwise maths as the dynamic engine, in a few array ops instead of a
few per parameter. Anything that re-points a parameter or the state (load_state_dict, a
dynamic optimizer.step) is noticed at the next run and the arrays are packed again."""
from ..backend import get_array_module

_STATE_ARRAYS = ("momentum_buffer", "exp_avg", "exp_avg_sq")
# Above this many elements, copying the gradients into the flat array costs more than the
# per-parameter Python overhead it saves.
MAX_PACKED = 1 << 16


class _FlatParameter:
    __slots__ = ("array",)

    def __init__(self, data):
        self.array = data


class PackedUpdate:
    def __init__(self, optimizer, params, producers=()):
        """producers: (k, fn, index) where Function fn's backward can write parameter k's
        gradient (its output `index`) into an array put in fn.grad_out."""
        self.opt = optimizer
        self.params = params
        self.producers = producers
        self.spans = []
        offset = 0
        for p in params:
            self.spans.append((offset, offset + p.array.size, p.array.shape))
            offset += p.array.size
        self.size = offset
        self.synced = None  # (step_count, state dict) when the packing was last valid

    def packable(self):
        """Small parameters, one dtype and one device (else: per-parameter updates)."""
        first = self.params[0].array
        return self.size <= MAX_PACKED and all(p.array.dtype == first.dtype and type(p.array) is type(first)
                   for p in self.params)

    def step(self, grads):
        opt = self.opt
        if self.synced != (opt.step_count, id(opt.state)) or not self._intact():
            if not self._pack():
                self._per_parameter(grads)
                return
        copyto = self.copyto
        for view, g in zip(self.grad_views, grads):
            if g is not view:
                copyto(view, g)
        flat = self.flat_state
        keys = len(flat)
        opt._update(self.flat_param, self.flat_grad, flat)
        if len(flat) != keys:  # the first update created the state arrays: share them
            for key in _STATE_ARRAYS:
                if key in flat:
                    for st, view in zip(self.states, self._views(flat[key])):
                        st[key] = view
        if "step" in flat:
            step = flat["step"]
            for st in self.states:
                st["step"] = step
        opt.step_count += 1
        self.synced = (opt.step_count, id(opt.state))

    def _intact(self):
        """Whether every parameter still holds its view of the flat array."""
        for p, view in zip(self.params, self.views):
            if p.array is not view:
                return False
        return True

    def _per_parameter(self, grads):
        opt = self.opt
        for p, g in zip(self.params, grads):
            opt._update(p, g, opt.state.setdefault(id(p), {}))
        opt.step_count += 1

    views = ()

    def _views(self, flat):
        return [flat[a:b].reshape(shape) for a, b, shape in self.spans]

    def _pack(self):
        """Copy parameters and state into flat arrays; False when the per-parameter state
        differs in kind or step (then this run updates parameter by parameter)."""
        if not self.packable():
            return False
        opt = self.opt
        self.states = [opt.state.setdefault(id(p), {}) for p in self.params]
        keys = {tuple(sorted(st)) for st in self.states}
        steps = {st.get("step") for st in self.states}
        if len(keys) != 1 or len(steps) != 1:
            return False
        xp = get_array_module(self.params[0].array)
        self.copyto = xp.copyto
        dtype = self.params[0].array.dtype
        flat_data = xp.empty(self.size, dtype)
        self.views = self._views(flat_data)
        for p, view in zip(self.params, self.views):
            view[...] = p.array
            p.array = view
        self.flat_param = _FlatParameter(flat_data)
        self.flat_grad = xp.empty(self.size, dtype)
        self.grad_views = self._views(self.flat_grad)
        for k, fn, index in self.producers:
            out = list(fn.grad_out)
            out[index] = self.grad_views[k]
            fn.grad_out = tuple(out)
        flat = {}
        for key in keys.pop():
            if key == "step":
                flat[key] = steps.pop()
                continue
            array = xp.empty(self.size, dtype)
            for st, view in zip(self.states, self._views(array)):
                view[...] = st[key]
                st[key] = view
            flat[key] = array
        self.flat_state = flat
        self.synced = (opt.step_count, id(opt.state))
        return True
