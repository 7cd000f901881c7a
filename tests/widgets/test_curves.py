"""The loss and accuracy curves: every point drawn, both plots over the same iterations, the
sparse accuracy points marked, and an empty plot's axis from 0 rather than around nothing."""
from widgets.curves import CurvesView


def test_both_curves_share_the_iterations_and_empty_ones_start_at_zero(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    view.resize(800, 300)
    view.show()
    view.show_curves([], [], "CrossEntropyLoss")
    assert view.accuracy_plot.viewRange()[0] == view.loss_plot.viewRange()[0] == [0, 1]
    losses = [(i, 1.0 / (i + 1)) for i in range(25)]
    view.show_curves(losses, [(0, 0.5), (10, 0.7), (20, 0.8)], "CrossEntropyLoss")
    qtbot.waitUntil(lambda: view.loss_plot.viewRange()[0][1] >= 24)
    assert view.accuracy_plot.viewRange()[0] == view.loss_plot.viewRange()[0]
    assert list(view.loss_curve.getData()[0]) == list(range(25))
    assert view.accuracy_curve.opts["symbol"] == "o"  # one point of accuracy shows too
    view.show_curves([(0, float("nan")), (1, 0.5)], [], "MSELoss")
    assert list(view.loss_curve.getData()[0]) == [1]  # non-finite losses are left out
    assert "none for MSELoss" in view.accuracy_plot.getPlotItem().titleLabel.text
