"""The network builder: building a network row by row, inline errors that disable Run,
parameter edits, reordering and undo/redo."""
from app.project import Project
from engine import nn

from .window_setup import window  # noqa: F401  (fixture)


def test_build_a_network_through_the_builder(window):
    window.set_project(Project())
    assert window.session.run_blocker()  # no layers yet
    for name in ("Linear", "Tanh", "Linear"):
        window.palette_view.add_requested.emit(name)
    builder = window.builder
    builder.stack.setCurrentRow(2)
    builder.editor.fields["out_features"].setValue(2)
    builder.stack.setCurrentRow(0)
    builder.editor.fields["out_features"].setValue(8)

    layers = window.session.project.network.layers
    assert [l.type for l in layers] == ["Linear", "Tanh", "Linear"]
    assert [l.params for l in layers] == [{"out_features": 8}, {}, {"out_features": 2}]
    assert window.session.run_blocker() == ""
    assert window.debug_actions.actions["run"].isEnabled()
    model = window.session.built.model
    assert [type(m) for m in model] == [nn.Linear, nn.Tanh, nn.Linear]
    assert model[0].weight.shape == (8, 2) and model[2].weight.shape == (2, 8)
    assert "(N, 2)" in builder.stack.item(2).text()
    assert "3 layers, 42 parameters" in builder.summary.text()


def test_invalid_row_shows_its_error_inline_and_disables_run(window):
    builder = window.builder
    builder.stack.setCurrentRow(0)
    window.palette_view.add_requested.emit("Conv2d")  # after row 0: a vector reaches it

    item = builder.stack.item(1)
    assert "layer 1 (Conv2d)" in item.text() and "(32,)" in item.text()
    assert item.foreground().color().name() == "#d64545"
    assert builder.row_errors(1) == [item.toolTip()]
    assert "Conv2d" not in builder.stack.item(0).text()
    for name in ("run", "step_op", "step_layer", "step_out", "step_phase", "step_iteration"):
        action = window.debug_actions.actions[name]
        assert not action.isEnabled()
        assert "layer 1 (Conv2d)" in action.toolTip()
    assert "layer 1 (Conv2d)" in window.statusBar().currentMessage()

    window.undo_stack.undo()
    assert window.debug_actions.actions["run"].isEnabled()
    assert builder.row_errors(1) == []


def test_optional_parameter_reads_default_and_marks_no_error(window):
    builder = window.builder
    window.set_project(Project())
    window.palette_view.add_requested.emit("MaxPool2d")
    stride = builder.editor.fields["stride"]
    assert stride.text() == "default"
    stride.setValue(2)
    assert window.session.project.network.layers[0].params == {"stride": 2}
    stride.setValue(stride.minimum())
    assert window.session.project.network.layers[0].params == {}


def test_undo_redo_of_add_remove_reorder_and_merged_edits(window):
    session, builder, stack = window.session, window.builder, window.undo_stack
    types = lambda: [l.type for l in session.project.network.layers]  # noqa: E731
    start = types()
    builder.remove(1)
    assert types() == start[:1] + start[2:]
    builder.move(0, 1)
    assert types()[:2] == [start[2], start[0]]
    builder.stack.setCurrentRow(0)
    for width in (10, 11, 12):  # typing: one undo step
        builder.editor.fields["out_features"].setValue(width)
    assert session.project.network.layers[0].params["out_features"] == 12
    assert stack.count() == 3

    stack.undo()
    assert session.project.network.layers[0].params["out_features"] == 32
    stack.undo()
    assert types() == start[:1] + start[2:]
    stack.undo()
    assert types() == start and stack.isClean()
    stack.redo()
    stack.redo()
    assert types()[:2] == [start[2], start[0]]
    assert window.menus.undo.shortcut().toString() == "Ctrl+Z"
    assert "Ctrl+Shift+Z" in [s.toString() for s in window.menus.redo.shortcuts()]


def test_drop_reorders_the_rows(window):
    stack = window.builder.stack
    start = [l.type for l in window.session.project.network.layers]
    order = []
    stack.order_changed.connect(order.append)
    item = stack.takeItem(4)  # what an internal drag of the last row to the top leaves
    stack.insertItem(0, item)
    stack.emit_order()
    assert order == [[4, 0, 1, 2, 3]]
    assert [l.type for l in window.session.project.network.layers] == [start[4], *start[:4]]
