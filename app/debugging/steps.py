"""Run a session for N iterations while the Qt event loop keeps turning (used by the
command line's --steps and by the tests)."""
import time


def run_steps(app, session, iterations, timeout_s):
    """Step `iterations` training iterations; True when all ran, False when a breakpoint or
    an error stopped the run first or `timeout_s` passed."""
    deadline = time.monotonic() + timeout_s
    target = (session.state.completed if session.state is not None else 0) + iterations
    while session.state is None or session.state.completed < target:  # None: a script waits
        session.step("iteration")
        while not session.wait(0.005) and time.monotonic() < deadline:
            app.processEvents()
        session.pump()
        if session.state is None:  # the script's build failed: the hits say why
            return False
        hit = session.state.last_hit
        if hit is None or hit.kind != "step_iteration" or time.monotonic() > deadline:
            return session.state.completed >= target
    return True
