"""Every breakpoint kind hits at the right place; first-NaN blame names the right node."""
import numpy as np
import pytest

import engine as sg
from app.debugging.breakpoints import Breakpoint
from app.debugging.debugger import Debugger
from engine import nn

from .debugger_setup import command, mlp_run, plain_training


@pytest.fixture
def debugger():
    made = []

    def make(run, *breakpoints):
        made.append(Debugger(run))
        made[-1].set_breakpoints(breakpoints)
        return made[-1]
    yield make
    for d in made:
        d.close()


def where(state):
    h = state.last_hit
    return h.kind, h.iteration, h.phase, h.key


def test_node_breakpoint_hits_forward_and_backward(debugger):
    d = debugger(mlp_run(), Breakpoint.node("2/linear#0"))
    assert where(command(d, "run")) == ("node", 0, "forward", "2/linear#0")
    assert where(command(d, "run")) == ("node", 0, "backward", "2/linear#0")
    assert where(command(d, "run")) == ("node", 1, "forward", "2/linear#0")
    d.set_breakpoints([Breakpoint.node("2/linear#0", "backward")])
    assert where(command(d, "run")) == ("node", 1, "backward", "2/linear#0")
    assert where(command(d, "run")) == ("node", 2, "backward", "2/linear#0")


def test_layer_breakpoint_hits_where_the_layer_is_entered(debugger):
    model = nn.Sequential(nn.Linear(2, 4), nn.Sequential(nn.Linear(4, 4), nn.Tanh()),
                          nn.Linear(4, 2))
    d = debugger(mlp_run(model=model), Breakpoint.layer("1"))
    assert where(command(d, "run")) == ("layer", 0, "forward", "1.0/linear#0")
    assert where(command(d, "run")) == ("layer", 0, "backward", "1.1/tanh#0")
    assert where(command(d, "run")) == ("layer", 1, "forward", "1.0/linear#0")
    d.set_breakpoints([Breakpoint.layer("2", "backward")])  # "1" off, "2" on
    assert where(command(d, "run")) == ("layer", 1, "backward", "2/linear#0")


def test_iteration_breakpoint(debugger):
    d = debugger(mlp_run(), Breakpoint.iteration(3))
    s = command(d, "run")
    assert where(s) == ("iteration", 3, "forward", "0/linear#0") and s.completed == 3


def test_gradient_norm_of_parameters_and_of_a_node(debugger):
    run = mlp_run()
    d = debugger(run, Breakpoint.grad_norm(1e9), Breakpoint.iteration(2))
    assert where(command(d, "run"))[0] == "iteration"
    d.set_breakpoints([Breakpoint.grad_norm(0.0)])
    s = command(d, "run")
    assert where(s) == ("grad_norm", 2, "backward", "0/linear#0")
    assert s.position.event == "phase_end"
    norm = np.sqrt(sum((p.grad.array.astype(np.float64) ** 2).sum() for p in run.model.parameters()))
    assert f"parameter gradient norm {norm:.4g} is above 0" in s.last_hit.message
    d.set_breakpoints([Breakpoint.grad_norm(0.0, where="3")])
    s = command(d, "run")
    assert where(s) == ("grad_norm", 3, "backward", "3/relu#0")
    g = d.grad("3/relu#0")
    assert s.last_hit.details["stats"]["norm"] == pytest.approx(np.linalg.norm(g), rel=1e-5)


def test_dead_relu_fraction(debugger):
    run = mlp_run()
    b = run.model[2].bias
    b.array[:5] = -100.0  # 5 of 8 units of layer 3 never fire
    d = debugger(run, Breakpoint.dead_relu(0.5), Breakpoint.iteration(1))
    s = command(d, "run")
    assert where(s) == ("dead_relu", 0, "forward", "3/relu#0")
    assert "62%" in s.last_hit.message or "63%" in s.last_hit.message
    d.set_breakpoints([Breakpoint.dead_relu(0.7), Breakpoint.iteration(2)])
    assert where(command(d, "run"))[0] == "iteration"


