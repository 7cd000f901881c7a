"""Each step mode of the debugger stops where an IDE user expects, on small MLPs."""
import numpy as np
import pytest

import engine as sg
from app.debugging.breakpoints import Breakpoint
from app.debugging.debugger import Debugger
from app.debugging.statistics import STAT_NAMES
from engine import nn

from .debugger_setup import command, mlp_run, plain_training


class EventLog(sg.Observer):
    """Reference: every op event of a plain run, keyed independently of app.debugging.node_keys."""

    def __init__(self):
        self.events, self.counts, self.keys = [], {}, {}

    def on_forward(self, node):
        k = self.counts.get((node.scope, node.op), 0)
        self.counts[(node.scope, node.op)] = k + 1
        self.keys[node.id] = f"{node.scope}/{node.op}#{k}"
        self.events.append(("forward", self.keys[node.id]))

    def on_backward(self, node, grad):
        self.events.append(("backward", self.keys[node.id]))


def reference_events(run):
    log = EventLog()
    with sg.observe(log):
        plain_training(run, 1)
    return log.events


@pytest.fixture
def debugger():
    made = []

    def make(run):
        made.append(Debugger(run))
        return made[-1]
    yield make
    for d in made:
        d.close()


def stops(d, mode, count):
    out = []
    for _ in range(count):
        s = command(d, mode)
        assert s.status == "paused"
        out.append(s.position)
    return out


def test_step_op_visits_every_op_event_in_order(debugger):
    expected = reference_events(mlp_run())
    d = debugger(mlp_run())
    got = stops(d, "step_op", len(expected) + 1)
    assert [(p.phase, p.key) for p in got[:-1]] == expected
    assert all(p.event == "op" for p in got)
    assert (got[-1].iteration, got[-1].phase, got[-1].key) == (1, "forward", "0/linear#0")
    assert d.state().last_hit.kind == "step_op"


def test_step_layer_stops_at_each_layer_end_forward_then_backward(debugger):
    d = debugger(mlp_run(sizes=(2, 8, 8, 2)))  # layers 0..4, loss module "loss"
    got = stops(d, "step_layer", 15)
    forward = [(p.event, p.layer_done) for p in got[:7]]
    assert forward == [("layer_end", s) for s in ("0", "1", "2", "3", "4", "", "loss")]
    backward = [(p.phase, p.layer_done) for p in got[7:13]]
    assert backward == [("backward", s) for s in ("loss", "4", "3", "2", "1", "0")]
    assert [p.key for p in got[7:13]] == ["loss/cross_entropy#0", "4/linear#0", "3/relu#0",
                                          "2/linear#0", "1/relu#0", "0/linear#0"]
    assert (got[13].event, got[13].phase) == ("phase_end", "update")
    assert (got[14].iteration, got[14].layer_done) == (1, "0")


def test_step_layer_from_inside_a_layer_runs_to_its_end(debugger):
    model = nn.Sequential(nn.Linear(2, 4), nn.Sequential(nn.Linear(4, 4), nn.Tanh()),
                          nn.Linear(4, 2))
    d = debugger(mlp_run(model=model))
    d.set_breakpoints([Breakpoint.node("1.0/linear#0", "forward")])
    assert command(d, "run").position.key == "1.0/linear#0"
    d.set_breakpoints([])
    s = command(d, "step_layer")
    assert (s.position.event, s.position.layer_done) == ("layer_end", "1.0")
    d.set_breakpoints([Breakpoint.node("1.1/tanh#0", "backward")])
    s = command(d, "run")
    assert (s.position.phase, s.position.key, s.last_hit.kind) == ("backward", "1.1/tanh#0", "node")
    s = command(d, "step_layer")  # tanh completed layer "1.1": on to the next backward layer end
    assert (s.position.key, s.position.layer_done) == ("1.0/linear#0", "1.0")


