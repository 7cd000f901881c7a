"""The decision view's numbers (app.teaching.decision_surface) and its feed from a Session
(widgets.window.decision_feed), headless: a recording view stands in for the widget."""
import threading
from types import SimpleNamespace

import numpy as np
import pytest

import engine as sg
from app.project.build import build
from app import session_reads
from widgets.window.decision_feed import DecisionFeed
from app.teaching.decision_surface import NotPlanar, compute_surface, grid_axes
from app.project.presets import load_preset
from app.session import Session
from engine import nn
from engine.data import Dataset


@pytest.fixture(scope="module")
def spirals():
    return build(load_preset("spirals"))


def planar_built(model, loss_fn, y_train, y_test, task, classes=None, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 3, size=(len(y_train) + len(y_test), 2)).astype(np.float32)
    n = len(y_train)
    return SimpleNamespace(model=model, loss_fn=loss_fn, device="cpu",
                           train_set=Dataset(X[:n], y_train, task, num_classes=classes),
                           test_set=Dataset(X[n:], y_test, task, num_classes=classes))


def test_spirals_surface_covers_the_data_with_probabilities(spirals):
    s = compute_surface(spirals, "CrossEntropyLoss", resolution=40)
    assert s.kind == "binary" and s.values.shape == (40, 40)
    assert np.all((s.values >= 0) & (s.values <= 1))
    points = np.concatenate([spirals.train_set.X, spirals.test_set.X])
    assert s.xs[0] < points[:, 0].min() and s.xs[-1] > points[:, 0].max()
    assert s.ys[0] < points[:, 1].min() and s.ys[-1] > points[:, 1].max()
    assert len(s.train_points[0]) == len(spirals.train_set)
    assert len(s.test_points[0]) == len(spirals.test_set)


def test_surface_is_the_class_one_probability_at_each_grid_point(spirals):
    s = compute_surface(spirals, "CrossEntropyLoss", resolution=12)
    i, j = 7, 3  # row follows ys, column follows xs
    logits = spirals.model(sg.tensor([[s.xs[j], s.ys[i]]])).numpy()[0].astype(np.float64)
    expected = np.exp(logits[1]) / np.exp(logits).sum()
    assert s.values[i, j] == pytest.approx(expected, rel=1e-5)


def test_one_picture_per_hidden_unit_with_its_value(spirals):
    s = compute_surface(spirals, "CrossEntropyLoss", resolution=10)
    assert [(layer.name, layer.units.shape, layer.total) for layer in s.layers] == [
        ("1 (Tanh)", (32, 10, 10), 32), ("3 (Tanh)", (32, 10, 10), 32)]
    first = spirals.model[0]
    i, j, unit = 2, 8, 5
    x = np.array([s.xs[j], s.ys[i]])
    expected = np.tanh(first.weight.numpy()[unit] @ x + first.bias.numpy()[unit])
    assert s.layers[0].units[unit, i, j] == pytest.approx(expected, abs=1e-5)


def test_losses_match_the_loss_on_each_split(spirals):
    s = compute_surface(spirals, "CrossEntropyLoss", resolution=8)
    for loss, split in ((s.train_loss, spirals.train_set), (s.test_loss, spirals.test_set)):
        expected = spirals.loss_fn(spirals.model(sg.tensor(split.X)), sg.tensor(split.y)).item()
        assert loss == pytest.approx(expected, rel=1e-6)


def test_computing_records_nothing_and_keeps_the_training_mode(spirals):
    spirals.model.train()
    compute_surface(spirals, "CrossEntropyLoss", resolution=8)
    assert spirals.model.training
    assert all(p.grad is None for p in spirals.model.parameters())


def test_multi_class_probabilities_sum_to_one():
    sg.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 3))
    built = planar_built(model, nn.CrossEntropyLoss(), np.arange(30) % 3, np.arange(9) % 3,
                         "classification", 3)
    s = compute_surface(built, "CrossEntropyLoss", resolution=16)
    assert s.kind == "classes" and s.values.shape == (16, 16, 3)
    np.testing.assert_allclose(s.values.sum(axis=-1), 1.0, rtol=1e-6)
    assert [layer.name for layer in s.layers] == ["1 (ReLU)"]