def test_loss_above_the_maximum_of_the_last_k_iterations(debugger):
    run = mlp_run()
    scale = iter([1.0, 1.0, 1.0, 50.0] + [1.0] * 10)
    base = run.loss_fn
    run.loss_fn = lambda out, y: base(out, y) * next(scale)
    d = debugger(run, Breakpoint.loss_spike(3))
    s = command(d, "run")
    assert where(s) == ("loss_spike", 3, "forward", "loss/mul#0")
    assert s.position.event == "phase_end" and s.completed == 3


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_first_non_finite_log_of_a_non_positive_value(debugger):
    class Log(nn.Module):
        def forward(self, x):
            return x.log()

    model = nn.Sequential(nn.Linear(2, 4), Log(), nn.Linear(4, 2))
    d = debugger(mlp_run(model=model), Breakpoint.non_finite())
    s = command(d, "run")
    assert where(s) == ("non_finite", 0, "forward", "1/log#0")
    (source,) = s.last_hit.details["inputs"]
    assert source["key"] == "0/linear#0" and source["min"] < 0 and source["nonfinite"] == 0
    assert s.last_hit.details["stats"]["nonfinite"] > 0


class FirstNonFinite(sg.Observer):
    """Reference: the first (iteration, phase, key) whose output or gradient is not finite."""

    def __init__(self):
        self.iteration, self.counts, self.keys, self.first = 0, {}, {}, None

    def next_iteration(self):
        self.iteration += 1
        self.counts = {}

    def _see(self, phase, key, array):
        if self.first is None and not np.isfinite(array).all():
            self.first = (self.iteration, phase, key)

    def on_forward(self, node):
        k = self.counts.get((node.scope, node.op), 0)
        self.counts[(node.scope, node.op)] = k + 1
        self.keys[node.id] = f"{node.scope}/{node.op}#{k}"
        self._see("forward", self.keys[node.id], node.output.array)

    def on_backward(self, node, grad):
        self._see("backward", self.keys[node.id], grad.array)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_first_non_finite_of_an_exploding_learning_rate(debugger):
    reference, ref = mlp_run(sizes=(2, 32, 32, 2), lr=1e3), FirstNonFinite()
    with sg.observe(ref):
        plain_training(reference, 10, after_each=ref.next_iteration)
    assert ref.first is not None and ref.first[0] > 0  # finite at first, then it explodes
    d = debugger(mlp_run(sizes=(2, 32, 32, 2), lr=1e3), Breakpoint.non_finite())
    s = command(d, "run")
    assert where(s) == ("non_finite",) + ref.first
    assert s.completed == ref.first[0]
    assert np.isfinite(d.history.stats("0/linear#0")["max"][:ref.first[0]]).all()
    assert {i["key"] for i in s.last_hit.details["inputs"]} >= {"1/relu#0"}


@pytest.mark.parametrize("kwargs", [dict(kind="nope"), dict(kind="node"),
                                    dict(kind="node", target="a", phase="sideways"),
                                    dict(kind="iteration", threshold=-1),
                                    dict(kind="loss_spike", threshold=0),
                                    dict(kind="grad_norm", threshold=float("nan"))])
def test_invalid_breakpoints_are_refused(kwargs):
    with pytest.raises(ValueError):
        Breakpoint(**kwargs)


def test_values_of_free_iterations_and_of_a_stop_in_backward_are_in_the_history(debugger):
    """Running freely, an iteration's values are recorded with its gradients (one call);
    a stop in backward records the values first, so the history has them while paused."""
    d = debugger(mlp_run(), Breakpoint.iteration(3))
    command(d, "run")
    keys = ["0/linear#0", "1/relu#0", "2/linear#0", "3/relu#0", "4/linear#0",
            "loss/cross_entropy#0"]
    for it in range(3):
        for kind in ("value", "grad"):
            assert set(d.history.stats_of_iteration(it, kind)) == set(keys), (it, kind)
    d.set_breakpoints([Breakpoint.node("2/linear#0", "backward")])
    state = command(d, "run")
    assert where(state) == ("node", 3, "backward", "2/linear#0")
    for key in keys:
        np.testing.assert_array_equal(d.history.tensor(key, 3), d.value(key))
    reached = set(d.history.stats_of_iteration(3, "grad"))
    assert reached == set() or "2/linear#0" in reached
