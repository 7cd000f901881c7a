"""Recent files and autosave / crash recovery (app/project/recent.py), headless."""
from app.project.files import save_project
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


def test_autosave_after_the_last_clean_save_is_offered_for_recovery(tmp_path):
    autosave = Autosave(tmp_path / "state")
    assert autosave.find_recovery() is None
    autosave.mark_clean_save()
    edited = Project(name="unsaved edits")
    autosave.write(edited, source=tmp_path / "work.json")
    # the app crashes here: a new session finds the autosave
    recovery = Autosave(tmp_path / "state").find_recovery()
    assert recovery is not None
    assert recovery.source == str(tmp_path / "work.json")
    assert recovery.load() == edited


def test_a_clean_save_after_the_autosave_means_nothing_to_recover(tmp_path):
    autosave = Autosave(tmp_path / "state")
    autosave.write(Project(name="x"))
    autosave.mark_clean_save()
    assert autosave.find_recovery() is None
    autosave.write(Project(name="y"))
    assert autosave.find_recovery().load().name == "y"


def test_clean_exit_removes_the_autosave(tmp_path):
    autosave = Autosave(tmp_path / "state")
    autosave.write(Project(name="x"), state={"0.weight": [[1.0, 2.0]]})
    assert autosave.path.exists() and autosave.path.with_suffix(".npz").exists()
    autosave.clean_exit()
    assert not autosave.path.exists() and not autosave.path.with_suffix(".npz").exists()
    assert Autosave(tmp_path / "state").find_recovery() is None
