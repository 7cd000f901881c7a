"""Device faults the user can meet, as messages and an offer: a project asks for the GPU
where CuPy or a CUDA device is missing, or a run (or a build) runs out of memory. Each gives
a Fault whose message says what happened and whose offer is to run on the CPU; `on_cpu` is
the project with that one change, and Session.switch_to_cpu applies it keeping the trained
weights.

An optimizer step is all or nothing by itself (engine/optim/optimizer.py plans every parameter's
update before writing any), so a run that runs out of memory in its update keeps the weights
of the last completed iteration.
"""
import copy
from dataclasses import dataclass

from engine.backend import cuda_status

OUT_OF_MEMORY = "Out of memory"
CPU_OFFER = "Run on CPU"


@dataclass(frozen=True)
class Fault:
    """A device fault: its kind ("gpu_unavailable" or "out_of_memory"), message and offer."""
    kind: str  # "gpu_unavailable" or "out_of_memory"
    message: str
    offer: str = CPU_OFFER


def gpu_reason():
    """Why the GPU cannot be used, in a few words, or "" when it can."""
    available, reason = cuda_status()
    if available:
        return ""
    if not reason or reason.startswith("CuPy is not installed"):
        return "CuPy is not installed"
    return reason


def failure_message(exc, device="cpu", building=False):
    """The message of an error that ended a run (or a build): for running out of memory,
    where (op, layer, phase, shapes: the engine's text), the memory asked, what was kept and
    what to do; otherwise the error's type and text."""
    if not isinstance(exc, MemoryError):
        return f"{type(exc).__name__}: {exc}"
    where = "GPU" if (getattr(exc, "device", None) or device) == "cuda" else "host"
    advice = ("run on CPU, or lower the batch size" if where == "GPU"
              else "lower the batch size or the layer sizes")
    text = str(exc) or "the allocator gave no details"
    kept = ("The project could not be built and is unchanged" if building else
            "The run stopped; the weights are those of the last completed iteration and the "
            "project is unchanged")
    return f"{OUT_OF_MEMORY} ({where}): {text}. {kept}: {advice}."


def is_out_of_memory(message):
    """Whether an error message says the run ran out of memory."""
    return bool(message) and message.startswith(OUT_OF_MEMORY)


def current_fault(project, error):
    """The Fault to show for `project` and the debugger's (or build's) error text, or None."""
    if project is None:
        return None
    on_gpu = project.train.device == "cuda"
    if on_gpu:
        reason = gpu_reason()
        if reason:
            return Fault("gpu_unavailable", f"GPU unavailable: {reason} \u2014 run on CPU?")
    if is_out_of_memory(error):
        return Fault("out_of_memory", error, CPU_OFFER if on_gpu else "")
    return None


def on_cpu(project):
    """A copy of `project` that trains on the CPU."""
    changed = copy.deepcopy(project)
    changed.train.device = "cpu"
    return changed
