"""Saving survives being killed: a child process saves a project with weights in a loop and
is killed (SIGKILL) at random moments, many times. After every kill the project file loads,
its weights are there and are the ones saved with it, and at most one temporary file per
target is left. Also the pairing of the JSON and its weights when a save stops between the
two, simulated in process, and files the app did not write, which are never weights."""
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import app.project.files as project_file
from app.project.build import build
from app.project.files import ProjectError, load_project, load_weights, save_project, weights_path
from app.project.specs import DatasetSpec, LayerSpec, NetworkSpec, Project

ROOT = Path(__file__).resolve().parents[2]
KILLS = 40

# Imports once, then forks one saver per round (a fresh interpreter per kill would spend most
# of the test importing). "go I" forks a child that saves I, I+1, ... until killed and
# answers its pid once it runs; "wait PID" reaps it and answers the signal that ended it.
# It saves the project file argv[1], or with argv[2] == "autosave" autosaves into that folder.
FORK_SERVER = textwrap.dedent("""
    import os, sys
    from tests.app.test_save_killed import numbered_project, numbered_state
    from app.project.files import save_project
    from app.project.recent import Autosave

    path = sys.argv[1]
    if sys.argv[2] == "autosave":
        autosave = Autosave(path)
        def save_project(path, project, state):
            autosave.write(project, source="work.json", state=state)
    for line in sys.stdin:
        command, argument = line.split()
        if command == "go":
            ready, started = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.write(started, b"s")
                i = int(argument)
                while True:
                    save_project(path, numbered_project(i), numbered_state(i))
                    i += 1
            os.close(started)
            os.read(ready, 1)
            os.close(ready)
            print(pid, flush=True)
        else:
            _, status = os.waitpid(int(argument), 0)
            print(os.WTERMSIG(status) if os.WIFSIGNALED(status) else -1, flush=True)
""")


def numbered_project(i):
    """Save number i: its name says i, and its hidden width (4, 5 or 6) changes each time."""
    return Project(name=f"save {i}",
                   network=NetworkSpec([LayerSpec("Linear", {"out_features": 4 + i % 3}),
                                        LayerSpec("ReLU"), LayerSpec("Linear", {"out_features": 2})]),
                   dataset=DatasetSpec("xor", {"n": 40}))


def numbered_state(i):
    width = 4 + i % 3
    shapes = {"0.weight": (width, 2), "0.bias": (width,), "2.weight": (2, width), "2.bias": (2,)}
    return {name: np.full(shape, float(i), np.float32) for name, shape in shapes.items()}


class ForkServer:
    """The FORK_SERVER script in a child process, saving `target` (`mode` "project") or
    autosaving into the folder `target` (`mode` "autosave")."""

    def __init__(self, target, mode):
        self.process = subprocess.Popen(
            [sys.executable, "-c", FORK_SERVER, str(target), mode], cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE)

    def _ask(self, line):
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def save_and_kill(self, first, delay):
        """Save from number `first` on for `delay` seconds, then SIGKILL; the signal seen."""
        pid = self._ask(f"go {first}")
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        return self._ask(f"wait {pid}")

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)


def kill_delays(save, rng, count):
    """`count` random moments within the first four saves of a child: one `save()` is timed
    here, so that the kills spread over the saves on this machine, however fast it is."""
    start = time.perf_counter()
    save()
    took = time.perf_counter() - start
    return [rng.uniform(0, 4 * took) for _ in range(count)]


def number_of(project):
    return int(project.name.split()[1])


def temps(directory):
    return sorted(p.name for p in Path(directory).glob(".*.tmp"))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (POSIX)")
