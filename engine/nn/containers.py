"""ModuleDict, ParameterList and ParameterDict (PyTorch's containers besides Sequential and
ModuleList)."""
from .module import Module, Parameter


class ModuleDict(Module):
    """Submodules by name, in insertion order."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key): return self._modules[key]
    def __setitem__(self, key, module): setattr(self, key, module)
    def __delitem__(self, key): delattr(self, key)
    def __len__(self): return len(self._modules)
    def __iter__(self): return iter(self._modules)
    def __contains__(self, key): return key in self._modules
    def keys(self): return self._modules.keys()
    def items(self): return self._modules.items()
    def values(self): return self._modules.values()

    def update(self, modules):
        items = modules.items() if hasattr(modules, "items") else modules
        for key, module in items:
            setattr(self, key, module)

    def pop(self, key):
        module = self._modules[key]
        delattr(self, key)
        return module


class ParameterList(Module):
    """Parameters named "0", "1", ... (plain tensors are wrapped in Parameter)."""

    def __init__(self, values=None):
        super().__init__()
        for v in values or ():
            self.append(v)

    def append(self, value):
        setattr(self, str(len(self._parameters)),
                value if isinstance(value, Parameter) else Parameter(value))
        return self

    def extend(self, values):
        for v in values:
            self.append(v)
        return self

    def __getitem__(self, i):
        return list(self._parameters.values())[i]

    def __setitem__(self, i, value):
        setattr(self, str(i % len(self)), value if isinstance(value, Parameter) else Parameter(value))

    def __len__(self): return len(self._parameters)
    def __iter__(self): return iter(self._parameters.values())


class ParameterDict(Module):
    """Parameters by name."""

    def __init__(self, parameters=None):
        super().__init__()
        items = parameters.items() if hasattr(parameters, "items") else (parameters or ())
        for key, value in items:
            self[key] = value

    def __getitem__(self, key): return self._parameters[key]

    def __setitem__(self, key, value):
        setattr(self, key, value if isinstance(value, Parameter) else Parameter(value))

    def __len__(self): return len(self._parameters)
    def __iter__(self): return iter(self._parameters)
    def __contains__(self, key): return key in self._parameters
    def keys(self): return self._parameters.keys()
    def items(self): return self._parameters.items()
    def values(self): return self._parameters.values()
