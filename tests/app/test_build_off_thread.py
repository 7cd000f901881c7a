"""Projects are built on a worker thread (issue 23): with `build_wait_s=0`, set_project and
the first Run of a script return at once; the build ends on its worker, the pump (or wait)
installs it and a command sent meanwhile runs then; Stop interrupts a script still
building; a newer project makes an older build's result stale."""
import threading
import time

import pytest

import app.project.build_job as build_job

from app.project.presets import load_preset
from app.session import Session

from .test_script_model import script_project

GATED = """
import os
import time


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        while not os.path.exists({gate!r}):  # the test opens the gate
            time.sleep(0.01)
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return self.fc(x)
"""


@pytest.fixture
def session():
    s = Session(build_wait_s=0)
    yield s
    s.close()


def gated_project(tmp_path):
    gate = tmp_path / "gate"
    return script_project(GATED.format(gate=str(gate))), gate


def build_threads():
    return [t for t in threading.enumerate() if t.name == "stepgraph-build"]


def settled(session, timeout=10.0):
    """The session's state once the build and the command sent are done."""
    assert session.wait(timeout)
    session.pump()
    return session.state


def wait_for(condition, timeout=10.0):
    end = time.monotonic() + timeout
    while not condition() and time.monotonic() < end:
        time.sleep(0.01)
    return condition()


def test_a_script_builds_on_a_worker_and_a_step_sent_meanwhile_runs_then(session, tmp_path):
    project, gate = gated_project(tmp_path)
    session.set_project(project)
    session.step("iteration")  # returns while the script's __init__ waits
    assert session.building and session.built is None and session.run_blocker() == ""
    assert build_threads()
    gate.write_text("open")
    assert settled(session).completed == 1 and not session.building


def test_stop_interrupts_a_script_still_building_and_run_builds_it_again(session, tmp_path):
    project, gate = gated_project(tmp_path)
    session.set_project(project)
    session.run()
    assert session.building
    session.stop()
    assert not session.building and "stopped" in session.build_error
    assert wait_for(lambda: not build_threads())  # the loop in __init__ was interrupted
    gate.write_text("open")
    session.step("iteration")
    assert settled(session).completed == 1


def test_a_newer_project_makes_an_older_build_stale(session, tmp_path):
    project, _ = gated_project(tmp_path)  # its gate never opens
    session.set_project(project)
    session.run()
    assert session.building
    session.set_project(load_preset("xor"))  # the script's build is interrupted and dropped
    state = settled(session)
    assert type(session.built.model).__name__ == "Sequential"
    assert state.status == "stopped" and state.completed == 0  # the Run was the old one's
    assert wait_for(lambda: not build_threads())


def test_a_layer_project_builds_off_the_caller_thread_too(session, monkeypatch):
    threads = []

    def build(project):
        threads.append(threading.current_thread().name)
        return real_build(project)
    real_build = build_job.build
    monkeypatch.setattr(build_job, "build", build)
    session.set_project(load_preset("spirals"))
    assert session.run_blocker() == ""  # building or built: Run is offered either way
    session.step("iteration")
    assert settled(session).completed == 1
    assert session.pump() is not None and not session.building