def test_an_output_sigmoid_is_not_a_hidden_layer():
    sg.manual_seed(2)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
    y = (np.arange(20) % 2).astype(np.float32)[:, None]
    built = planar_built(model, nn.BCELoss(), y[:14], y[14:], "binary")
    s = compute_surface(built, "BCELoss", resolution=9)
    assert s.kind == "binary" and [layer.name for layer in s.layers] == ["1 (Tanh)"]
    assert np.all((s.values > 0) & (s.values < 1))
    assert s.train_points[1].shape == (14,)


def test_regression_surface_is_the_model_output():
    sg.manual_seed(3)
    model = nn.Sequential(nn.Linear(2, 5), nn.GELU(), nn.Linear(5, 1))
    y = np.linspace(-1, 1, 24, dtype=np.float32)[:, None]
    built = planar_built(model, nn.MSELoss(), y[:20], y[20:], "regression")
    s = compute_surface(built, "MSELoss", resolution=6)
    out = model(sg.tensor([[s.xs[4], s.ys[1]]])).numpy()[0, 0]
    assert s.kind == "regression" and s.values[1, 4] == pytest.approx(out, rel=1e-5)


def test_a_dataset_that_is_not_planar_is_refused_with_its_shape():
    built = build(load_preset("sine"))
    with pytest.raises(NotPlanar, match=r"needs 2-D inputs .*shape \(\d+, 1\)"):
        compute_surface(built, "MSELoss")


def test_grid_axes_pad_a_degenerate_box():
    xs, ys = grid_axes(np.zeros((3, 2)), resolution=5)
    assert xs[0] < 0 < xs[-1] and ys[0] < 0 < ys[-1] and len(xs) == len(ys) == 5


class RecordingView:
    def __init__(self):
        self.surfaces, self.messages = [], []

    def show_surface(self, surface, iteration):
        self.surfaces.append((iteration, surface))

    def show_message(self, text):
        self.messages.append(text)


@pytest.fixture
def session():
    s = Session()
    yield s
    s.close()


def test_feed_shows_the_initial_surface_then_the_trained_one(session):
    session.set_project(load_preset("xor"))
    view = RecordingView()
    DecisionFeed(session, view, resolution=20)
    assert [iteration for iteration, _ in view.surfaces] == [0]
    for _ in range(3):
        session.step("iteration")
        assert session.wait(10)
        session.pump()
    iteration, surface = view.surfaces[-1]
    assert iteration == 3
    assert not np.allclose(surface.values, view.surfaces[0][1].values)


def test_feed_computes_in_the_worker_while_running(session, monkeypatch):
    threads = []

    def recording_compute(*args):
        threads.append(threading.current_thread())
        return compute_surface(*args)
    monkeypatch.setattr(session_reads, "compute_surface", recording_compute)
    session.set_project(load_preset("xor"))
    view = RecordingView()
    DecisionFeed(session, view, max_fps=1000, resolution=12)
    session.run()
    for _ in range(1000):
        session.pump()
        if session.state.completed >= 30:
            break
        session.wait(0.01)
    session.pause()
    assert session.wait(10)
    session.pump()
    assert threads[0] is threading.main_thread()  # the initial surface: the worker was idle
    assert any(t is not threading.main_thread() for t in threads[1:])
    assert view.surfaces[-1][0] == session.state.completed >= 30


def test_feed_reset_shows_the_initial_weights_again(session):
    session.set_project(load_preset("xor"))
    view = RecordingView()
    DecisionFeed(session, view, resolution=10)
    initial = view.surfaces[0][1].values
    session.step("iteration")
    assert session.wait(10)
    session.pump()
    session.reset()
    np.testing.assert_allclose(view.surfaces[-1][1].values, initial)
    assert view.surfaces[-1][0] == 0


def test_feed_says_why_there_is_no_surface(session):
    view = RecordingView()
    DecisionFeed(session, view)
    assert view.messages == ["no project is open"]
    session.set_project(load_preset("sine"))
    assert "needs 2-D inputs" in view.messages[-1] and not view.surfaces
