"""Device faults, headless: the GPU asked for where CuPy or CUDA is missing (simulated by
replacing the backend's CuPy handle), and out of memory injected in the engine during a run
(forward, backward, parameter update): a clear message, a stopped debugger that takes the
next command, the weights of the last completed iteration, the project unchanged, CPU offered."""
import copy
import types

import numpy as np
import pytest

import engine as sg
from app.debugging import faults
from app.debugging.faults import current_fault, failure_message, on_cpu
from app.project.presets import load_preset
from app.session import Session
from engine import backend, nn
from engine.backend import OutOfMemoryError
from engine.testing import inject_out_of_memory


@pytest.fixture
def session():
    s = Session()
    yield s
    s.close()


@pytest.fixture
def no_cupy(monkeypatch):
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setattr(backend, "_cupy_error", "CuPy is not installed (ModuleNotFoundError: "
                        "No module named 'cupy'); install the 'gpu' extra")
    monkeypatch.setattr(backend, "_cuda_status", None)


def fake_cupy(device_count):
    """A stand-in for the cupy module whose runtime reports `device_count` devices (an
    exception instance is raised instead)."""
    def count():
        if isinstance(device_count, Exception):
            raise device_count
        return device_count
    runtime = types.SimpleNamespace(getDeviceCount=count)
    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime), ndarray=type(None))


def edit_of(session):
    """What the window's undoable edit does, headless."""
    return lambda project, description, merge: session.set_project(project, keep_path=True)


def steps(session, n):
    for _ in range(n):
        session.step("iteration")
        assert session.debugger.wait(10)
    session.pump()
    return session.state


def weights(session):
    return {k: v.copy() for k, v in session.built.model.state_dict().items()}


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


# ---- the GPU is missing ------------------------------------------------------------------
def test_a_cuda_project_without_cupy_says_so_and_offers_the_cpu(session, no_cupy):
    project = load_preset("xor")
    project.train.device = "cuda"
    session.set_project(project)
    fault = session.fault
    assert fault.kind == "gpu_unavailable"
    assert fault.message == "GPU unavailable: CuPy is not installed \u2014 run on CPU?"
    assert fault.offer == "Run on CPU"
    assert "device 'cuda' is unavailable" in session.run_blocker()
    assert session.switch_to_cpu(edit_of(session))
    assert session.project.train.device == "cpu" and session.fault is None
    assert steps(session, 2).completed == 2


@pytest.mark.parametrize("answer, reason", [
    (0, "CuPy found no CUDA device"),
    (RuntimeError("cudaErrorInsufficientDriver"), "CuPy cannot reach a CUDA device: "
                                                   "cudaErrorInsufficientDriver"),
])
def test_cupy_without_a_cuda_device_names_why(session, monkeypatch, answer, reason):
    monkeypatch.setattr(backend, "_cupy", fake_cupy(answer))
    monkeypatch.setattr(backend, "_cuda_status", None)
    project = load_preset("spirals")
    project.train.device = "cuda"
    session.set_project(project)
    assert session.fault.message == f"GPU unavailable: {reason} \u2014 run on CPU?"
    assert session.debugger is None
    with pytest.raises(RuntimeError, match="unavailable"):
        session.run()


# ---- out of memory in the engine ----------------------------------------------------------
def test_an_injected_fault_names_the_op_layer_shapes_and_memory_then_goes_away():
    sg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    x = sg.randn(4, 3)
    with inject_out_of_memory(after=2, nbytes=3 << 20) as seen:
        with pytest.raises(OutOfMemoryError) as info:
            model(x)
    error = info.value
    assert (error.op, error.scope, error.phase, error.device) == ("linear", "2", "forward", "cpu")
    assert error.shapes == ((4, 5), (2, 5), (2,))
    assert "linear in layer '2' (forward, input shapes (4, 5), (2, 5), (2,)) on cpu" in str(error)
    assert "Out of memory allocating 3,145,728 bytes" in str(error)
    assert seen["raised"] == 1
    assert model(x).shape == (4, 2)  # the methods are restored after the block


def test_an_injected_backward_fault_names_the_backward_op():
    sg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    loss = model(sg.randn(2, 3)).sum()
    with inject_out_of_memory(after=0, where="backward"):
        with pytest.raises(OutOfMemoryError, match=r"\(backward, input shapes \(2, 4\)\)") as info:
            loss.backward()
    assert info.value.phase == "backward" and info.value.op == "sum"


