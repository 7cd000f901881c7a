"""The weights saved with a project come back when it is opened or recovered; weights that do
not fit are refused, explained in a dialog and kept, and the project still opens; autosave
failures are messages, not exceptions in a timer."""
import numpy as np
import pytest

from app.project import weights_path

from .window_setup import open_window, wait_idle


def _weights(window):
    return window.session.built.model.state_dict()


def _train(window, steps=3):
    for _ in range(steps):
        window.session.step("iteration")
        wait_idle(window)


@pytest.fixture
def trained(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data", "xor")
    _train(window)
    path = tmp_path / "xor.json"
    assert window.save_to(path)
    yield window, path
    window.close()


def test_opening_a_saved_project_restores_its_weights_and_reset_returns_to_them(qtbot, tmp_path, trained):
    window, path = trained
    saved = _weights(window)
    other = open_window(qtbot, tmp_path / "data2", preset=None)
    try:
        assert other.open_file(path)
        for name, value in _weights(other).items():
            np.testing.assert_array_equal(value, saved[name], err_msg=name)
        _train(other, 2)
        other.session.reset()
        for name, value in _weights(other).items():
            np.testing.assert_array_equal(value, saved[name], err_msg=name)
    finally:
        other.close()


def test_weights_of_another_network_are_refused_and_the_project_still_opens(qtbot, tmp_path, trained):
    window, path = trained
    np.savez(weights_path(path), **{"0.weight": np.zeros((3, 3), np.float32)})
    other = open_window(qtbot, tmp_path / "data2", preset=None)
    try:
        assert other.open_file(path)
        assert other.session.debugger is not None
        assert "weights were not loaded" in other.session.weights_error
        (title, message), = other.errors  # explained in a dialog, the file kept
        assert title == "Saved weights not loaded" and "weights were not loaded" in message
        assert "kept" in message and weights_path(path).exists()
    finally:
        other.close()


def test_autosave_keeps_the_weights_and_the_recovery_restores_them(qtbot, tmp_path):
    data = tmp_path / "data"
    window = open_window(qtbot, data, "xor")
    project = window.session.project
    project.train.lr = 0.05
    window.edit(project, "learning rate")
    _train(window)
    window.write_autosave()
    saved = _weights(window)
    window.pump_timer.stop()  # a crash: no clean exit, the autosave is left behind
    window.session.close()
    window.autosave._lock.release()  # and the OS releases the dead process's lock
    again = open_window(qtbot, data, preset=None)
    again.ask = lambda question: True
    try:
        assert again.offer_recovery()
        for name, value in _weights(again).items():
            np.testing.assert_array_equal(value, saved[name], err_msg=name)
        assert again.session.project.train.lr == 0.05
    finally:
        again.close()


def test_an_autosave_that_cannot_be_written_is_a_message(qtbot, tmp_path, monkeypatch):
    window = open_window(qtbot, tmp_path / "data", "xor")
    try:
        project = window.session.project
        project.train.lr = 0.05
        window.edit(project, "learning rate")

        def full(*args, **kwargs):
            raise OSError(28, "No space left on device")
        monkeypatch.setattr(window.autosave, "write", full)
        window.write_autosave()
        assert "autosave failed" in window.statusBar().currentMessage()
        window.session.step("iteration")
        assert wait_idle(window).completed == 1
    finally:
        window.close()


def test_an_autosave_while_training_runs_reads_the_weights_between_iterations(qtbot, tmp_path,
                                                                             monkeypatch):
    window = open_window(qtbot, tmp_path / "data", "xor")
    try:
        project = window.session.project
        project.train.lr = 0.05
        window.edit(project, "learning rate")
        debugger = window.session.debugger
        statuses, between = [], debugger.between_updates

        def spied(fn, timeout=2.0):
            statuses.append(debugger.state().status)
            return between(fn, timeout)
        monkeypatch.setattr(debugger, "between_updates", spied)
        window.session.run()
        qtbot.waitUntil(lambda: debugger.state().completed > 2, timeout=10_000)
        window.write_autosave()
        assert statuses == ["running"]
        assert "autosave failed" not in window.statusBar().currentMessage()
        assert window.autosave.path.exists()
    finally:
        window.close()
