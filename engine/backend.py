"""Array-module selection: numpy on the CPU, CuPy on a CUDA device when one answers."""
import numpy as np

try:  # CuPy is an optional extra (`stepgraph[gpu]`).
    import cupy as _cupy
except Exception as exc:  # ImportError, or a broken CUDA install
    _cupy = None
    _cupy_error = f"CuPy is not installed ({type(exc).__name__}: {exc}); install the 'gpu' extra"
else:
    _cupy_error = None

_cuda_status = None  # cached (available: bool, reason: str)


class DeviceError(RuntimeError):
    """A device is unavailable, or tensors on different devices were mixed."""


class OutOfMemoryError(MemoryError):
    """An op ran out of device memory. CuPy's allocator error and numpy's are MemoryErrors;
    the dispatch point (autograd) re-raises them as this, naming the op, the layer (scope),
    the phase, the input shapes and the device, with the allocator's text (the memory asked)."""

    def __init__(self, message, op=None, scope="", phase=None, shapes=(), device="cpu"):
        super().__init__(message)
        self.op, self.scope, self.phase = op, scope, phase
        self.shapes, self.device = tuple(shapes), device


def cuda_status():
    """(available, reason): whether a CUDA device answers through CuPy, and why not."""
    global _cuda_status
    if _cuda_status is None:
        if _cupy is None:
            _cuda_status = (False, _cupy_error)
        else:
            try:
                count = _cupy.cuda.runtime.getDeviceCount()
                _cuda_status = (count > 0, "" if count else "CuPy found no CUDA device")
            except Exception as exc:
                _cuda_status = (False, f"CuPy cannot reach a CUDA device: {exc}")
    return _cuda_status


def cuda_available():
    """True when CuPy is installed and a CUDA device answers."""
    return cuda_status()[0]


def get_array_module(array):
    """numpy or cupy, whichever owns `array` (DeZero's get_array_module)."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy
    return np


def device_of(array):
    return "cuda" if _cupy is not None and isinstance(array, _cupy.ndarray) else "cpu"


def check_device(device):
    """Normalise a device name ("cpu", "cuda", "cuda:0", "gpu") and check it can be used."""
    name = str(device).lower()
    if name in ("cpu",):
        return "cpu"
    if name in ("cuda", "gpu") or name.startswith("cuda:"):
        ok, reason = cuda_status()
        if not ok:
            raise DeviceError(f"device 'cuda' is unavailable: {reason}")
        return "cuda"
    raise DeviceError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")


def to_device(array, device):
    """Copy `array` to `device` ("cpu" or "cuda"); a no-op when it is already there."""
    device = check_device(device)
    if device == "cpu":
        return _cupy.asnumpy(array) if device_of(array) == "cuda" else np.asarray(array)
    return _cupy.asarray(array)


def to_numpy(array):
    return _cupy.asnumpy(array) if device_of(array) == "cuda" else array
