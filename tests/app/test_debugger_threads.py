"""Commands from another thread at random moments: no deadlock, and the model ends exactly
where a plain run with the same number of completed iterations ends."""
import random
import threading
import time

import numpy as np
import pytest

from app.debugger import Debugger

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