def test_a_save_killed_at_random_moments_never_leaves_a_broken_file(tmp_path):
    path = tmp_path / "work.json"
    save_project(path, numbered_project(0), numbered_state(0))
    delays = kill_delays(lambda: save_project(tmp_path / "timed.json", numbered_project(0),
                                              numbered_state(0)), random.Random(9), KILLS)
    server = ForkServer(path, "project")
    loaded, refused, latest = 0, 0, 0
    try:
        for delay in delays:
            assert server.save_and_kill(latest + 1, delay) == signal.SIGKILL

            project = load_project(path)  # never a half-written file
            assert number_of(project) >= latest
            latest = number_of(project)
            assert project == numbered_project(latest)
            model = build(project).model
            load_weights(weights_path(path), model, path)  # never lost, never unpaired
            for name, array in model.state_dict().items():
                np.testing.assert_array_equal(array, numbered_state(latest)[name])
            left = temps(tmp_path)
            assert sum(t.startswith(".work.json.") for t in left) <= 1, left
            assert sum(t.startswith(".work.weights-") for t in left) <= 1, left
    finally:
        server.close()
    print(f"kills {KILLS}: the weights saved with the project loaded every time, saves {latest}")


class Killed(BaseException):
    """Stands for the process dying at this point (nothing after it runs)."""


def die_on_write(monkeypatch, number):
    """The `number`-th write_atomic call (0 = the first) kills the save before it starts."""
    calls = []
    real = project_file.write_atomic

    def write_atomic(path, write):
        calls.append(path)
        if len(calls) - 1 == number:
            raise Killed
        real(path, write)
    monkeypatch.setattr(project_file, "write_atomic", write_atomic)


def test_a_save_killed_between_the_weights_and_the_json_keeps_the_old_pair(tmp_path,
                                                                            monkeypatch):
    path = tmp_path / "p.json"
    save_project(path, numbered_project(3), numbered_state(3))
    die_on_write(monkeypatch, 1)  # the new weights are written, the JSON is not
    with pytest.raises(Killed):
        save_project(path, numbered_project(6), numbered_state(6))  # same shapes as save 3
    project = load_project(path)
    assert project == numbered_project(3)
    model = build(project).model
    load_weights(weights_path(path), model, path)  # the last good weights are still there
    assert model.state_dict()["2.bias"].tolist() == [3.0, 3.0]


