"""The breakpoint manager's core: ignore counts and hit counts, non-finite on by default,
backward blame of the first non-finite gradient, run to an iteration, live optimizer edits."""
import copy
import json

import numpy as np
import pytest

import engine as sg
from app.debugging.breakpoints import Breakpoint
from app.debugging.debugger import Debugger
from app.project.files import project_from_dict, project_to_dict
from app.project.presets import list_presets, load_preset
from app.project.specs import BreakpointSpec, LayerSpec, Project
from app.session import Session
from engine import nn

from .debugger_setup import command, mlp_run


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


@pytest.fixture
def session():
    s = Session()
    yield s
    s.close()


def settle(session):
    assert session.debugger.wait(20)
    session.pump()
    return session.state


def test_ignore_count_skips_the_first_hits_and_every_hit_is_counted(debugger):
    bp = Breakpoint("node", "2/linear#0", ignore=2, spec=0)
    d = debugger(mlp_run(), bp)
    s = command(d, "run")  # hits: forward 0, backward 0 (ignored), forward 1 (stops)
    assert (s.last_hit.kind, s.last_hit.iteration, s.last_hit.phase) == ("node", 1, "forward")
    assert d.hit_counts() == {0: 3}
    command(d, "run")
    assert d.hit_counts() == {0: 4}
    d.set_breakpoints([bp])  # replacing the set keeps the counts
    assert d.hit_counts() == {0: 4}
    d.reset_hit_counts()
    assert d.hit_counts() == {}


class SqrtOfZero(nn.Module):
    """sqrt(x * 0): finite forward, infinite gradient out of sqrt's backward."""

    def forward(self, x):
        return (x * 0.0).sqrt() + x


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_sqrt_of_zero_backward_is_blamed_on_sqrt_not_on_the_mul_it_reaches(debugger):
    model = nn.Sequential(nn.Linear(2, 4), SqrtOfZero(), nn.Linear(4, 2))
    d = debugger(mlp_run(model=model), Breakpoint.non_finite())
    s = command(d, "run")
    hit = s.last_hit
    assert (hit.kind, hit.iteration, hit.phase, hit.key) == ("non_finite", 0, "backward",
                                                             "1/sqrt#0")
    assert s.position.key == "1/mul#0"  # where the infinite gradient arrived
    assert "backward of 1/sqrt#0 (sqrt)" in hit.message and "1/mul#0" in hit.message
    (source,) = hit.details["inputs"]
    assert source["key"] == "1/mul#0" and source["min"] == source["max"] == 0.0
    assert hit.details["incoming"]["nonfinite"] == 0  # sqrt got a finite gradient
    assert hit.details["stats"]["nonfinite"] > 0  # and made a non-finite one


class SqrtParameter(nn.Module):
    def __init__(self):
        super().__init__()
        self.p = nn.Parameter(sg.zeros(4).data)

    def forward(self, x):
        return x + self.p.sqrt()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_non_finite_parameter_gradient_is_blamed_on_the_op_that_reads_the_parameter(
        debugger):
    model = nn.Sequential(nn.Linear(2, 4), SqrtParameter(), nn.Linear(4, 2))
    d = debugger(mlp_run(model=model), Breakpoint.non_finite())
    s = command(d, "run")
    assert (s.last_hit.kind, s.last_hit.phase, s.last_hit.key) == ("non_finite", "backward",
                                                                   "1/sqrt#0")
    assert s.last_hit.details["receiver"] == "1.p"
    assert s.last_hit.details["inputs"][0]["key"] == "1.p"


def test_non_finite_is_on_for_new_projects_and_every_preset():
    assert Project().breakpoints == [BreakpointSpec(non_finite=True)]
    for info in list_presets():
        found = load_preset(info.name).breakpoints
        assert any(b.non_finite and b.enabled and not b.target for b in found), info.name


def test_project_files_without_ignore_counts_still_load():
    doc = project_to_dict(load_preset("nan_demo"))
    for bp in doc["breakpoints"]:
        del bp["ignore_count"]
    project = project_from_dict(json.loads(json.dumps(doc)))
    assert [b.ignore_count for b in project.breakpoints] == [0] * len(doc["breakpoints"])
    doc["breakpoints"][0]["ignore_count"] = -1
    with pytest.raises(Exception, match="ignore_count"):
        project_from_dict(doc)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_the_nan_demo_stops_by_default_at_the_first_non_finite_value(session):
    session.set_project(load_preset("nan_demo"))
    session.run_iterations(400)
    state = settle(session)
    assert state.last_hit.kind == "non_finite" and state.completed < 400
    assert session.hit_counts()[0] == 1


def test_run_n_iterations_stops_there_with_progress(session):
    session.set_project(load_preset("xor"))
    session.run_iterations(5)
    assert session.run_progress() == (0, 5)
    state = settle(session)
    assert (state.completed, state.last_hit.kind, state.phase) == (5, "run_to", "forward")
    assert session.run_progress() is None  # the stop ended it
    session.run_to_epoch_end()
    per_epoch = len(session.built.data)
    state = settle(session)
    assert state.completed == per_epoch * (5 // per_epoch + 1)
    with pytest.raises(ValueError):
        session.run_to(3)


def test_optimizer_edits_apply_while_it_trains_and_other_edits_rebuild(session):
    session.set_project(load_preset("xor"))
    session.run_iterations(4)
    settle(session)
    losses = list(session.losses)
    edited = copy.deepcopy(session.project)
    edited.train.lr, edited.train.momentum = 0.5, 0.9
    edited.breakpoints.append(BreakpointSpec("1", ignore_count=1))
    assert not session.needs_rebuild(edited)
    assert session.apply_edit(edited) == "live"
    optimizer = session.built.optimizer
    assert (optimizer.lr, optimizer.momentum) == (0.5, 0.9)
    assert session.state.completed == 4 and session.losses == losses
    assert any(b.kind == "layer" and b.ignore == 1 for b in session.debugger.breakpoints())
    session.run_iterations(2)
    state = settle(session)  # layer 1: forward ignored, backward stops
    assert (state.last_hit.kind, state.phase, state.completed) == ("layer", "backward", 4)
    assert session.hit_counts()[len(edited.breakpoints) - 1] == 2
    edited = copy.deepcopy(session.project)
    edited.network.layers.insert(1, LayerSpec("Tanh"))
    assert session.needs_rebuild(edited)
    assert session.apply_edit(edited) == "rebuild"
    assert session.state.completed == 0 and session.losses == []
    assert session.built.optimizer.lr == 0.5


def test_inputs_of_a_node_while_paused(session):
    session.set_project(load_preset("xor"))
    session.run_iterations(1)
    settle(session)
    rows = dict(session.node_inputs("0/linear#0"))
    assert set(rows) == {"input", "0.weight", "0.bias"}
    np.testing.assert_array_equal(rows["0.weight"],
                                  session.built.model.state_dict()["0.weight"])
    assert session.node_inputs("no/such#0") == []
