"""nn.Module and nn.Parameter, with PyTorch's names. Calling a module runs its forward
inside `scope(<its path in the root model's named_modules()>)`, so every node it records
carries the layer it belongs to."""
from collections import OrderedDict

import numpy as np


from ..autograd import _state
from ..backend import to_device
from ..tensor import Tensor
from .hooks import ACTIVE as _HOOKS, HookMethods

_structure_version = [0]  # bumped whenever a submodule is attached anywhere


class Parameter(Tensor):
    """A tensor that is a module's weight: requires grad and is listed by parameters()."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        if isinstance(data, Tensor):
            data = data.array
        super().__init__(data, dtype=getattr(data, "dtype", None), requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module(HookMethods):
    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_path_cache", None)

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                                 f"before assigning {name!r}")
        for store in (self._parameters, self._modules, self._buffers):
            store.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
            _structure_version[0] += 1
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        for store in (self._parameters, self._modules, self._buffers):
            store.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name, array):
        """A non-trainable array kept in state_dict (e.g. BatchNorm's running mean)."""
        self._buffers[name] = array
        object.__setattr__(self, name, array)

    def add_module(self, name, module):
        setattr(self, name, module)

    # ---- calling ------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        if _HOOKS[0] and self._has_hooks():
            return self._call_with_hooks(args, kwargs)
        return self._call_plain(args, kwargs)

    def _call_plain(self, args, kwargs):
        st = _state  # one global lookup: this runs for every layer of every step
        paths = getattr(st, "module_paths", None)
        path = paths.get(id(self)) if paths is not None else None
        if path is None:
            return self._call_as_root(args, kwargs)
        previous = st.scope
        st.scope = path
        try:
            if st.observers:
                return self._observed_forward(path, args, kwargs)
            return self.forward(*args, **kwargs)
        finally:
            st.scope = previous

    def _observed_forward(self, path, args, kwargs):
        for obs in _state.observers:
            obs.on_module_enter(self, path)
        out = self.forward(*args, **kwargs)
        for obs in _state.observers:
            obs.on_module_exit(self, path, out)
        return out

    def _call_as_root(self, args, kwargs):
        cache = self._path_cache
        prefix = _state.scope
        if cache is None or cache[0] != _structure_version[0] or cache[1] != prefix:
            paths = {}
            for name, m in self.named_modules():
                if id(m) not in paths:
                    paths[id(m)] = f"{prefix}.{name}" if prefix and name else (name or prefix)
            cache = (_structure_version[0], prefix, paths)
            object.__setattr__(self, "_path_cache", cache)
        outer = getattr(_state, "module_paths", None)
        _state.module_paths = cache[2]
        try:
            if not _state.observers:
                return self.forward(*args, **kwargs)
            return self._observed_forward(cache[2][id(self)], args, kwargs)
        finally:
            _state.module_paths = outer

    # ---- traversal ----------------------------------------------------------------------
    def named_modules(self, prefix=""):
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield name, m
            children = [(f"{name}.{k}" if name else k, c) for k, c in m._modules.items()]
            stack.extend(reversed(children))

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def children(self):
        yield from self._modules.values()

    def named_children(self):
        yield from self._modules.items()

    def apply(self, fn):
        """Call fn on every submodule (children first), then on self, as PyTorch."""
        for child in self._modules.values():
            child.apply(fn)
        fn(self)
        return self

    def named_parameters(self, prefix="", recurse=True):
        seen = set()
        for mname, m in (self.named_modules(prefix) if recurse else [(prefix, self)]):
            for pname, p in m._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mname}.{pname}" if mname else pname), p

    def parameters(self, recurse=True):
        """An iterator over the parameters, as PyTorch's (use list() to index it)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self):
        """(name, array) of every buffer (running statistics), as PyTorch names them."""
        for name, _, _, b in self._buffer_slots():
            yield name, b

    def buffers(self):
        for _, b in self.named_buffers():
            yield b

    def _buffer_slots(self):
        for mname, m in self.named_modules():
            for bname, b in m._buffers.items():
                yield (f"{mname}.{bname}" if mname else bname), m, bname, b

    # ---- modes and state ----------------------------------------------------------------
    def train(self, mode=True):
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            p.grad = None

    def state_dict(self):
        """name -> numpy array (parameters and buffers), with PyTorch's key names."""
        out = OrderedDict()
        seen = set()
        for mname, m in self.named_modules():  # PyTorch's order: per module, params then buffers
            prefix = f"{mname}." if mname else ""
            for pname, p in m._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    out[prefix + pname] = p.numpy().copy()
            for bname, b in m._buffers.items():
                out[prefix + bname] = (np.array(to_device(b, "cpu"), copy=True)
                                       if hasattr(b, "shape") else b)
        return out

    def load_state_dict(self, state, strict=True):
        """Copy arrays (numpy, CuPy, Tensors or torch tensors) into the parameters and
        buffers; shapes must match, and with strict=True the key sets too."""
        state = dict(state)
        own = dict(self.named_parameters())
        buffers = {name: (m, bname, b) for name, m, bname, b in self._buffer_slots()}
        missing = [k for k in list(own) + list(buffers) if k not in state]
        unexpected = [k for k in state if k not in own and k not in buffers]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        for name, p in own.items():
            if name in state:
                array = _as_numpy(state[name], name)
                if array.shape != p.array.shape:
                    raise ValueError(f"load_state_dict: '{name}' has shape {array.shape}, "
                                     f"the model expects {tuple(p.array.shape)}")
                p.array = to_device(array.astype(p.array.dtype), p.device)
        for name, (m, bname, b) in buffers.items():
            if name in state:
                array = _as_numpy(state[name], name)
                if hasattr(b, "shape"):
                    if array.shape != tuple(b.shape):
                        raise ValueError(f"load_state_dict: '{name}' has shape {array.shape}, "
                                         f"the model expects {tuple(b.shape)}")
                    array = to_device(array.astype(b.dtype), _device_of_array(b))
                m.register_buffer(bname, array)
        return missing, unexpected

    def to(self, *args, device=None, dtype=None, non_blocking=False):
        """`to(device)`, `to(dtype)` (floating parameters and buffers), `to(device, dtype)`."""
        from ..tensor_methods import is_dtype
        for a in args:
            if is_dtype(a):
                dtype = a
            else:
                device = a
        if dtype is not None:
            self._cast_floats(np.dtype(dtype))
        if device is None:
            return self
        for m in self.modules():
            for name, p in m._parameters.items():
                p.array = to_device(p.array, device)
                if p.grad is not None:
                    p.grad = Tensor._make(to_device(p.grad.array, device), False, None)
            for name, b in list(m._buffers.items()):
                if hasattr(b, "shape"):
                    m.register_buffer(name, to_device(b, device))
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def register_parameter(self, name, param):
        setattr(self, name, param)

    def double(self):
        """Floating-point parameters and buffers to float64 (for gradient checks)."""
        return self._cast_floats(np.float64)

    def float(self):
        return self._cast_floats(np.float32)

    def _cast_floats(self, dtype):
        for m in self.modules():
            for p in m._parameters.values():
                if p is not None and p.array.dtype.kind == "f":
                    p.array = p.array.astype(dtype)
                    p.grad = None
            for name, b in list(m._buffers.items()):
                if hasattr(b, "dtype") and b.dtype.kind == "f":
                    m.register_buffer(name, b.astype(dtype))
        return self

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child}")
        return lines[0] + ")" if len(lines) == 1 else "\n".join(lines) + "\n)"


def _device_of_array(array):
    from ..backend import device_of
    return device_of(array)


def _as_numpy(value, name):
    if isinstance(value, Tensor):
        return value.numpy()
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        return value.detach().cpu().numpy()
    from ..backend import to_numpy
    array = np.asarray(to_numpy(value))
    if array.dtype == object:
        raise TypeError(f"load_state_dict: '{name}' holds Python objects, not numbers")
    return array


class Sequential(Module):
    """Children named "0", "1", ...; forward runs them in order."""

    def __init__(self, *layers):
        super().__init__()
        for i, layer in enumerate(layers):
            setattr(self, str(i), layer)

    def forward(self, x):
        for layer in self._modules.values():
            x = layer(x)
        return x

    def __getitem__(self, i):
        items = list(self._modules.values())
        if isinstance(i, slice):
            return Sequential(*items[i])
        return items[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, layer):
        setattr(self, str(len(self._modules)), layer)
        return self


class ModuleList(Module):
    def __init__(self, modules=()):
        super().__init__()
        for i, m in enumerate(modules):
            setattr(self, str(i), m)

    def __getitem__(self, i):
        return list(self._modules.values())[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, m):
        setattr(self, str(len(self._modules)), m)
        return self


