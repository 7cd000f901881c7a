"""The tensor inspector and the timeline (offscreen)."""
import numpy as np
import pytest

from app.debugging.history import History
from app.session_reads import array_stats
from widgets.tensor_inspector import TensorInspector
from widgets.tensor_plots import channel_grid
from widgets.timeline import Timeline


@pytest.fixture
def inspector(qtbot):
    w = TensorInspector()
    qtbot.addWidget(w)
    return w


def table_column(w, col):
    return [w.table.item(r, col).text() for r in range(w.table.rowCount())]


def test_2d_value_and_gradient_are_heatmaps_with_their_data(inspector):
    value = np.arange(12, dtype=np.float32).reshape(3, 4)
    grad = -value
    inspector.show_node("0/linear#0", value, grad,
                        {"value": array_stats(value), "grad": array_stats(grad)})
    assert inspector.value_plot.mode == inspector.grad_plot.mode == "image"
    assert inspector.value_plot.image.image.shape == (3, 4)
    np.testing.assert_array_equal(inspector.grad_plot.image.image, grad)
    assert inspector.value_plot.colorbar.levels() == (0.0, 11.0)
    assert inspector.grad_plot.colorbar.levels() == (-11.0, 11.0)  # centred: diverging map
    assert "shape 3×4" in inspector.header.text() and "float32" in inspector.header.text()
    assert table_column(inspector, 0)[0] == "5.5"  # the mean
    assert table_column(inspector, 0)[3] == "11"  # the max
    assert table_column(inspector, 1)[2] == "-11"  # the gradient's min
    _, counts = inspector.value_plot.hist_curve.getData()
    assert counts.sum() == 12


def test_4d_activation_is_a_grid_of_channels(inspector):
    value = np.random.default_rng(0).standard_normal((2, 5, 4, 3))
    inspector.show_node("conv/conv2d#0", value, None)
    img = inspector.value_plot.image.image
    assert img.shape == (2 * 5 - 1, 3 * 4 - 1)  # 3 columns, 2 rows of 4x3 tiles
    np.testing.assert_array_equal(img[5:9, 4:7], value[0, 4])
    assert inspector.grad_plot.mode == "message"
    assert "no gradient" in inspector.grad_plot.note.text()


def test_channel_grid_gap_takes_the_minimum():
    grid = channel_grid(np.stack([np.full((2, 2), 3.0), np.full((2, 2), -1.0)]))
    assert grid.shape == (2, 5) and grid[0, 2] == -1.0


def test_1d_is_bars_0d_a_number_and_missing_tensors_a_message(inspector):
    inspector.show_node("0/add#0", np.array([1.0, -2.0, 3.0]), None)
    assert inspector.value_plot.mode == "bars"
    np.testing.assert_array_equal(inspector.value_plot.bars.opts["height"], [1.0, -2.0, 3.0])
    inspector.show_node("loss/mean#0", np.float32(0.6931), np.float32(1.0))
    assert inspector.value_plot.mode == "number" and "0.6931" in inspector.value_plot.note.text()
    inspector.show_node("0/relu#0", None, None, message="dropped: only the last 2 kept")
    assert "dropped" in inspector.value_plot.note.text()
    assert not inspector.save_button.isEnabled()


def test_given_stats_are_shown_and_sparkline_draws_the_history(inspector):
    h = History()
    for it in range(4):
        h.record(it, "value", ["k"], [np.full((2, 2), float(it))])
    stats = {"value": h.stats_at("k", 3), "grad": None}
    inspector.show_node("k", np.full((2, 2), 3.0), None, stats, h.stats("k"))
    assert table_column(inspector, 0)[0] == "3"
    inspector.stat_choice.setCurrentText("mean")
    x, y = inspector.spark_curve.getData()
    np.testing.assert_array_equal(x, [0, 1, 2, 3])
    np.testing.assert_array_equal(y, [0, 1, 2, 3])


def test_save_npy_and_copy_values(inspector, tmp_path, qtbot):
    value = np.arange(6, dtype=np.float32).reshape(2, 3)
    inspector.show_node("0/linear#0", value, value * 2)
    inspector.save_npy(tmp_path / "g.npy", "grad")
    np.testing.assert_array_equal(np.load(tmp_path / "g.npy", allow_pickle=False), value * 2)
    inspector.copy_values("value")
    from PySide6.QtWidgets import QApplication
    rows = QApplication.clipboard().text().strip().splitlines()
    assert [list(map(float, r.split("\t"))) for r in rows] == value.tolist()


def test_timeline_emits_the_chosen_iteration_and_says_what_is_kept(qtbot):
    t = Timeline()
    qtbot.addWidget(t)
    t.set_iterations(range(5), kept={3, 4})
    assert t.chosen() == 4 and "full tensors" in t.label.text()
    with qtbot.waitSignal(t.iteration_chosen) as signal:
        t.set_iteration(1)
    assert signal.args == [1] and "statistics only" in t.label.text()
    t.set_iterations(range(6), kept={4, 5})
    assert t.chosen() == 1  # not at the end: stays where the user put it
    with pytest.raises(ValueError, match="iteration 9 was not recorded"):
        t.set_iteration(9)


def test_refresh_updates_in_place_and_refits_only_on_a_new_shape(inspector):
    plot = inspector.value_plot
    rng = np.random.default_rng(0)
    inspector.resize(600, 600)
    inspector.show()
    inspector.show_node("k", rng.standard_normal((4, 6)), None)
    inspector.grab()  # ranges are fitted when painted
    plot.main.setRange(xRange=(1, 2), yRange=(1, 2), padding=0)  # as if the user zoomed
    zoomed = plot.main.viewRange()
    second = rng.standard_normal((4, 6))
    inspector.show_node("k", second, None)
    inspector.grab()
    np.testing.assert_array_equal(plot.image.image, second)
    assert plot.main.viewRange() == zoomed and plot.image.scene() is not None
    inspector.show_node("k", rng.standard_normal((8, 20)), None)
    inspector.grab()
    (x0, x1), (y0, y1) = plot.main.viewRange()
    assert x0 <= 0 and x1 >= 20 and y0 <= 0 and y1 >= 8
    inspector.show_node("k", rng.standard_normal(10), None)
    assert plot.mode == "bars" and plot.image.scene() is None and plot.bars.scene() is not None
    edges, counts = plot.hist_curve.getData()
    (hx0, hx1), (_, hy1) = plot.hist.viewRange()
    assert hx0 <= edges[0] and edges[-1] <= hx1 and hy1 >= counts.max()
