"""Every preset loads through the validating loader, builds and trains; the two failure demos
really fail the way their descriptions say."""
import itertools

import numpy as np
import pytest

import engine as sg
from app.debugging.breakpoints import make_breakpoints
from app.project.build import build
from app.debugging.debugger import Debugger
from app.project.presets import DEFAULT_PRESET, list_presets, load_preset
from app.project.validation import validate

NAMES = [info.name for info in list_presets()]
NAN_DEMO_STEPS = 20  # "... overflows to inf, then NaN, within 20 iterations"
DEAD_RELU_STEPS = 20  # "... most of them die within 20 iterations"


def batches(run):
    return itertools.chain.from_iterable(run.data for _ in itertools.count())


def train(run, steps):
    losses = []
    for x, y in itertools.islice(batches(run), steps):
        loss = run.loss_fn(run.model(x), y)
        run.optimizer.zero_grad()
        loss.backward()
        run.optimizer.step()
        losses.append(loss.item())
    return losses


def dead_relu_fraction(run):
    """Share of ReLU units that output zero for every training sample."""
    dead = total = 0
    x = sg.tensor(run.train_set.X)
    with sg.no_grad():
        for layer in run.model:
            x = layer(x)
            if type(layer).__name__ == "ReLU":
                alive = (x.numpy() > 0).any(axis=0)
                dead, total = dead + int((~alive).sum()), total + alive.size
    return dead / total


def test_the_lecture_presets_are_all_there_default_first():
    assert NAMES[0] == DEFAULT_PRESET == "spirals"
    assert set(NAMES) >= {"spirals", "xor", "sine", "cnn_shapes", "lstm_recall", "nan_demo",
                          "dead_relu"}
    for info in list_presets():
        assert info.description and "\n" not in info.description


@pytest.mark.parametrize("name", NAMES)
def test_preset_is_valid_without_warnings(name):
    report = validate(load_preset(name))
    assert report.issues == []


@pytest.mark.parametrize("name", [n for n in NAMES if n != "nan_demo"])
def test_preset_builds_and_trains_three_steps(name):
    losses = train(build(load_preset(name)), 3)
    assert len(losses) == 3 and np.all(np.isfinite(losses))


def test_nan_demo_goes_non_finite_within_its_advertised_steps():
    project = load_preset("nan_demo")
    assert f"within {NAN_DEMO_STEPS} iterations" in project.description
    assert project.breakpoints[0].non_finite
    with np.errstate(over="ignore", invalid="ignore"):
        losses = train(build(project), NAN_DEMO_STEPS)
    assert np.isfinite(losses[0]) and not np.isfinite(losses[-1])
    assert np.isnan(losses[-1])


def test_dead_relu_demo_kills_most_units():
    project = load_preset("dead_relu")
    assert f"within {DEAD_RELU_STEPS} iterations" in project.description
    run = build(project)
    before = dead_relu_fraction(run)
    losses = train(run, DEAD_RELU_STEPS)
    after = dead_relu_fraction(run)
    assert before < 0.5 < after and np.all(np.isfinite(losses))
    assert project.breakpoints[0].dead_relu_above == 0.5


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(KeyError, match="no preset 'mnist' \\(known: spirals, "):
        load_preset("mnist")


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning",
                            "ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("name, kind", [("nan_demo", "non_finite"), ("dead_relu", "dead_relu")])
def test_the_debugger_stops_the_failure_demos_at_their_breakpoint(name, kind):
    project = load_preset(name)
    debugger = Debugger(build(project))
    debugger.set_breakpoints(make_breakpoints(project.breakpoints))
    try:
        debugger.run()
        assert debugger.wait(timeout=30)
        hit = debugger.state().last_hit
    finally:
        debugger.close()
    assert hit is not None and hit.kind == kind
    assert hit.iteration < max(NAN_DEMO_STEPS, DEAD_RELU_STEPS)
