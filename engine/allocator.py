"""Keep the memory of freed arrays for the next op (glibc only).

numpy asks malloc for each op's output. glibc serves a block of 128 KB or more (a 64 x 512
float32 array) with fresh pages from mmap and returns them to the system when the array
is freed, so the next op's output faults its pages in again. In a virtual machine that
costs more than the op itself (a 64 x 512 add: ~36 us instead of ~3), and glibc's own
adaptive threshold makes it differ from process to process: the same LSTM step took 12 or
21 ms, and the CNN of benchmarks/train.py 105 or 82 ms. PyTorch avoids it with its caching
allocators; here malloc is told to keep blocks up to 32 MB on its heap and to return free
memory to the system only past 256 MB (a step's activations, freed together: with 64 MB
the CNN's step still faulted them in again; its peak memory is the same either way)."""
import ctypes
import ctypes.util
import os
import sys

MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 256 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


def keep_freed_memory():
    """Set glibc's thresholds once; True where they were set. Left alone elsewhere, and
    where the user set them (MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_)."""
    if not sys.platform.startswith("linux") or any(
            name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
