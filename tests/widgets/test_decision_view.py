"""The 2-D decision view (offscreen): the coloured surface, the points, one picture per hidden
unit, the losses, live updates through the session feed, and the message for other data."""
from types import SimpleNamespace

import numpy as np
import pytest

import engine as sg
from app.project.build import build
from widgets.window.decision_feed import DecisionFeed
from app.teaching.decision_surface import compute_surface
from app.project.presets import load_preset
from app.session import Session
from engine import nn
from engine.data import Dataset
from widgets.decision_view import (CLASS_COLOURS, NEUTRAL, DecisionView, class_colours,
                                   diverging, units_rgb)


@pytest.fixture
def view(qtbot):
    v = DecisionView(max_fps=1000)
    qtbot.addWidget(v)
    v.resize(900, 500)
    v.show()
    return v


@pytest.fixture
def session():
    s = Session()
    yield s
    s.close()


def train(built, steps):
    done = 0
    while done < steps:
        for x, y in built.data:
            built.optimizer.zero_grad()
            built.loss_fn(built.model(x), y).backward()
            built.optimizer.step()
            done += 1
            if done == steps:
                return


def test_view_draws_the_surface_points_units_and_losses(view):
    built = build(load_preset("spirals"))
    surface = compute_surface(built, "CrossEntropyLoss", resolution=30)
    view.show_surface(surface, 7)
    view.redraw()
    assert view.image.image.shape == (30, 30, 3)
    assert len(view.train_scatter.data) == len(built.train_set)
    assert len(view.test_scatter.data) == len(built.test_set)
    assert len(view.tiles) == 64 and all(not t.pixmap().isNull() for t in view.tiles)
    assert [t.text() for t in view.layer_titles] == ["layer 1 (Tanh): 32 units",
                                                     "layer 3 (Tanh): 32 units"]
    text = view.losses.text()
    assert "iteration 7" in text and f"{surface.train_loss:.4f}" in text
    assert f"{surface.test_loss:.4f}" in text
    assert view.stack.currentIndex() == 0


def test_dead_units_are_framed_and_counted(view):
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    with sg.no_grad():
        model[0].weight.data[...] = 0.0
        model[0].bias.data[...] = np.array([-1.0, -1.0, 1.0, 0.5], dtype=np.float32)
    X = np.random.default_rng(0).standard_normal((12, 2)).astype(np.float32)
    y = np.arange(12) % 2
    built = SimpleNamespace(model=model, loss_fn=nn.CrossEntropyLoss(), device="cpu",
                            train_set=Dataset(X[:8], y[:8], "classification", num_classes=2),
                            test_set=Dataset(X[8:], y[8:], "classification", num_classes=2))
    view.show_surface(compute_surface(built, "CrossEntropyLoss", resolution=16), 0)
    view.redraw()
    assert [t.property("dead") for t in view.tiles] == [True, True, False, False]
    assert view.layer_titles[0].text() == "layer 1 (ReLU): 4 units, 2 dead"


def test_binary_colours_run_orange_neutral_blue():
    np.testing.assert_allclose(diverging(np.array([-1.0, 0.0, 1.0])),
                               [CLASS_COLOURS[0], NEUTRAL, CLASS_COLOURS[1]])
    probs = np.array([[0.1, 0.8, 0.1], [1 / 3, 1 / 3, 1 / 3]])
    colours = class_colours(probs)
    np.testing.assert_allclose(colours[1], NEUTRAL)
    assert np.argmax(np.abs(colours[0] - NEUTRAL) @ np.abs(CLASS_COLOURS[:3] - NEUTRAL).T) == 1
    assert units_rgb(np.array([[[-2.0, 2.0]]])).tolist() == [[[CLASS_COLOURS[0].tolist(),
                                                              CLASS_COLOURS[1].tolist()]]]


def test_training_changes_the_picture(view):
    built = build(load_preset("spirals"))
    view.show_surface(compute_surface(built, "CrossEntropyLoss", resolution=24), 0)
    view.redraw()
    before = view.image.image.copy()
    train(built, 200)
    view.show_surface(compute_surface(built, "CrossEntropyLoss", resolution=24), 200)
    view.redraw()
    assert np.abs(view.image.image.astype(int) - before).max() > 10


def test_surfaces_arriving_too_fast_are_drawn_once_later(qtbot):
    v = DecisionView(max_fps=5)
    qtbot.addWidget(v)
    v.show()
    built = build(load_preset("xor"))
    first = compute_surface(built, "CrossEntropyLoss", resolution=10)
    v.show_surface(first, 0)
    train(built, 20)
    second = compute_surface(built, "CrossEntropyLoss", resolution=10)
    v.show_surface(second, 20)
    assert "iteration 0" in v.losses.text() and v._timer.isActive()
    qtbot.waitUntil(lambda: "iteration 20" in v.losses.text(), timeout=3000)


def test_a_hidden_view_draws_when_shown(qtbot):
    v = DecisionView(max_fps=1000)
    qtbot.addWidget(v)
    built = build(load_preset("xor"))
    v.show_surface(compute_surface(built, "CrossEntropyLoss", resolution=10), 7)
    assert "iteration 7" not in v.losses.text()  # a hidden tab costs the UI thread nothing
    v.show()
    assert "iteration 7" in v.losses.text()


def test_feed_updates_the_view_after_training_steps(view, session):
    session.set_project(load_preset("spirals"))
    DecisionFeed(session, view)
    before = view.image.image.copy()
    for _ in range(5):
        session.step("iteration")
        assert session.debugger.wait(10)
        session.pump()
    assert view.iteration == 5
    view.redraw()  # the last surface may still wait for the throttle
    assert "iteration 5" in view.losses.text()
    assert not np.array_equal(view.image.image, before)


def test_data_that_is_not_2d_shows_a_clear_message(view, session):
    DecisionFeed(session, view)
    session.set_project(load_preset("cnn_shapes"))
    assert view.stack.currentWidget() is view.message_label
    assert view.message_label.text().startswith("decision view needs 2-D inputs")
    assert "(" + ", ".join(map(str, session.built.train_set.X.shape)) + ")" in view.message
    session.set_project(load_preset("xor"))
    assert view.stack.currentIndex() == 0 and view.surface is not None
