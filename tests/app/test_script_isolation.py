"""Scripts cannot take the app down nor leak into later projects (issue 23): SystemExit and
KeyboardInterrupt become ScriptErrors with their line, an endless loop in __init__ is stopped
by the build deadline, Stop interrupts a pure-Python loop in forward, a loop of ops hits the
cap, and an engine class a script patched is restored for the next project."""
import pytest

import app.project.build as project_build
import app.project.script_guard as script_guard
from app.project.build import build
from app.project.presets import load_preset
from app.project.script_guard import PRISTINE
from app.project.script_model import ScriptError, build_script_model, parse_error
from app.session import Session
from engine import nn

from .test_script_model import GOOD, script_project

PATCHING = GOOD.replace("        self.fc = nn.Linear(2, 2)\n",
                        "        self.fc = nn.Linear(2, 2)\n"
                        "        nn.Linear.forward = lambda self, x: x\n")


def test_a_script_that_patches_the_engine_breaks_no_later_project():
    original = nn.Linear.forward
    build(script_project(PATCHING))
    assert nn.Linear.forward is original
    nn.Linear.forward = lambda self, x: 1 / 0  # patched by a script's forward, say
    run = build(load_preset("xor"))  # any later build starts from the engine as shipped
    assert nn.Linear.forward is original
    x, _ = next(iter(run.data))
    first = run.model[0]
    assert first(x).shape == (x.shape[0], first.out_features)


@pytest.mark.parametrize("statement, line, words", [
    ("raise SystemExit(3)", 6, "SystemExit(3): a script cannot end the app"),
    ("raise KeyboardInterrupt", 6, "KeyboardInterrupt"),
])
def test_base_exceptions_in_init_are_script_errors_with_their_line(statement, line, words):
    source = GOOD.replace("        self.fc = nn.Linear(2, 2)\n",
                          f"        self.fc = nn.Linear(2, 2)\n        {statement}\n")
    with pytest.raises(ScriptError) as info:
        build_script_model(source)
    assert info.value.line == line and words in info.value.message


def test_system_exit_in_forward_during_a_step_is_an_error_not_an_exit():
    session = Session()
    session.set_project(script_project(GOOD.replace("return self.fc(x)",
                                                    "if x.shape[0] > 2:\n"
                                                    "            raise SystemExit\n"
                                                    "        return self.fc(x)")))
    try:
        session.step("iteration")
        assert session.debugger.wait(5)
        session.pump()
        assert parse_error(session.state.error)[0] == 9
        assert "SystemExit" in session.state.error
    finally:
        session.close()


def test_an_endless_loop_in_init_is_stopped_by_the_build_deadline(monkeypatch):
    monkeypatch.setattr(project_build, "SCRIPT_BUILD_TIMEOUT_S", 0.3)
    source = GOOD.replace("        self.fc = nn.Linear(2, 2)\n",
                          "        self.fc = nn.Linear(2, 2)\n        while True:\n"
                          "            pass\n")
    with pytest.raises(ScriptError, match="took longer than 0.3 s") as info:
        build(script_project(source))
    assert info.value.line in (6, 7)


def test_stop_interrupts_a_pure_python_loop_in_forward():
    session = Session()
    session.set_project(script_project(GOOD.replace(  # (the build's check uses 2 samples)
        "return self.fc(x)", "while x.shape[0] > 2:\n            pass\n        return self.fc(x)")))
    try:
        session.run()
        assert not session.debugger.wait(0.2)  # it spins, reaching no op
        session.stop()
        assert session.debugger.wait(30)
        session.pump()
        assert "stopped by the user (Stop)" in session.state.error
        assert parse_error(session.state.error)[0] in (8, 9)
    finally:
        session.close()


def test_a_loop_of_ops_in_forward_stops_at_the_cap(monkeypatch):
    monkeypatch.setattr(script_guard, "MAX_OPS_PER_FORWARD", 500)
    session = Session()
    session.set_project(script_project(GOOD.replace(
        "return self.fc(x)", "while x.shape[0] > 2:\n            x = x + 0\n"
                             "        return self.fc(x)")))
    try:
        session.step("iteration")
        assert session.debugger.wait(30)
        session.pump()
        assert "Net.forward ran more than 500 ops in one call (the last: add)" in \
            session.state.error
        assert parse_error(session.state.error)[0] == 9
    finally:
        session.close()


def test_restoring_an_untouched_engine_changes_nothing():
    assert PRISTINE.restore() == []


def test_export_refuses_a_script_project_without_running_it(tmp_path):
    from app.exports.export import ExportError, export_pytorch_files
    marker = tmp_path / "ran"
    project = script_project(f"open({str(marker)!r}, 'w').write('x')\n" + GOOD)
    with pytest.raises(ExportError, match="the Script tab's Python code"):
        export_pytorch_files(project, tmp_path / "out")
    assert not marker.exists()
