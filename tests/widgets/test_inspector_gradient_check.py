"""The inspector's Check gradient button: enabled for a selected parameter while the run is
paused, it checks the engine's gradient against finite differences and shows the error."""
import numpy as np
from PySide6.QtCore import Qt

import engine as sg

from .window_setup import open_window, wait_idle


def step(window, name):
    window.debug_actions.actions[name].trigger()
    return wait_idle(window)


def click_check(qtbot, window):
    """Click Check gradient and wait for the verdict (the check runs in a thread)."""
    qtbot.mouseClick(window.inspector.check_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not window.gradient_checks.busy, timeout=20_000)
    return window.inspector.check_result.text()


def test_button_checks_the_selected_parameter_and_shows_a_small_error(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data", "spirals")
    inspector = window.inspector
    assert not inspector.check_button.isEnabled()
    step(window, "step_iteration")
    window.session.select("2.weight")
    assert inspector.check_button.isEnabled() and inspector.check_target == "2.weight"
    weights = window.session.built.model.state_dict()["2.weight"]
    assert np.array_equal(inspector.arrays["value"], weights)
    assert inspector.arrays["grad"].shape == weights.shape
    with qtbot.waitSignal(inspector.gradient_check_requested) as requested:
        text = click_check(qtbot, window)
    assert requested.args == ["2.weight"]
    assert text.startswith("2.weight: max rel. error ") and text.endswith("\u2014 OK")
    assert "over 64 sampled entries" in text
    assert float(text.split("error ")[1].split()[0]) < 1e-6
    assert np.array_equal(window.session.built.model.state_dict()["2.weight"], weights)
    assert "agrees" in window.statusBar().currentMessage()
    window.close()


def test_the_check_runs_off_the_ui_thread_and_a_stale_result_is_dropped(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data", "cnn_shapes")
    step(window, "step_iteration")
    window.session.select("0.weight")
    assert window.gradient_checks.start()
    assert window.gradient_checks.busy and not window.inspector.check_button.isEnabled()
    assert window.inspector.check_result.text() == "0.weight: checking\u2026"
    window.session.select("3.weight")  # the UI thread is free while the check runs
    assert not window.inspector.check_button.isEnabled()
    qtbot.waitUntil(lambda: not window.gradient_checks.busy, timeout=20_000)
    assert window.inspector.check_target == "3.weight" and window.inspector.check_button.isEnabled()
    assert window.inspector.check_result.text() == ""  # 0.weight's verdict is not 3.weight's
    window.close()


def test_button_is_disabled_for_an_op_and_the_result_cleared(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data", "xor")
    step(window, "step_iteration")
    window.session.select("0.bias")
    assert click_check(qtbot, window).endswith("OK")
    assert window.inspector.check_button.isEnabled()
    window.session.select("0/linear#0")
    assert not window.inspector.check_button.isEnabled()
    assert window.inspector.check_result.text() == ""
    window.close()


def test_a_wrong_gradient_is_reported_as_disagreeing(qtbot, tmp_path, monkeypatch):
    window = open_window(qtbot, tmp_path / "data", "xor")
    step(window, "step_iteration")
    window.session.select("0.weight")
    loss_fn = window.session.built.loss_fn
    original = type(loss_fn).__call__
    # doubling the loss only on the taped pass doubles the analytic gradient, not the numeric one

    def skewed(self, output, target):
        loss = original(self, output, target)
        return loss if not sg.is_grad_enabled() else loss * 2.0
    monkeypatch.setattr(type(loss_fn), "__call__", skewed)
    assert click_check(qtbot, window).endswith("DISAGREES")
    window.close()


def test_parameters_with_extreme_values_are_shown(qtbot, tmp_path):
    """Found by the random actions on nan_demo: a histogram of values too far apart (or too
    close) for 40 finite bins raised in the selection slot."""
    window = open_window(qtbot, tmp_path / "data", "xor")
    for values in (np.array([[1e308, -1e308]]), np.array([[1.0, 1.0 + 1e-15]])):
        window.inspector.show_node("0.weight", values, values)
        assert window.inspector.value_plot.hist_curve.getData()[1].sum() == 2
    window.close()
