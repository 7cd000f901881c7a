"""torch.cuda: whether a CUDA device answers (through CuPy), and how many."""
from .backend import cuda_available, cuda_status


def is_available():
    """True when CuPy is installed and a CUDA device answers."""
    return cuda_available()


def device_count():
    if not cuda_available():
        return 0
    from .backend import _cupy
    return int(_cupy.cuda.runtime.getDeviceCount())


def manual_seed(seed):
    """The engine draws every random number on the host: this seeds the engine's generator."""
    from .tensor import manual_seed as seed_all
    seed_all(seed)


manual_seed_all = manual_seed


def unavailable_reason():
    """Why CUDA is unavailable ("" when it is available)."""
    return cuda_status()[1]