def test_step_layer_in_a_plain_loss_function_ends_with_forward(debugger):
    d = debugger(mlp_run(loss_module=False))
    keys = [command(d, "step_op").position.key for _ in range(6)]
    assert keys[-1] == "loss/cross_entropy#0"
    s = command(d, "step_layer")
    assert (s.position.event, s.position.phase) == ("phase_end", "forward")


def test_step_out_climbs_nested_modules_in_forward_and_backward(debugger):
    model = nn.Sequential(nn.Sequential(nn.Linear(2, 4), nn.ReLU()), nn.Linear(4, 2))
    d = debugger(mlp_run(model=model))
    assert command(d, "step_op").position.key == "0.0/linear#0"
    outs = [command(d, "step_out").position for _ in range(4)]
    assert [(p.event, p.layer_done) for p in outs] == [
        ("layer_end", "0.0"), ("layer_end", "0"), ("layer_end", ""), ("phase_end", None)]
    backward = [command(d, "step_op").position for _ in range(3)]
    assert [p.key for p in backward] == ["loss/cross_entropy#0", "1/linear#0", "0.1/relu#0"]
    s = command(d, "step_out")  # relu ended layer "0.1": out to the end of layer "0"
    assert (s.position.key, s.position.phase) == ("0.0/linear#0", "backward")
    assert command(d, "step_out").position.event == "phase_end"


def test_step_phase_and_step_iteration(debugger):
    reference = mlp_run()
    plain_training(reference, 3)
    d = debugger(mlp_run())
    phases = [(p.iteration, p.phase) for p in stops(d, "step_phase", 4)]
    assert phases == [(0, "forward"), (0, "backward"), (0, "update"), (1, "forward")]
    assert d.state().completed == 1
    its = stops(d, "step_iteration", 2)
    assert [(p.iteration, p.phase, p.event) for p in its] == [(1, "update", "phase_end"),
                                                              (2, "update", "phase_end")]
    assert d.state().completed == 3
    for (name, p), q in zip(d.training.model.named_parameters(), reference.model.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=name)


def test_values_and_gradients_of_the_current_iteration_while_paused(debugger):
    d = debugger(mlp_run())
    command(d, "step_phase")
    value = d.value("1/relu#0")
    assert value.shape == (16, 8) and (value >= 0).all()
    with pytest.raises(KeyError, match="no gradient"):
        d.grad("1/relu#0")
    command(d, "step_phase")
    assert d.grad("1/relu#0").shape == (16, 8)
    graph = {n.key: n for n in d.state().graph}
    assert graph["0/linear#0"].inputs == ("input", "0.weight", "0.bias")
    assert graph["loss/cross_entropy#0"].inputs == ("4/linear#0", "target")
    assert graph["2/linear#0"].shape == (16, 8) and graph["2/linear#0"].dtype == np.float32


