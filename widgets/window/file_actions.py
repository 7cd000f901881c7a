"""The window's file actions that must not lose work or run code unasked: Save / Discard /
Cancel before anything replaces a modified project (New, Open, a preset, a recent file,
Quit), saving that never drops the saved weights (an unbuilt project keeps them, a refused
file is kept, a worker that does not answer gives a save without the current weights), a
dialog for weights that were refused, and consent before a script from a file first runs
(Run, Step, Trace), remembered by the script's hash; File > Open data; File > Import
PyTorch model (a .py file as a new script project, its script from a file like any other)."""
import copy
from concurrent.futures import ThreadPoolExecutor, wait as future_wait
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QProgressDialog

from app.project import ProjectError, load_project, save_project
from app.project.data import generated_datasets, load_dataset
from app.project.presets import load_preset
from app.project.script_file import load_script_project
from app.project.specs import Project
from app.project.trust import TrustedScripts
from widgets import save_prompt
from widgets.file_dialogs import remember, start_dir
from widgets.open_data_dialog import open_data
from widgets.trust_dialog import ask_trust

WEIGHTS_TIMEOUT_S = 2.0  # a save waits this long for the worker to end an iteration
PROGRESS_AFTER_MS = 300  # reading data shows its progress dialog after this long
POLL_MS = 30