def test_new_weights_beside_an_old_json_are_refused_as_unpaired(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    save_project(path, numbered_project(3), numbered_state(3))
    die_on_write(monkeypatch, 1)
    with pytest.raises(Killed):
        save_project(path, numbered_project(6), numbered_state(6))
    monkeypatch.undo()
    newer = [f for f in tmp_path.glob("p.weights-*.npz") if f != weights_path(path)]
    with pytest.raises(ProjectError, match=r"p.weights-\w+.npz: these weights were saved with "
                                           r"another version of p.json \(a save was interrupted"):
        load_weights(newer[0], build(load_project(path)).model, path)


def test_a_save_without_weights_killed_before_removing_the_old_ones(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    save_project(path, numbered_project(1), numbered_state(1))
    old = weights_path(path)
    monkeypatch.setattr(Path, "unlink", lambda self, missing_ok=False: (_ for _ in ()).throw(Killed))
    with pytest.raises(Killed):
        save_project(path, numbered_project(4))  # the JSON is written, the old weights stay
    monkeypatch.undo()
    project = load_project(path)
    assert project == numbered_project(4) and weights_path(path) is None and old.exists()
    with pytest.raises(ProjectError, match="saved with another version"):
        load_weights(old, build(project).model, path)


def test_a_save_killed_before_the_npz_keeps_the_old_pair(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    save_project(path, numbered_project(2), numbered_state(2))
    die_on_write(monkeypatch, 0)
    with pytest.raises(Killed):
        save_project(path, numbered_project(5), numbered_state(5))
    model = build(load_project(path)).model
    load_weights(weights_path(path), model, path)
    assert model.state_dict()["2.bias"].tolist() == [2.0, 2.0]


def test_a_dataset_named_like_the_project_is_never_taken_for_its_weights(tmp_path):
    path, data = tmp_path / "data.json", tmp_path / "data.npz"
    np.savez(data, **numbered_state(6))  # the user's file (here: arrays that would even fit)
    before = data.read_bytes()
    save_project(path, numbered_project(0))
    assert weights_path(path) is None  # not read as weights
    save_project(path, numbered_project(0), numbered_state(0))
    assert weights_path(path).name.startswith("data.weights-")  # not overwritten
    save_project(path, numbered_project(0))  # not built (invalid): the recorded ones go
    assert data.read_bytes() == before  # never deleted
    model = build(load_project(path)).model
    load_weights(data, model, path)  # a file the user names explicitly still loads
    assert model.state_dict()["0.bias"].tolist() == [6.0] * 4


def test_editing_the_description_keeps_the_weights_paired(tmp_path):
    path = tmp_path / "p.json"
    save_project(path, numbered_project(0), numbered_state(0))
    path.write_text(path.read_text().replace('"description": ""', '"description": "edited"'))
    model = build(load_project(path)).model
    load_weights(weights_path(path), model, path)
    assert model.state_dict()["2.bias"].tolist() == [0.0, 0.0]


def test_weights_that_differ_from_their_hash_are_refused(tmp_path):
    path = tmp_path / "p.json"
    save_project(path, numbered_project(0), numbered_state(0))
    text = path.read_text()
    digest = json.loads(text)["weights"]["sha256"]
    path.write_text(text.replace(digest, "0" * 64))  # the record names other weights
    with pytest.raises(ProjectError, match="saved with another version of p.json"):
        load_weights(weights_path(path), build(load_project(path)).model, path)
    load_weights(weights_path(path), build(load_project(path)).model)  # unchecked on request


def test_weights_saved_by_an_older_version_still_pair_by_the_json_text(tmp_path):
    path = tmp_path / "p.json"
    save_project(path, numbered_project(0))
    text = path.read_bytes()
    comment = b"stepgraph project sha256 " + hashlib.sha256(text).hexdigest().encode()
    with open(path.with_suffix(".npz"), "wb") as file:
        write_legacy_npz(file, numbered_state(0), comment)
    model = build(load_project(path)).model
    load_weights(weights_path(path), model, path)
    path.write_bytes(text.replace(b'"save 0"', b'"renamed"'))
    with pytest.raises(ProjectError, match="or the file was edited since"):
        load_weights(weights_path(path), model, path)


def write_legacy_npz(file, arrays, comment):
    with zipfile.ZipFile(file, "w") as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array(member, array)
        archive.comment = comment


def test_a_temporary_file_of_a_dead_writer_is_removed_by_the_next_write(tmp_path):
    path = tmp_path / "p.json"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    orphan = tmp_path / f".p.json.{dead}.abc123.tmp"
    orphan.write_text("half a file")
    alive = tmp_path / f".p.json.{os.getppid()}.def456.tmp"  # a writer still running
    alive.write_text("being written")
    other = tmp_path / f".other.json.{dead}.x.tmp"
    other.write_text("another target")
    save_project(path, numbered_project(0))
    assert temps(tmp_path) == sorted([alive.name, other.name])


def test_weights_orphaned_by_a_killed_save_are_removed_by_the_next_save(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    save_project(path, numbered_project(1), numbered_state(1))
    monkeypatch.setattr(Path, "unlink", lambda self, missing_ok=False: (_ for _ in ()).throw(Killed))
    with pytest.raises(Killed):  # killed after the JSON is in place: save 1's weights stay
        save_project(path, numbered_project(4), numbered_state(4))
    monkeypatch.undo()
    die_on_write(monkeypatch, 1)  # killed before the JSON: save 5's weights are unpaired
    with pytest.raises(Killed):
        save_project(path, numbered_project(5), numbered_state(5))
    monkeypatch.undo()
    assert len(list(tmp_path.glob("p.weights-*.npz"))) == 3  # saves 1, 4 (in p.json) and 5
    sibling = tmp_path / "p.old"  # another project of the same name keeps what it records
    save_project(sibling, numbered_project(2), numbered_state(2))
    assert sorted(tmp_path.glob("p.weights-*.npz")) == sorted([weights_path(path),
                                                              weights_path(sibling)])
    save_project(path, numbered_project(6), numbered_state(6))
    assert sorted(tmp_path.glob("p.weights-*.npz")) == sorted([weights_path(path),
                                                              weights_path(sibling)])
    model = build(load_project(path)).model
    load_weights(weights_path(path), model, path)
    assert model.state_dict()["2.bias"].tolist() == [6.0, 6.0]
