"""Commands from another thread at random moments: no deadlock, and the model ends exactly
where a plain run with the same number of completed iterations ends."""
import random
import threading
import time

import numpy as np
import pytest

from app.debugging.debugger import Debugger

from .debugger_setup import mlp_run, plain_training


@pytest.mark.parametrize("commands", [
    ("pause", "run", "run", "stop"),
    ("pause", "run", "stop", "reset", "step_op", "step_layer", "step_out", "step_phase",
     "step_iteration"),
])
def test_a_thousand_random_commands_from_another_thread(commands):
    d = Debugger(mlp_run())
    states = []
    d.subscribe(state_changed=lambda s: states.append(s.status))
    failures = []

    def commander():
        rng = random.Random(1234)
        try:
            for _ in range(1000):
                getattr(d, rng.choice(commands))()
                if rng.random() < 0.3:
                    time.sleep(rng.random() * 0.002)
        except Exception as exc:  # reported below: a command must never raise
            failures.append(exc)

    thread = threading.Thread(target=commander)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the commanding thread is stuck"
    for name in ("step_iteration", "step_iteration", "stop"):
        getattr(d, name)()
        assert d.wait(10), f"the debugger did not settle after {name} (deadlock?)"
    state = d.state()
    d.close()
    assert not failures and state.status == "stopped" and state.error is None
    assert state.completed >= 2 and {"running", "paused", "stopped"} <= set(states)
    assert d.history.iterations() == list(range(state.completed))

    reference = mlp_run()
    plain_training(reference, state.completed)
    for (name, p), q in zip(d.training.model.named_parameters(), reference.model.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=name)


def _whole_iteration_weights(runs):
    """{completed iterations: state dict} of a plain reference run, for 0..runs."""
    reference = mlp_run()
    weights = {0: reference.model.state_dict()}
    plain_training(reference, runs, after_each=lambda: weights.setdefault(
        len(weights), reference.model.state_dict()))
    return weights


def test_weights_read_while_running_are_those_of_whole_iterations():
    """between_updates from another thread while the worker runs freely: every copy is the
    reference run's weights after the iterations completed when it was taken, and most are
    taken by the worker at an iteration boundary."""
    d = Debugger(mlp_run())
    snapshot = (lambda: (d.state().completed, threading.current_thread().name,
                         d.training.model.state_dict()))
    d.run()
    try:
        copies = []
        for _ in range(40):
            copies.append(d.between_updates(snapshot, timeout=10))
            time.sleep(0.001)
    finally:
        d.stop()
        assert d.wait(10)
        d.close()
    reference = _whole_iteration_weights(max(c for c, _, _ in copies))
    for completed, _, state in copies:
        for name, array in state.items():
            np.testing.assert_array_equal(array, reference[completed][name], err_msg=name)
    assert len({c for c, _, _ in copies}) > 10, "the copies were not taken while it ran"
    assert sum(thread == Debugger.thread_name for _, thread, _ in copies) > 20


def test_weights_read_times_out_while_an_iteration_does_not_end():
    """A worker stuck inside an iteration: between_updates gives up with TimeoutError (an
    OSError, as a failed save is reported) and works again once the iteration ends."""
    run = mlp_run()
    gate, calls, loss_fn = threading.Event(), [], run.loss_fn

    def gated_loss(out, y):
        calls.append(1)
        if len(calls) == 3:
            gate.wait(10)
        return loss_fn(out, y)

    run.loss_fn = gated_loss
    d = Debugger(run)
    d.run()
    try:
        deadline = time.monotonic() + 10
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.001)
        with pytest.raises(OSError, match="finished no iteration within 0.1 s"):
            d.between_updates(lambda: d.state().completed, timeout=0.1)
        gate.set()
        assert d.between_updates(lambda: d.state().completed, timeout=10) >= 3
    finally:
        gate.set()
        d.stop()
        assert d.wait(10)
        d.close()
