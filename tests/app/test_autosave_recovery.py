"""Autosave recovery after a real crash: a process autosaves and dies by SIGKILL (no clean
exit); the next start finds the autosave, and restores the project (and its weights) intact.
Autosaves killed half-way leave a recovery that loads."""
import os
import random
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from app.project.build import build
from app.project.files import ProjectError, dumps, load_weights, weights_path
from app.project import recent
from app.project.recent import Autosave
from tests.widgets.window_setup import open_window

from .test_save_killed import (ROOT, ForkServer, kill_delays, number_of, numbered_project,
                               numbered_state)

# a session that saves cleanly, edits, autosaves, and crashes before any clean exit
CRASHING_SESSION = textwrap.dedent("""
    import os, signal, sys
    from app.project.recent import Autosave
    from app.project.files import save_project
    from tests.app.test_save_killed import numbered_project, numbered_state

    data, work = sys.argv[1], sys.argv[2]
    autosave = Autosave(data)
    save_project(work, numbered_project(1), numbered_state(1))
    autosave.mark_clean_save()
    autosave.write(numbered_project(2), source=work, state=numbered_state(2))
    os.kill(os.getpid(), signal.SIGKILL)
""")
posix_only = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs POSIX signals and fork")


def crash_after_autosave(tmp_path):
    data, work = tmp_path / "data", tmp_path / "work.json"
    done = subprocess.run([sys.executable, "-c", CRASHING_SESSION, str(data), str(work)],
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == -signal.SIGKILL
    return data, work


@posix_only
def test_a_crash_after_an_autosave_offers_it_with_its_weights(tmp_path):
    data, work = crash_after_autosave(tmp_path)
    recovery = Autosave(data).find_recovery()
    assert recovery is not None and recovery.source == str(work)
    project = recovery.load()
    assert project == numbered_project(2)
    model = build(project).model
    load_weights(weights_path(recovery.path), model, recovery.path)
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, numbered_state(2)[name])


@posix_only
def test_the_next_window_restores_the_crashed_session(qtbot, tmp_path):
    data, work = crash_after_autosave(tmp_path)
    window = open_window(qtbot, data, preset=None)
    questions = []
    window.ask = lambda question: questions.append(question) or True
    assert window.offer_recovery()
    assert "work.json" in questions[0] and "did not close cleanly" in questions[0]
    assert dumps(window.session.project) == dumps(numbered_project(2))
    assert window.session.path == work
    assert "*" in window.windowTitle()  # restored, not saved: still to save
    assert window.errors == []
    window.close()  # a clean exit: nothing left to recover
    assert Autosave(data).find_recovery() is None


@posix_only
def test_declining_the_recovery_removes_it(qtbot, tmp_path):
    data, _ = crash_after_autosave(tmp_path)
    window = open_window(qtbot, data, preset=None)
    window.ask = lambda question: False
    assert not window.offer_recovery()
    assert window.session.project is None
    assert Autosave(data).find_recovery() is None
    window.close()


@posix_only
def test_autosaves_killed_half_way_leave_a_recovery_that_loads(tmp_path):
    data = tmp_path / "data"
    Autosave(data).write(numbered_project(0), source="work.json", state=numbered_state(0))
    delays = kill_delays(lambda: Autosave(tmp_path / "timed").write(
        numbered_project(0), source="work.json", state=numbered_state(0)), random.Random(4), 15)
    server = ForkServer(data, "autosave")
    latest = 0
    try:
        for delay in delays:
            assert server.save_and_kill(latest + 1, delay) == signal.SIGKILL
            recovery = Autosave(data).find_recovery()
            assert recovery is not None and recovery.source == "work.json"
            project = recovery.load()
            assert number_of(project) >= latest and project == numbered_project(number_of(project))
            latest = number_of(project)
            try:
                load_weights(weights_path(recovery.path), build(project).model, recovery.path)
            except ProjectError as exc:
                assert "saved with another version of autosave.json" in str(exc)
    finally:
        server.close()


def test_a_crash_between_the_autosave_and_its_stamp_still_offers_it(tmp_path, monkeypatch):
    data = tmp_path / "data"
    autosave = Autosave(data)
    autosave.write(numbered_project(1), source="work.json")
    autosave.mark_clean_save()  # the autosave is superseded: removed
    assert Autosave(data).find_recovery() is None

    update = recent._StateFile.update

    def crash_at_the_stamp(self, **values):
        if "autosave_at" in values:
            raise KeyboardInterrupt  # the process dies after the project file, before the stamp
        update(self, **values)
    monkeypatch.setattr(recent._StateFile, "update", crash_at_the_stamp)
    with pytest.raises(KeyboardInterrupt):
        autosave.write(numbered_project(2), source="work.json")
    monkeypatch.undo()
    autosave._lock.release()  # the process is gone
    recovery = Autosave(data).find_recovery()
    assert recovery is not None and recovery.load() == numbered_project(2)
    assert recovery.source == "work.json"
    assert recovery.saved_at == pytest.approx(recovery.path.stat().st_mtime)


CRASHING_SCRIPT_SESSION = textwrap.dedent("""
    import os, signal, sys
    from app.project.recent import Autosave
    from tests.app.test_script_model import GOOD, script_project

    Autosave(sys.argv[1]).write(script_project(
        f"open({sys.argv[2]!r}, 'w').write('x')\\n" + GOOD))  # never saved, no source
    os.kill(os.getpid(), signal.SIGKILL)
""")


@posix_only
def test_a_recovered_script_of_an_unsaved_project_runs_only_once_allowed(qtbot, tmp_path):
    data, marker = tmp_path / "data", tmp_path / "ran"
    done = subprocess.run([sys.executable, "-c", CRASHING_SCRIPT_SESSION, str(data),
                           str(marker)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == -signal.SIGKILL
    window = open_window(qtbot, data, preset=None)
    asked = []
    window.file_actions.ask_trust = lambda source, origin, action: asked.append(origin) or False
    assert window.offer_recovery() and window.session.path is None
    window.debug_actions.trigger("step_iteration")
    assert asked == ["the autosaved copy"] and not marker.exists()
    window.close()
