"""The window never builds a model on the UI thread (issue 23): with the window's short wait
for builds, a script whose __init__ takes long leaves the window live, the status bar says
"building…" with a Stop, a Run clicked meanwhile runs once the build ends, and Stop
interrupts a script still building."""
from tests.app.test_build_off_thread import build_threads, gated_project, wait_for
from tests.widgets.window_setup import open_window, wait_idle
from widgets.window.main_window import UI_BUILD_WAIT_S


def test_a_slow_script_builds_while_the_window_stays_live(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data", preset=None)
    window.session.build_wait_s = UI_BUILD_WAIT_S
    project, gate = gated_project(tmp_path)
    window.set_project(project)
    window.debug_actions.trigger("run")  # returns: the script's __init__ waits on its worker
    status = window.status
    qtbot.waitUntil(lambda: status.labels["status"].text() == "building…")
    assert not status.stop_button.isHidden() and build_threads()
    qtbot.wait(300)  # the event loop turns meanwhile
    gate.write_text("open")
    qtbot.waitUntil(lambda: window.session.state is not None
                    and window.session.state.completed >= 2, timeout=20000)
    window.session.pause()
    assert wait_idle(window, 20).status == "paused"
    window.close()


def test_stop_in_the_status_bar_interrupts_a_script_still_building(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "data", preset=None)
    window.session.build_wait_s = UI_BUILD_WAIT_S
    project, _ = gated_project(tmp_path)  # its gate never opens
    window.set_project(project)
    window.debug_actions.trigger("step_iteration")
    qtbot.waitUntil(lambda: window.status.labels["status"].text() == "building…")
    window.status.stop_button.click()
    assert not window.session.building and "stopped" in window.session.build_error
    assert wait_for(lambda: not build_threads())
    qtbot.waitUntil(lambda: window.status.labels["status"].text() != "building…")
    window.close()
