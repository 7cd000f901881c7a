"""Script projects: the script is kept as text (validated, saved and loaded, never run on
load), runs only when built, and every error comes back with the script's line."""
import json

import numpy as np
import pytest

import engine as sg

from app.project.build import build
from app.exports.export import ExportError, export_onnx, export_pytorch
from app.project.presets import load_preset
from app.project.files import ProjectError, dumps, loads
from app.project.validation import MAX_SCRIPT_CHARS, check_values, validate
from app.project.script_model import ScriptError, build_script_model, parse_error, run_script
from app.session import Session
from app.project.specs import LayerSpec
from engine import nn

GOOD = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return self.fc(x)
"""


def script_project(source):
    project = load_preset("dynamic_depth")
    project.network.script = source
    return project


def test_the_script_round_trips_and_loading_never_runs_it(tmp_path):
    marker = tmp_path / "ran"
    source = f"open({str(marker)!r}, 'w').write('x')\n" + GOOD
    project = script_project(source)
    loaded = loads(dumps(project))
    assert loaded.network.script == source and loaded.network.layers == []
    session = Session()
    session.set_project(loaded)
    assert not marker.exists() and session.built is None and session.run_blocker() == ""
    build(loaded)  # building is the explicit request to run it
    assert marker.exists()
    session.close()


def test_files_without_a_script_keep_their_format():
    doc = json.loads(dumps(load_preset("xor")))
    assert "script" not in doc["network"]
    assert loads(json.dumps(doc)).network.script == ""


@pytest.mark.parametrize("value, message", [
    (42, "network.script must be a string, got int"),
    ("x" * (MAX_SCRIPT_CHARS + 1), "more than the 200,000 allowed"),
    ("a = '\ud800'", "not valid"),
])
def test_bad_scripts_are_refused_by_validation(value, message):
    project = script_project(value)
    assert any(message in issue.message for issue in check_values(project))
    with pytest.raises(ProjectError, match=message):
        doc = json.loads(dumps(load_preset("dynamic_depth")))
        doc["network"]["script"] = value
        loads(json.dumps(doc))


def test_a_script_project_needs_no_layers_and_warns_when_it_has_some():
    assert validate(script_project(GOOD)).issues == []
    project = script_project(GOOD)
    project.network.layers = [LayerSpec("Linear", {"out_features": 2})]
    [issue] = validate(project).issues
    assert issue.severity == "warning" and "layer list is ignored" in issue.message


def test_build_makes_the_last_module_class_with_the_seeded_weights():
    first, second = build(script_project(GOOD)), build(script_project(GOOD))
    assert type(first.model).__name__ == "Net"
    for a, b in zip(first.model.parameters(), second.model.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    forward = nn.Sequential.forward
    model = build_script_model("def build():\n    return nn.Sequential(nn.Linear(2, 2))\n")
    assert type(model).__name__ == "Sequential" and nn.Sequential.forward is forward


def test_script_modules_inside_an_engine_container_report_their_line():
    model = build_script_model(
        "class Bad(nn.Module):\n    def forward(self, x):\n        return x @ x\n\n\n"
        "def build():\n    return nn.Sequential(nn.Linear(2, 3), Bad())\n")
    with pytest.raises(ScriptError) as caught:
        model(sg.tensor(np.ones((4, 2), np.float32)))
    assert caught.value.line == 3 and "matmul" in caught.value.message


@pytest.mark.parametrize("source, line, message", [
    ("x = 1\nclass Net(nn.Module)\n    pass\n", 2, "SyntaxError"),
    ("x = 1\ny = undefined_name\n", 2, "NameError: name 'undefined_name' is not defined"),
    ("class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
     "        self.fc = nn.Linear(2, -3)\n", 4, "Linear"),
    ("x = 1\n", None, "the script defines no model"),
    ("class Net(nn.Module):\n    pass\n", None, "NotImplementedError: Net has no forward"),
])
def test_errors_while_compiling_or_building_name_the_line(source, line, message):
    with pytest.raises(ScriptError, match=message) as caught:
        build(script_project(source))
    assert caught.value.line == line


def test_an_output_that_does_not_fit_the_loss_names_the_class_layer_and_shapes():
    source = GOOD.replace("nn.Linear(2, 2)", "nn.Linear(2, 3)")
    with pytest.raises(ScriptError, match=r"Net: output \(2, 3\) for input \(2, 2\), last "
                                          r"layer fc \(Linear\); CrossEntropyLoss on "
                                          r"'circles' needs \(N, 2\)"):
        build(script_project(source))


def test_an_error_in_forward_names_the_script_line_of_the_failing_op():
    source = GOOD.replace("return self.fc(x)", "h = self.fc(x)\n        return h @ h")
    model = build_script_model(source)
    with pytest.raises(ScriptError) as caught:
        model(sg.tensor(np.ones((4, 2), np.float32)))
    assert caught.value.line == 9 and "matmul" in caught.value.message
    assert parse_error(f"ScriptError: {caught.value}") == (9, caught.value.message)
    assert parse_error("ValueError: something else") is None


def test_the_namespace_is_fresh_and_provides_the_engine():
    first = run_script("import math\nvalue = sg.tensor([1.0]) * 2\nfn = F.relu\n")
    assert first["value"].numpy().tolist() == [2.0] and "math" in first
    assert "value" not in run_script("pass\n")


def test_a_failing_forward_during_a_step_reaches_the_session_with_its_line():
    source = GOOD.replace("return self.fc(x)",
                          "if x.shape[0] > 2:\n            raise ValueError('big batch')\n"
                          "        return self.fc(x)")
    session = Session()
    session.set_project(script_project(source))
    try:
        session.step("iteration")
        assert session.debugger.wait(5)
        session.pump()
        assert parse_error(session.state.error) == (9, "ValueError: big batch")
        assert session.hits[-1].kind == "error"
    finally:
        session.close()


def test_a_script_that_does_not_build_is_an_error_hit_and_run_stays_possible():
    session = Session()
    session.set_project(script_project("class Net(nn.Module):\n    def forward(self, x)\n"))
    with pytest.raises(RuntimeError, match="the script failed: line 2: SyntaxError"):
        session.step("iteration")
    assert session.script_error.line == 2 and session.hits[-1].kind == "error"
    assert session.run_blocker() == "" and session.debugger is None
    session.close()


def test_exports_refuse_a_script_project_with_a_message(tmp_path):
    for export in (export_pytorch, lambda p: export_onnx(p, tmp_path / "m.onnx")):
        with pytest.raises(ExportError, match="the Script tab's Python code"):
            export(load_preset("dynamic_depth"))
