"""Bounded projects (issue 23): more layers or breakpoints than a project may hold is one
clear error (a 300,000-layer file is refused before a spec is made of each layer), and a
dataset read from a file is read again when the file changes."""
import json
import os

from app.project.data import load_dataset
from app.project.files import ProjectError, dumps, load_project
from app.project.specs import BreakpointSpec, DatasetSpec, LayerSpec, Project
from app.project.validation import MAX_BREAKPOINTS, MAX_LAYERS, check_values, validate

import pytest


def test_a_file_with_300000_layers_is_refused_with_one_message(tmp_path):
    doc = json.loads(dumps(Project()))
    doc["network"]["layers"] = [{"type": "ReLU"}] * 300_000
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ProjectError, match="network.layers: 300,000 layers, a project holds "
                                           "at most 1,000"):
        load_project(path)


def test_too_many_breakpoints_in_a_file_are_refused(tmp_path):
    doc = json.loads(dumps(Project()))
    doc["breakpoints"] = [{"target": "0"}] * (MAX_BREAKPOINTS + 1)
    path = tmp_path / "many.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ProjectError, match="breakpoints: 1,001 entries, a project holds at most"):
        load_project(path)


def test_validation_reports_a_layer_count_over_the_limit_once():
    project = Project()
    project.network.layers = [LayerSpec("Blender")] * (MAX_LAYERS + 1)
    project.breakpoints = [BreakpointSpec("0")] * (MAX_BREAKPOINTS + 5)
    messages = [i.message for i in check_values(project)]
    assert "1,001 layers: a project holds at most 1,000" in messages
    assert "1,005 breakpoints: a project holds at most 1,000" in messages
    assert not any("Blender" in m for m in messages)  # not one issue per layer
    assert not validate(project).ok


def test_a_data_file_that_changed_is_read_again(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("1,2,0\n3,4,1\n")
    spec = DatasetSpec("csv", {"path": str(path)})
    assert len(load_dataset(spec)) == 2
    path.write_text("1,2,0\n3,4,1\n5,6,0\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10 ** 9))
    assert len(load_dataset(spec)) == 3
