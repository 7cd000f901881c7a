"""Saving never loses work: through a symbolic link the target is written and the link kept,
a replaced file keeps its mode, an unbuilt project keeps its saved weights, and a refused
weights file can be kept (issue 23)."""
import json
import os
import stat

import numpy as np
import pytest

from app.project.build import build
from app.project.files import load_project, load_weights, save_project, weights_path
from app.project.specs import DatasetSpec
from app.session import Session

from .test_save_killed import numbered_project, numbered_state

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX links and modes")


@posix_only
def test_saving_through_a_link_writes_its_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "real" / "p.json"
    real.parent.mkdir()
    save_project(real, numbered_project(0))
    link = tmp_path / "link.json"
    link.symlink_to(real)
    save_project(link, numbered_project(1), numbered_state(1))
    assert link.is_symlink() and load_project(real) == numbered_project(1)
    assert weights_path(link) == weights_path(real)
    assert weights_path(real).parent == real.parent


@posix_only
def test_a_replaced_file_keeps_its_mode(tmp_path):
    path = tmp_path / "p.json"
    save_project(path, numbered_project(0))
    os.chmod(path, 0o664)
    save_project(path, numbered_project(1))
    assert stat.S_IMODE(path.stat().st_mode) == 0o664
    os.chmod(path, 0o640)
    save_project(path, numbered_project(2), numbered_state(2))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@posix_only
def test_a_new_file_gets_the_mode_the_umask_allows(tmp_path):
    save_project(tmp_path / "new.json", numbered_project(0))
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o666 & ~mask  # not 0600


def csv_project(tmp_path, i):
    """numbered_project(i) on a CSV file of 2 features and a 0/1 label."""
    data = tmp_path / "points.csv"
    data.write_text("".join(f"{k % 3},{k % 5},{k % 2}\n" for k in range(20)))
    project = numbered_project(i)
    project.dataset = DatasetSpec("csv", {"path": str(data)})
    return project, data


def test_saving_an_unbuilt_project_keeps_its_saved_weights(tmp_path):
    path = tmp_path / "p.json"
    project, data = csv_project(tmp_path, 1)
    save_project(path, project, numbered_state(1))
    data.rename(tmp_path / "moved.csv")  # the project no longer builds
    session = Session()
    session.set_project(load_project(path), path, weights_from=path)
    assert session.built is None and session.weights() is None
    assert session.pending_weights == path
    save_project(path, session.project, session.weights(), keep_weights_of=session.pending_weights)
    (tmp_path / "moved.csv").rename(data)
    model = build(load_project(path)).model
    load_weights(weights_path(path), model, path)
    assert model.state_dict()["2.bias"].tolist() == [1.0, 1.0]
    copy = tmp_path / "elsewhere" / "copy.json"  # Save As: the weights come along
    copy.parent.mkdir()
    save_project(copy, session.project, None, keep_weights_of=path)
    load_weights(weights_path(copy), model, copy)
    session.close()


def test_a_refused_weights_file_can_be_kept_by_the_next_save(tmp_path):
    path = tmp_path / "p.json"
    save_project(path, numbered_project(0), numbered_state(0))
    refused = weights_path(path)
    save_project(path, numbered_project(0), numbered_state(3), keep_previous=True)
    assert refused.exists() and weights_path(path) != refused
    model = build(load_project(path)).model
    load_weights(weights_path(path), model, path)
    np.testing.assert_array_equal(model.state_dict()["0.bias"], numbered_state(3)["0.bias"])


def test_data_beside_the_project_is_saved_by_a_relative_path(tmp_path):
    folder = tmp_path / "course"
    folder.mkdir()
    project, data = csv_project(folder, 0)
    path = folder / "p.json"
    save_project(path, project)
    assert json.loads(path.read_text())["dataset"]["params"]["path"] == "points.csv"
    assert load_project(path).dataset.params["path"] == str(data)
    moved = tmp_path / "moved"
    folder.rename(moved)  # the folder travels: the project still finds its data
    loaded = load_project(moved / "p.json")
    assert loaded.dataset.params["path"] == str(moved / "points.csv")
    assert len(build(loaded).train_set) > 0
    elsewhere = tmp_path / "other" / "q.json"
    elsewhere.parent.mkdir()
    save_project(elsewhere, loaded)  # data outside the project's folder: absolute
    assert json.loads(elsewhere.read_text())["dataset"]["params"]["path"] == str(moved / "points.csv")
