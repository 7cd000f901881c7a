"""torch.save / torch.load without pickle: nested dicts, lists and tuples of tensors, numpy
arrays, numbers, strings and None, stored as one .npz file (the arrays) holding a JSON
document (the structure). Loading executes nothing, like torch.load(weights_only=True)."""
import json
import os
import tempfile

import numpy as np

from .tensor import Tensor

_FORMAT = "engine-save-1"


def save(obj, f):
    """Write `obj` to the path or binary file `f` (written to a temporary file and renamed
    when f is a path)."""
    arrays = {}
    doc = json.dumps({"format": _FORMAT, "root": _encode(obj, arrays)})
    payload = dict(arrays, __structure__=np.frombuffer(doc.encode(), np.uint8))
    if hasattr(f, "write"):
        np.savez(f, **payload)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **payload)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load(f, map_location=None, weights_only=True):
    """Read what save() wrote; tensors come back as engine Tensors on `map_location`
    (default the CPU), numpy arrays as arrays."""
    with np.load(f, allow_pickle=False) as data:
        if "__structure__" not in data.files:
            raise ValueError("load: not a file written by engine.save (no structure record)")
        doc = json.loads(data["__structure__"].tobytes().decode())
        if doc.get("format") != _FORMAT:
            raise ValueError(f"load: unknown format {doc.get('format')!r}")
        arrays = {k: data[k] for k in data.files if k != "__structure__"}
    device = str(map_location) if map_location is not None else "cpu"
    return _decode(doc["root"], arrays, device)


def _encode(obj, arrays):
    if isinstance(obj, Tensor):
        key = f"a{len(arrays)}"
        arrays[key] = obj.numpy()
        return {"tensor": key, "requires_grad": bool(obj.requires_grad)}
    if isinstance(obj, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = obj
        return {"array": key}
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, dict):
        return {"dict": [[_encode(k, arrays), _encode(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"tuple" if isinstance(obj, tuple) else "list": [_encode(v, arrays) for v in obj]}
    raise TypeError(f"save: cannot store a {type(obj).__name__} (tensors, arrays, numbers, "
                    "strings, None and dicts, lists and tuples of them only; no pickle)")


def _decode(node, arrays, device):
    if not isinstance(node, dict):
        return node
    if "tensor" in node:
        return Tensor(arrays[node["tensor"]], device=device, requires_grad=node["requires_grad"])
    if "array" in node:
        return arrays[node["array"]]
    if "dict" in node:
        return {_freeze(_decode(k, arrays, device)): _decode(v, arrays, device)
                for k, v in node["dict"]}
    if "list" in node:
        return [_decode(v, arrays, device) for v in node["list"]]
    return tuple(_decode(v, arrays, device) for v in node["tuple"])


def _freeze(key):
    return tuple(key) if isinstance(key, list) else key