def test_stop_abandons_the_iteration_before_the_update(debugger):
    reference = mlp_run()
    plain_training(reference, 2)
    d = debugger(mlp_run())
    command(d, "step_iteration")
    command(d, "step_iteration")
    for _ in range(3):
        command(d, "step_op")
    s = command(d, "stop")
    assert (s.status, s.completed) == ("stopped", 2)
    for p, q in zip(d.training.model.parameters(), reference.model.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert d.history.iterations() == [0, 1]


def test_reset_restores_weights_optimizer_state_and_data_order(debugger):
    run = mlp_run(momentum=0.9)
    initial = {k: v.copy() for k, v in run.model.state_dict().items()}
    d = debugger(run)
    first = []
    d.subscribe(iteration_finished=lambda i, loss: first.append(loss))
    for _ in range(5):
        command(d, "step_iteration")
    command(d, "step_op")
    s = command(d, "reset")
    assert (s.status, s.completed, s.graph) == ("stopped", 0, ())
    for k, v in run.model.state_dict().items():
        np.testing.assert_array_equal(v, initial[k])
    assert run.optimizer.state == {} and d.history.iterations() == []
    losses = list(first)
    for _ in range(5):
        command(d, "step_iteration")
    assert first[5:] == losses


def test_node_keys_are_stable_and_graph_changes_are_reported(debugger):
    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            h = self.fc(x)
            return h.tanh() if float(x.array[0, 0]) > 0 else h.sigmoid()

    d = debugger(mlp_run(model=Branchy(), batch=1))
    graphs = []
    for _ in range(12):
        command(d, "step_phase")
        command(d, "step_phase")
        s = command(d, "step_phase")
        graphs.append((frozenset(n.key for n in s.graph), s.new_keys, s.absent_keys))
    keys = {g[0] for g in graphs}
    assert keys == {frozenset({"fc/linear#0", "/tanh#0", "loss/cross_entropy#0"}),
                    frozenset({"fc/linear#0", "/sigmoid#0", "loss/cross_entropy#0"})}
    changed = [g for prev, g in zip(graphs, graphs[1:]) if g[0] != prev[0]]
    assert changed and all(len(g[1]) == 1 and len(g[2]) == 1 for g in changed)
    while not d.state().absent_keys:
        command(d, "step_iteration")
    with pytest.raises(KeyError, match="absent"):
        d.value(next(iter(d.state().absent_keys)))


def test_errors_in_training_code_stop_with_the_message_and_keep_state(debugger):
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(3, 2))
    d = debugger(mlp_run(model=model))
    errors = []
    d.subscribe(error=errors.append)
    s = command(d, "run")
    assert s.status == "stopped" and s.last_hit.kind == "error"
    assert "linear" in s.error and "(16, 4)" in s.error and "'2'" in s.error
    assert errors == [s.error]
    assert [n.key for n in s.graph] == ["0/linear#0", "1/relu#0"]
    assert d.value("1/relu#0").shape == (16, 4)
    s = command(d, "step_op")  # the worker is alive: the retry stops at the first op again
    assert (s.status, s.position.key, s.completed) == ("paused", "0/linear#0", 0)


def test_drain_returns_current_generation_records_only(debugger):
    d = debugger(mlp_run())
    command(d, "step_iteration")
    records = d.drain()
    kinds = [r.kind for r in records]
    assert kinds[:4] == ["graph", "value", "grad", "iteration"] and kinds[-1] == "stopped"
    values = records[1].data
    assert len(values["keys"]) == values["stats"].shape[0] == 6
    command(d, "step_iteration")
    generation = d.state().generation
    d.reset()
    assert d.state().generation == generation + 1
    assert d.drain() == []


def test_free_running_sends_statistics_in_batches(debugger):
    d = debugger(mlp_run())
    d.set_breakpoints([Breakpoint.iteration(70)])
    command(d, "run")
    records = d.drain()
    batches = [r for r in records if r.kind == "grad"]
    assert 0 < len(batches) < 70  # not one record per iteration
    newest = batches[-1]
    row = newest.data["stats"][newest.data["keys"].index("3/relu#0")]
    assert row[STAT_NAMES.index("mean")] == d.history.stats_at("3/relu#0", newest.iteration,
                                                               "grad")["mean"]
    assert sum(r.kind == "iteration" for r in records) == 70


def test_a_view_of_a_weight_keeps_its_value_from_before_the_update(debugger):
    class TransposedWeight(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(sg.randn(2, 2))

        def forward(self, x):
            return x @ self.w.T

    run = mlp_run(model=TransposedWeight(), lr=0.5)
    before = run.model.w.numpy().copy()
    d = debugger(run)
    s = command(d, "step_iteration")
    assert "/permute#0" in {n.key for n in s.graph}
    assert not np.array_equal(run.model.w.numpy(), before)  # the update happened
    np.testing.assert_array_equal(d.value("/permute#0"), before.T)
    np.testing.assert_array_equal(d.history.tensor("/permute#0", 0), before.T)
