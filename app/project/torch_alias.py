"""`torch` as a name for the engine inside a script (the Script tab speaks PyTorch).

The script runs with a copy of the builtins whose `__import__` maps `torch` to `engine` and
`torch.X.Y` to `engine.X.Y` (`import torch`, `import torch.nn as nn`,
`from torch.utils.data import DataLoader`), and passes every other import to Python's own.
Nothing named `torch` enters sys.modules, so a real PyTorch in the same process is untouched.
"""
import builtins

ALIAS, TARGET = "torch", "engine"


def engine_name(name):
    """The engine module standing for `name` (torch or torch.X...), or None for any other."""
    if name == ALIAS or name.startswith(ALIAS + "."):
        return TARGET + name[len(ALIAS):]
    return None


def _missing(mapped, exc):
    """True when `exc` says `mapped` itself (or a package on its path) does not exist, not
    that something the engine imports is missing."""
    return exc.name is not None and (mapped == exc.name or mapped.startswith(exc.name + "."))


def torch_import(name, globals=None, locals=None, fromlist=(), level=0):
    """`__import__` with torch mapped to engine; any other import as Python does it."""
    mapped = engine_name(name) if level == 0 else None
    if mapped is None:
        return builtins.__import__(name, globals, locals, fromlist, level)
    try:
        return builtins.__import__(mapped, globals, locals, fromlist, level)
    except ModuleNotFoundError as exc:
        if not _missing(mapped, exc):
            raise
        raise ModuleNotFoundError(f"{name}: the engine has no such module (the Script tab "
                                  f"maps {ALIAS} to {TARGET})", name=name) from None


def script_builtins():
    """A fresh copy of the builtins whose `__import__` is torch_import."""
    namespace = dict(vars(builtins))
    namespace["__import__"] = torch_import
    return namespace