# ---- out of memory during a debugger run --------------------------------------------------
@pytest.mark.parametrize("where, after, phase", [("forward", 3, "forward"),
                                                 ("backward", 2, "backward"),
                                                 ("update", 3, "update")])
def test_out_of_memory_stops_the_run_and_keeps_everything(session, where, after, phase):
    project = load_preset("spirals")
    session.set_project(project)
    reference = Session()
    reference.set_project(project)
    try:
        steps(session, 3)
        kept, saved_project = weights(session), copy.deepcopy(session.project)
        with inject_out_of_memory(after=after, where=where, nbytes=5 << 30) as seen:
            session.step("iteration")
            assert session.debugger.wait(10)
        session.pump()
        state = session.state
        assert seen["raised"] == 1
        assert state.status == "stopped" and state.completed == 3
        assert faults.is_out_of_memory(state.error)
        assert "5,368,709,120 bytes" in state.error and "(host)" in state.error
        if phase != "update":
            assert f"({phase}, input shapes (" in state.error and "in layer '" in state.error
        assert session.hits[-1].kind == "error" and session.hits[-1].message == state.error
        assert session.fault.kind == "out_of_memory" and session.fault.offer == ""
        assert_same_weights(kept, weights(session))
        assert session.project == saved_project
        # a later command works, and redoes the abandoned iteration with the same batch
        assert steps(session, 2).completed == 5 and session.state.error is None
        assert session.fault is None
        steps(reference, 5)
        assert [loss for _, loss in session.losses] == [loss for _, loss in reference.losses]
        assert_same_weights(weights(reference), weights(session))
    finally:
        reference.close()


def test_out_of_memory_on_the_gpu_offers_the_cpu(monkeypatch):
    monkeypatch.setattr(backend, "_cuda_status", (True, ""))
    project = on_cpu(load_preset("xor"))
    project.train.device = "cuda"
    error = OutOfMemoryError("matmul in layer '0' (forward, input shapes (4096, 2), (2, 8)) on "
                             "cuda: Out of memory allocating 1,073,741,824 bytes",
                             "matmul", "0", "forward", ((4096, 2), (2, 8)), "cuda")
    message = failure_message(error)
    assert message.startswith("Out of memory (GPU): matmul in layer '0'")
    assert "run on CPU, or lower the batch size" in message
    fault = current_fault(project, message)
    assert fault.kind == "out_of_memory" and fault.offer == "Run on CPU"
    assert on_cpu(project).train.device == "cpu" and project.train.device == "cuda"


def test_switching_to_cpu_keeps_the_trained_weights(session, monkeypatch):
    session.set_project(load_preset("xor"))
    steps(session, 4)
    trained = weights(session)
    assert session.switch_to_cpu(edit_of(session))
    assert_same_weights(trained, weights(session))
    assert steps(session, 1).completed == 1


def test_out_of_memory_while_building_is_a_message_not_a_crash(session, monkeypatch):
    def build(project):
        raise MemoryError("Unable to allocate 7.45 GiB for an array with shape (1000000000, 2) "
                          "and data type float32")
    monkeypatch.setattr("app.project.build_job.build", build)
    session.set_project(load_preset("xor"))
    assert session.debugger is None
    assert session.build_error.startswith("Out of memory (host): Unable to allocate 7.45 GiB")
    assert "could not be built and is unchanged" in session.build_error
    assert session.fault.kind == "out_of_memory"
    assert "7.45 GiB" in session.run_blocker()


def test_other_errors_keep_their_type_and_text():
    assert failure_message(ValueError("bad")) == "ValueError: bad"
    assert not faults.is_out_of_memory("ValueError: bad")
    assert current_fault(None, "Out of memory (host): x") is None


def test_out_of_memory_in_static_mode_stops_with_the_same_message(session, monkeypatch):
    project = load_preset("xor")
    project.train.mode = "static"
    session.set_project(project)
    steps(session, 1)

    def iteration():
        raise MemoryError("Out of memory allocating 4,096 bytes")
    monkeypatch.setattr(session.debugger, "_iteration", iteration)
    session.step("iteration")
    assert session.debugger.wait(10)
    session.pump()
    assert session.state.status == "stopped" and session.state.completed == 1
    assert session.state.error.startswith("Out of memory (host): Out of memory allocating 4,096")
    assert session.fault.kind == "out_of_memory"
    monkeypatch.undo()
    assert steps(session, 1).completed == 2
