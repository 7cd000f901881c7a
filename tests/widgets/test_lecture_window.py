"""The lecture views inside the main window: decision boundary and narration tabs, File >
Export (PyTorch code, graph PNG/SVG) and Debug > Check gradient."""
import xml.etree.ElementTree as ET

import numpy as np
from PySide6.QtGui import QImage

from .window_setup import wait_idle, window  # noqa: F401  (fixture)


def step(window, name):
    window.debug_actions.actions[name].trigger()
    return wait_idle(window)


def _menu_texts(menu):
    return [a.text() for a in menu.actions()]


def test_lecture_tabs_and_menus_are_in_the_window(window):
    assert window.bottom_tabs.indexOf(window.decision_view) >= 0
    assert window.inspector_tabs.indexOf(window.narration) >= 0
    file_menu = window.menuBar().actions()[0].menu()
    export = next(a.menu() for a in file_menu.actions() if a.text() == "&Export")
    assert _menu_texts(export) == ["PyTorch code...", "ONNX...", "Graph as PNG...",
                                   "Graph as SVG..."]
    debug_menu = window.menuBar().actions()[3].menu()
    assert "Check &gradient of the selected parameter" in _menu_texts(debug_menu)


def test_narration_follows_the_stepped_op(window):
    step(window, "step_op")
    text = window.narration.toPlainText()
    assert "linear" in text.lower() and "(16, 2)" in text


def test_check_gradient_of_the_selected_parameter(window):
    step(window, "step_iteration")
    window.session.select("2.weight")
    before = window.session.built.model.state_dict()
    check = window.gradient_checks.check_now()
    assert check is not None and check.passed()
    assert "agrees" in window.statusBar().currentMessage()
    after = window.session.built.model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_check_gradient_asks_for_a_parameter(window):
    step(window, "step_op")
    window.session.select("0/linear#0")
    assert window.gradient_checks.check_now() is None
    assert "select a parameter" in window.statusBar().currentMessage()


def test_export_pytorch_code_and_graph(window, tmp_path):
    step(window, "step_iteration")
    assert window.exports.pytorch_to(tmp_path / "torch")
    script = (tmp_path / "torch" / "model.py").read_text(encoding="utf-8")
    compile(script, "model.py", "exec")
    with np.load(tmp_path / "torch" / "weights.npz", allow_pickle=False) as weights:
        assert set(weights.files) == set(window.session.built.model.state_dict())
    assert window.exports.graph_to(tmp_path / "g.png", "png")
    assert not QImage(str(tmp_path / "g.png")).isNull()
    assert window.exports.graph_to(tmp_path / "g.svg", "svg")
    assert ET.parse(tmp_path / "g.svg").getroot().tag.endswith("svg")
