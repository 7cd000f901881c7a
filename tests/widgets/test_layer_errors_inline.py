"""Bad layer configurations in the network builder: the message (layer, shapes) shows inline
on that row, in red, and on the parameter's field; no dialog opens and nothing raises (pytest-qt
fails a test on an exception inside a Qt slot)."""
import copy

import pytest
from PySide6.QtWidgets import QApplication, QDialog

from app.project.specs import LayerSpec

from .window_setup import window  # noqa: F401  (fixture)

# spirals preset: Linear(32) Tanh Linear(32) Tanh Linear(2) on 2-D points
CASES = [
    ("Dropout", "p", 1.5, "layer 1 (Dropout): p must be between 0 and 0.99, got 1.5 "
                          "(input (N, 32))"),
    ("Softmax", "dim", 5, "layer 1 (Softmax): dim 5 is out of range for (N, 32)"),
    ("Conv2d", "kernel_size", 3, "layer 1 (Conv2d): expects input (channels, height, width), "
                                 "got (32,)"),
    ("Linear", "out_features", 10 ** 9, "layer 1 (Linear): out_features must be between 1 and "
                                        "4096, got 1000000000 (input (N, 32))"),
    ("Embedding", "embedding_dim", 4, "layer 1 (Embedding): expects integer token ids"),
    ("LSTM", "hidden_size", 0, "layer 1 (LSTM): hidden_size must be a positive integer, got 0"),
]


def no_dialog_open(window):
    """No modal dialog up and none of the window's dialogs shown (the window's own children:
    walking QApplication.topLevelWidgets() touched widgets of earlier tests being deleted)."""
    return QApplication.activeModalWidget() is None and not [
        w for w in window.findChildren(QDialog) if w.isVisible()]


@pytest.mark.parametrize("type_name, name, value, message", CASES,
                         ids=[c[0] for c in CASES])
def test_a_bad_layer_shows_its_message_on_its_row(window, type_name, name, value, message):
    builder = window.builder
    project = copy.deepcopy(window.session.project)
    project.network.layers.insert(1, LayerSpec(type_name, {name: value}))
    window.edit(project, f"add {type_name}")
    builder.stack.setCurrentRow(1)

    item = builder.stack.item(1)
    assert message in item.text()
    assert item.foreground().color().name() == "#d64545"
    assert any(message in error for error in builder.row_errors(1))
    assert builder.row_errors(0) == []  # the rows before it are fine
    field = builder.editor.fields[name]
    if type_name in ("Dropout", "Linear", "LSTM"):  # a value error marks its field
        assert field.property("invalid") and message in field.toolTip()
    assert window.session.run_blocker()
    assert not window.debug_actions.actions["run"].isEnabled()
    assert window.errors == [] and no_dialog_open(window)


def test_an_absurd_batch_is_refused_by_estimate_on_the_row_that_tips_it(window):
    project = copy.deepcopy(window.session.project)
    project.network.layers[0].params["out_features"] = 4096
    project.train.batch_size = 65536
    window.edit(project, "widen")
    assert window.builder.row_errors(0) == []  # 3.2 GiB so far: within the 4 GiB
    errors = window.builder.row_errors(1)
    assert errors and "layer 1 (Tanh): with output (N, 4096) and batch_size 65536" in errors[0]
    assert "GiB" in window.builder.stack.item(1).text()
    assert window.session.built is None and window.errors == [] and no_dialog_open(window)


def test_fixing_the_value_clears_the_row(window):
    project = copy.deepcopy(window.session.project)
    project.network.layers.insert(1, LayerSpec("Dropout", {"p": 1.5}))
    window.edit(project, "add Dropout")
    window.builder.stack.setCurrentRow(1)
    window.builder.editor.fields["p"].setValue(0.25)
    assert window.session.project.network.layers[1].params == {"p": 0.25}
    assert window.builder.row_errors(1) == []
    assert "\u26a0" not in window.builder.stack.item(1).text()
    assert window.debug_actions.actions["run"].isEnabled()
