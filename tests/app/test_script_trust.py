"""Consent before a script runs (issue 23): the session asks `script_consent` before the
first Run/Step builds a script; a refusal runs nothing and says why; trusted scripts are
remembered by their hash."""
import pytest

from app.project.trust import TrustedScripts
from app.session import Session

from .test_script_model import GOOD, script_project


def test_a_refused_script_does_not_run(tmp_path):
    marker = tmp_path / "ran"
    session = Session()
    asked = []
    session.script_consent = lambda source: asked.append(source) or False
    session.set_project(script_project(f"open({str(marker)!r}, 'w').write('x')\n" + GOOD))
    with pytest.raises(RuntimeError, match="the script was not allowed to run"):
        session.step("iteration")
    assert not marker.exists() and len(asked) == 1 and "open(" in asked[0]
    session.script_consent = lambda source: True
    session.step("iteration")
    assert session.debugger.wait(10) and marker.exists()
    session.close()


def test_trusted_scripts_are_remembered_by_hash(tmp_path):
    store = TrustedScripts(tmp_path)
    assert not store.is_trusted(GOOD)
    store.trust(GOOD)
    again = TrustedScripts(tmp_path)
    assert again.is_trusted(GOOD) and not again.is_trusted(GOOD + "\nimport os\n")
    (tmp_path / "trusted_scripts.json").write_text("{not json")
    assert not TrustedScripts(tmp_path).is_trusted(GOOD)  # unreadable: trusts nothing
