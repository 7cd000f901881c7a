"""Recent files and autosave / crash recovery (app/project/recent.py), headless."""
from app.project.files import save_project, weights_path
from app.project.recent import STATE_FILE, Autosave, RecentFiles
from app.project.specs import Project


def make_files(tmp_path, *names):
    paths = []
    for name in names:
        path = tmp_path / name
        save_project(path, Project(name=name))
        paths.append(path)
    return paths


def test_recent_files_most_recent_first_without_duplicates(tmp_path):
    a, b, c = make_files(tmp_path, "a.json", "b.json", "c.json")
    recent = RecentFiles(tmp_path / "state", limit=2)
    for path in (a, b, a, c):
        recent.add(path)
    assert recent.paths() == [str(c), str(a)]
    recent.remove(c)
    assert recent.paths() == [str(a)]


def test_recent_files_skip_deleted_files_and_survive_a_corrupt_state(tmp_path):
    a, b = make_files(tmp_path, "a.json", "b.json")
    recent = RecentFiles(tmp_path / "state")
    recent.add(a)
    recent.add(b)
    b.unlink()
    assert recent.paths() == [str(a)]
    (tmp_path / "state" / STATE_FILE).write_bytes(b"\xff{not json")
    assert recent.paths() == []
    recent.add(a)
    assert RecentFiles(tmp_path / "state").paths() == [str(a)]


def crash(autosave):
    """What the OS does when the process dies: its lock goes, its files stay."""
    autosave._lock.release()


def test_autosave_after_the_last_clean_save_is_offered_for_recovery(tmp_path):
    autosave = Autosave(tmp_path / "state")
    assert autosave.find_recovery() is None
    autosave.mark_clean_save()
    edited = Project(name="unsaved edits")
    autosave.write(edited, source=tmp_path / "work.json")
    crash(autosave)  # a new session finds the autosave
    recovery = Autosave(tmp_path / "state").find_recovery()
    assert recovery is not None
    assert recovery.source == str(tmp_path / "work.json")
    assert recovery.load() == edited


def test_a_clean_save_after_the_autosave_means_nothing_to_recover(tmp_path):
    autosave = Autosave(tmp_path / "state")
    autosave.write(Project(name="x"))
    autosave.mark_clean_save()
    assert Autosave(tmp_path / "state").find_recovery() is None
    autosave.write(Project(name="y"))
    crash(autosave)
    assert Autosave(tmp_path / "state").find_recovery().load().name == "y"


def test_clean_exit_removes_the_autosave(tmp_path):
    autosave = Autosave(tmp_path / "state")
    autosave.write(Project(name="x"), state={"0.weight": [[1.0, 2.0]]})
    project, weights = autosave.path, weights_path(autosave.path)
    assert project.exists() and weights.exists()
    autosave.clean_exit()
    assert not project.exists() and not weights.exists()
    assert Autosave(tmp_path / "state").find_recovery() is None


def test_a_running_instance_autosave_is_neither_offered_nor_removed_by_another(tmp_path):
    first, second = Autosave(tmp_path / "state"), Autosave(tmp_path / "state")
    first.write(Project(name="first's work"))
    second.write(Project(name="second's work"))
    assert second.find_recovery() is None  # the first still runs: its work is its own
    second.clean_exit()  # e.g. `main.py --screenshot` ending cleanly
    assert first.path.exists()
    crash(first)
    recovery = Autosave(tmp_path / "state").find_recovery()
    assert recovery is not None and recovery.load().name == "first's work"


def test_a_recovery_taken_over_belongs_to_the_new_instance(tmp_path):
    crashed = Autosave(tmp_path / "state")
    crashed.write(Project(name="lost?"))
    crash(crashed)
    taker = Autosave(tmp_path / "state")
    assert taker.find_recovery().load().name == "lost?"
    assert Autosave(tmp_path / "state").find_recovery() is None  # held by the taker now
    taker.clean_exit()
    assert Autosave(tmp_path / "state").find_recovery() is None
    assert list((tmp_path / "state" / "autosave").iterdir()) == []