class FileActions:
    """See the module docstring. `ask_save(name)` and `ask_trust(source, origin, action)`
    are the two questions (replaceable, e.g. by tests)."""

    def __init__(self, window):
        self.window = window
        self.trust = TrustedScripts(window.data_dir)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="data-reader")
        self.script_origin = None  # name of the .py file the unsaved project's script came from
        self.ask_save = lambda name: save_prompt.ask_save(window, name)
        self.ask_trust = lambda source, origin, action: ask_trust(window, source, origin,
                                                                  action)
        window.session.script_consent = self.consent

    # ---- replacing the project ----------------------------------------------------------
    def maybe_save(self):
        """True when the open project may be replaced: it has no unsaved changes, or the
        user saved them, or chose to discard them; False on Cancel (or a failed save)."""
        window = self.window
        if window.session.project is None or window.undo_stack.isClean():
            return True
        session = window.session
        name = Path(session.path).name if session.path else (session.project.name or "untitled")
        answer = self.ask_save(name)
        if answer == save_prompt.SAVE:
            return window.menus.save()
        return answer == save_prompt.DISCARD

    def new(self):
        if self.maybe_save():
            self.window.set_project(Project())

    def open_preset(self, name):
        if self.maybe_save():
            self.window.set_project(load_preset(name))

    def open_file(self, path):
        """Open a project file (after maybe_save; its data file read first, off the UI
        thread); False when it was not opened."""
        return self.maybe_save() and self.preload(path) and self.window.open_file(path)

    def import_torch_dialog(self):
        """File > Import PyTorch model: choose a .py file and open it as a script project."""
        window = self.window
        path, _ = QFileDialog.getOpenFileName(window, "Import PyTorch model",
                                              start_dir(window.settings, "script"),
                                              "Python files (*.py)")
        if path:
            remember(window.settings, path, "script")
            self.import_torch_model(path)

    def import_torch_model(self, path):
        """Open the .py file `path` as a new script project (after maybe_save); its script
        runs only once the user allowed it, as one that came with a project file. False
        when it was not opened."""
        if not self.maybe_save():
            return False
        try:
            project = load_script_project(path)
        except ProjectError as exc:
            self.window.show_error("Cannot import the PyTorch model", str(exc))
            return False
        self.window.set_project(project)
        self.script_origin = Path(path).name
        self.window.graph_tabs.setCurrentWidget(self.window.script_page)
        self.window.show_message(f"imported {self.script_origin}: its model runs on Run or "
                                 "Step, once you allow it")
        return True

    def preload(self, path):
        """Read the data file the project `path` names in a worker thread, with a progress
        dialog that can cancel the opening, so that building the project then finds it
        read (app/project/data.py caches it by path, size and modification time). True
        unless cancelled; a file that cannot be read is reported when the project opens."""
        try:
            spec = load_project(path).dataset
        except ProjectError:
            return True
        if spec.name in generated_datasets():  # small, made in memory
            return True
        future = self._pool.submit(load_dataset, spec)
        progress = QProgressDialog(f"Reading the data of {Path(path).name}...", "Cancel", 0, 0,
                                   self.window)
        progress.setWindowModality(Qt.WindowModal)
        progress.setMinimumDuration(PROGRESS_AFTER_MS)
        while not future.done():
            if progress.wasCanceled():
                self.window.show_message("opening cancelled (the file is still read in the "
                                         "background, within its limits)")
                return False
            QApplication.processEvents(QEventLoop.AllEvents, POLL_MS)
            future_wait([future], timeout=POLL_MS / 1000)
        progress.close()
        return True

    def close_requested(self):
        """Quit or the window's close button: whether the window may close now."""
        return self.maybe_save()

    def project_replaced(self):
        """After another project replaced the open one: nothing of the old one stays shown
        (the session forgot its selection and breakpoints), and weights that were refused
        are explained in a dialog (the file itself is kept)."""
        window = self.window
        self.script_origin = None
        window.inspector.show_node("", None, None, message="nothing selected")
        error = window.session.weights_error
        if error:
            window.show_error("Saved weights not loaded",
                              f"{error}\n\nThe network starts from fresh weights. The "
                              "weights file is kept as it is: saving does not remove it.")

    def open_data(self):
        """File > Open data: the user's own data becomes the project's dataset (an edit,
        undoable); saved by its path, relative to the project file where it can be."""
        window = self.window
        spec = open_data(window, start_dir(window.settings, "data"))
        if spec is None:
            return
        remember(window.settings, next(iter(spec.params.values()), ""), "data")
        project = copy.deepcopy(window.session.project or Project())
        project.dataset = spec
        window.edit(project, f"Open data {spec.name}")

    # ---- saving -----------------------------------------------------------------------------
    def save_to(self, path):
        """Save the project and its weights to `path`; False (with the reason shown) when
        it could not be written."""
        window, session = self.window, self.window.session
        note = ""
        try:
            state = session.weights(timeout=WEIGHTS_TIMEOUT_S)
        except TimeoutError:
            state, note = None, (" without the current weights: the training did not pause "
                                 f"within {WEIGHTS_TIMEOUT_S:g} s (the last saved ones are kept)")
        keep = session.pending_weights or (session.path if state is None else None)
        try:
            save_project(path, session.project, state, keep_weights_of=keep,
                         keep_previous=bool(session.weights_error))
        except (OSError, ProjectError) as exc:
            window.show_error("Cannot save the project", f"{path}: {exc}")
            return False
        if session.project.network.script and session.has_model:
            self.trust.trust(session.project.network.script)  # it ran here: allowed
        session.path = Path(path)
        window.recent.add(path)
        window.autosave.mark_clean_save()
        window.undo_stack.setClean()
        window.show_message(f"saved {path}{note}", 15000 if note else 8000)
        return True

    # ---- consent before a script runs -----------------------------------------------------
    def consent(self, source, action="Run"):
        """Whether the script `source` may run now: a script typed here or from a preset
        may; one that came with a file (a project file or an imported .py) may once the user
        allowed it (asked once per script, remembered by its hash)."""
        path = self.window.session.path
        origin = Path(path).name if path is not None else self.script_origin
        if origin is None or not source or self.trust.is_trusted(source):
            return True
        if not self.ask_trust(source, origin, action):
            self.window.show_message("the script was not run: it was not allowed")
            return False
        self.trust.trust(source)
        return True

    def allow_script(self, action):
        """consent() for the open project's script before `action` (Trace, Export) runs it;
        True when there is no script."""
        project = self.window.session.project
        script = project.network.script if project is not None else ""
        return not script or self.consent(script, action)

