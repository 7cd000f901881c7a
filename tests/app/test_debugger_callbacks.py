"""The debugger's callbacks (`subscribe`), headless: each runs on the worker thread and
carries what the views need (the hit, the state, the iteration's loss, the error's message).
The session turns them into what widgets read; no Qt adapter is needed."""
import threading

import pytest

from app.debugging.breakpoints import Hit
from app.debugging.debugger import Debugger
from engine import nn

from tests.app.debugger_setup import mlp_run


@pytest.fixture
def debugger():
    made = []

    def make(run):
        made.append(Debugger(run))
        return made[-1]
    yield make
    for d in made:
        d.close()


def test_stopped_and_state_changed_run_on_the_worker_thread(debugger):
    d = debugger(mlp_run())
    hits, threads, states = [], [], []
    d.subscribe(stopped=lambda hit: (hits.append(hit), threads.append(threading.current_thread())),
                state_changed=states.append)
    d.step_op()
    assert d.wait(5)
    assert len(hits) == 1 and isinstance(hits[0], Hit)
    assert (hits[0].kind, hits[0].key) == ("step_op", "0/linear#0")
    assert threads and threads[0] is not threading.main_thread()
    d.step_layer()
    assert d.wait(5)
    paused = [s for s in states if s.generation == 2 and s.status == "paused"]
    assert paused and paused[-1].position.layer_done == "0"


def test_iteration_finished_carries_the_loss(debugger):
    d = debugger(mlp_run())
    finished = []
    d.subscribe(iteration_finished=lambda i, loss: finished.append((i, loss)))
    d.step_iteration()
    assert d.wait(5)
    assert finished == [(0, d.state().loss)] and finished[0][1] > 0


def test_error_carries_the_message(debugger):
    d = debugger(mlp_run(model=nn.Sequential(nn.Linear(3, 2))))
    errors = []
    d.subscribe(error=errors.append)
    d.run()
    assert d.wait(5)
    assert len(errors) == 1
    assert "linear in '0'" in errors[0] and "(16, 2)" in errors[0]
