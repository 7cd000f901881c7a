"""The command line: a screenshot after some steps (a real subprocess), the preset list,
and clear messages with a non-zero exit for bad arguments."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from widgets import cli
from app.project.presets import list_presets

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_screenshot_after_steps_writes_a_png(tmp_path):
    shot = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    done = subprocess.run([sys.executable, "main.py", "--preset", "xor", "--steps", "3",
                           "--screenshot", str(shot)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 1000 and height >= 700


def test_list_presets_names_each_with_its_description(capsys):
    assert cli.main(["--list-presets"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == [info.name for info in list_presets()]
    assert out[0].startswith("spirals") and "spirals" in out[0][len("spirals"):]


@pytest.mark.parametrize("argv, message", [
    (["--preset", "nope"], "no preset 'nope' (known: spirals"),
    (["--open", "missing.json"], "cannot open the project"),
    (["--steps", "-2"], "--steps must be >= 0, got -2"),
])
def test_bad_arguments_exit_with_a_message(argv, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert isinstance(exit_info.value.code, str) and message in exit_info.value.code


def test_unreadable_project_file_exits_non_zero_with_the_reason(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": 1, "network": {"layers": [{"type": "Blender"}]}}')
    done = subprocess.run([sys.executable, "main.py", "--open", str(bad)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode != 0
    assert "cannot open the project" in done.stderr and "Blender" in done.stderr


def test_unknown_mode_is_an_argument_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--mode", "eager"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'eager'" in capsys.readouterr().err


def test_mode_and_device_options_reach_the_project():
    args = cli.parser().parse_args(["--preset", "sine", "--mode", "static", "--device", "cpu"])
    project = cli.load(args)
    assert (project.name, project.train.mode, project.train.device) == ("sine", "static", "cpu")


def test_steps_on_an_invalid_network_exit_non_zero_naming_the_layer(tmp_path):
    from app.project.presets import load_preset
    from app.project import LayerSpec, save_project
    project = load_preset("spirals")
    project.network.layers.insert(1, LayerSpec("Conv2d"))
    path = tmp_path / "invalid.json"
    save_project(path, project)
    done = subprocess.run([sys.executable, "main.py", "--open", str(path), "--steps", "2"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                               "XDG_DATA_HOME": str(tmp_path / "data")})
    assert done.returncode == 1  # a refused input
    assert "layer 1 (Conv2d): expects input (channels, height, width), got (32,)" in done.stderr


SCRIPT_PROJECT_STEPS = ["--steps", "2"]


def script_file(tmp_path):
    from app.project.presets import load_preset
    from app.project import save_project
    path = tmp_path / "script.json"
    save_project(path, load_preset("dynamic_depth"))
    return path


def test_a_script_project_is_refused_without_trust_script(tmp_path, capsys):
    path = script_file(tmp_path)
    assert cli.main(["--open", str(path), *SCRIPT_PROJECT_STEPS]) == 2
    err = capsys.readouterr().err
    assert "holds a script (Python code)" in err and "--trust-script" in err


@pytest.fixture
def headless_data(tmp_path, monkeypatch):
    """The window's app-data folder in tmp_path (cli.main makes the window itself)."""
    import widgets.window.main_window as main_window
    monkeypatch.setattr(main_window, "default_data_dir", lambda: tmp_path / "appdata")


def test_save_after_steps_writes_the_project_and_the_trained_weights(qtbot, tmp_path,
                                                                     headless_data, capsys):
    from app.project import load_project, load_weights, weights_path
    from app.project.build import build
    import numpy as np
    out = tmp_path / "trained.json"
    assert cli.main(["--preset", "xor", "--steps", "3", "--save", str(out)]) == 0
    project = load_project(out)
    model, initial = build(project).model, build(project).model.state_dict()
    load_weights(weights_path(out), model, out)
    assert any(not np.array_equal(model.state_dict()[k], initial[k]) for k in initial)


def test_trust_script_runs_a_script_project_and_saves_it(qtbot, tmp_path, headless_data):
    from app.project import load_project, weights_path
    path, out = script_file(tmp_path), tmp_path / "out.json"
    assert cli.main(["--open", str(path), "--trust-script", *SCRIPT_PROJECT_STEPS,
                     "--save", str(out)]) == 0
    assert load_project(out).network.script and weights_path(out) is not None
