"""The window fits a projector's 1280×720 and 1024×768, in normal and presentation mode and in
both themes: no minimum size above the screen, the window exactly that size, every shown dock
inside it with room for its content; layouts are kept per screen size; the command line's
--size, --presentation and --theme make a screenshot of exactly that size."""
import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from widgets.cli import size_arg
from widgets.tensor_inspector import PLOT_HEIGHT
from widgets.window.presentation import PRESENTATION_SCALE

from .window_setup import open_window, wait_idle

SIZES = [(1280, 720), (1024, 768)]
ROOT = Path(__file__).resolve().parents[2]
MIN_DOCK = (150, 120)  # a shown dock at least this big: its content is reachable


def fitted(qtbot, window, size, presentation, theme):
    window.show()
    window.themes.apply(theme, remember=False)
    window.fit.set_size(*size)
    window.presentation.set_active(presentation)
    window.debug_actions.actions["step_iteration"].trigger()
    wait_idle(window)
    qtbot.wait(100)  # the docks take their new sizes
    return window


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("presentation", [False, True])
@pytest.mark.parametrize("theme", ["dark", "light"])
def test_the_window_fits_the_screen(qtbot, tmp_path, size, presentation, theme):
    window = fitted(qtbot, open_window(qtbot, tmp_path / "data"), size, presentation, theme)
    width, height = size
    hint = window.minimumSizeHint().expandedTo(window.minimumSize())
    assert hint.width() <= width and hint.height() <= height, hint
    assert window.size().toTuple() == size
    shown = [d for d in window.docks.values() if d.isVisible()]
    assert len(shown) >= 3
    for dock in shown:
        box = dock.geometry()
        assert box.left() >= 0 and box.top() >= 0, dock.objectName()
        assert box.right() < width and box.bottom() < height, (dock.objectName(), box)
        assert box.width() >= MIN_DOCK[0] and box.height() >= MIN_DOCK[1], (
            dock.objectName(), box)
    assert window.statusBar().geometry().bottom() < height
    assert window.grab().size().toTuple() == size
    scale = PRESENTATION_SCALE if presentation else 1.0
    for plot in (window.inspector.value_plot, window.inspector.grad_plot):
        assert plot.height() >= int(PLOT_HEIGHT * scale)  # scrolled to, never squashed
    window.close()


def test_layouts_are_kept_per_screen_size(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data")
    window.show()
    window.fit.set_size(1280, 720)
    window.docks["hits"].hide()
    window.close()  # saves the layout under 1280x720
    assert window.settings.value("layout/1280x720/window_state") is not None

    again = open_window(qtbot, tmp_path / "data")
    again.show()
    again.fit.set_size(1280, 720, restore=True)
    assert not again.docks["hits"].isVisible()
    again.fit.set_size(1024, 768, restore=True)  # nothing kept for this size: the default
    assert again.docks["hits"].isVisible()
    again.close()


def test_a_short_screen_gives_the_inspector_the_right_column(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data")
    window.show()
    window.fit.set_size(1280, 720)
    qtbot.wait(100)
    inspector, hits = window.docks["inspector"].geometry(), window.docks["hits"].geometry()
    curves, graph = window.docks["curves"].geometry(), window.docks["graph"].geometry()
    assert hits.top() > inspector.bottom() and abs(hits.left() - inspector.left()) <= 1
    assert curves.top() > graph.bottom() and curves.right() < inspector.left()
    window.close()


@pytest.mark.parametrize("options", [["--size", "1280x720", "--presentation"],
                                     ["--size", "1024x768", "--theme", "light"]])
def test_the_command_line_makes_a_screenshot_of_that_size(tmp_path, options):
    shot = tmp_path / "s.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    done = subprocess.run([sys.executable, "main.py", "--preset", "spirals", "--steps", "5",
                           *options, "--screenshot", str(shot)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    image = QImage(str(shot))
    assert (image.width(), image.height()) == size_arg(options[1])


def test_a_size_must_read_w_x_h():
    assert size_arg("1280x720") == (1280, 720)
    for bad in ("1280", "axb", "100x100"):
        with pytest.raises(argparse.ArgumentTypeError):
            size_arg(bad)
