"""The main window's menus: File, Edit, View, Debug and Help."""
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog

from app.project.presets import list_presets

FILE_FILTER = "Stepgraph projects (*.json)"


class Menus:
    """The menu bar: File, Edit, View and Debug. The window's controllers add their own
    actions (`add_to(menu)`); the File actions (open, save, save as) are methods here."""

    def __init__(self, window):
        self.window = window
        bar = window.menuBar()
        self.file_menu = bar.addMenu("&File")
        self._fill_file(self.file_menu)
        self.edit_menu = bar.addMenu("&Edit")
        self.undo = window.undo_stack.createUndoAction(window, "&Undo")
        self.undo.setShortcut(QKeySequence.Undo)
        self.redo = window.undo_stack.createRedoAction(window, "&Redo")
        # both conventions, each once (QKeySequence.Redo is Ctrl+Shift+Z on Linux: listing
        # it as well made the shortcut ambiguous, and Ctrl+Y was not bound)
        self.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.undo.setStatusTip("Undo the last edit of the project")
        self.redo.setStatusTip("Redo the edit undone last")
        self.edit_menu.addAction(self.undo)
        self.edit_menu.addAction(self.redo)
        self.view_menu = bar.addMenu("&View")
        for dock in window.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addAction(window.toolbar.toggleViewAction())
        window.presentation.add_to(self.view_menu)
        window.themes.add_to(self.view_menu)
        self.debug_menu = bar.addMenu("&Debug")
        for name, action in window.debug_actions.actions.items():
            if name in ("reset", "toggle_breakpoint"):
                self.debug_menu.addSeparator()
            self.debug_menu.addAction(action)
        window.gradient_checks.add_to(self.debug_menu)
        self.help_menu = window.help.add_menu()

    def _fill_file(self, menu):
        window = self.window
        _add(window, menu, "&New", QKeySequence.New, window.file_actions.new,
             "An empty project: add layers from the palette")
        _add(window, menu, "&Open...", QKeySequence.Open, self.open_dialog,
             "Open a project file")
        presets = menu.addMenu("Open &Preset")
        presets.setToolTipsVisible(True)
        for info in list_presets():
            action = _add(window, presets, info.name, None,
                          lambda name=info.name: window.file_actions.open_preset(name),
                          info.description)
            action.setToolTip(info.description)
        self.recent = menu.addMenu("Open &Recent")
        self.recent.aboutToShow.connect(self.fill_recent)
        _add(window, menu, "Open &Data...", None, window.file_actions.open_data,
             "Your own data (CSV, NPZ, IDX, a folder of images) as the project's dataset")
        _add(window, menu, "&Import PyTorch model (.py)...", None,
             window.file_actions.import_torch_dialog,
             "A model written for PyTorch as a new script project: it runs on the engine")
        menu.addSeparator()
        _add(window, menu, "&Save", QKeySequence.Save, self.save,
             "Save the project and its weights")
        _add(window, menu, "Save &As...", QKeySequence.SaveAs, self.save_as_dialog,
             "Save under a new name")
        window.exports.add_to(menu)
        menu.addSeparator()
        _add(window, menu, "&Quit", QKeySequence.Quit, window.close, "Close Stepgraph")

    def fill_recent(self):
        """Fill File > Open Recent with the recent files (as it opens)."""
        menu, window = self.recent, self.window
        menu.clear()
        paths = window.recent.paths()
        for path in paths:
            menu.addAction(path).triggered.connect(
                lambda checked=False, p=path: window.file_actions.open_file(p))
        if not paths:
            menu.addAction("(no recent files)").setEnabled(False)

    def open_dialog(self):
        """File > Open: choose a project file and open it."""
        path, _ = QFileDialog.getOpenFileName(self.window, "Open project", "", FILE_FILTER)
        if path:
            self.window.file_actions.open_file(path)

    def save(self):
        """File > Save: to the project's file, or as a new one when it has none."""
        if self.window.session.path is None:
            return self.save_as_dialog()
        if not self.window.script_tab.ready_to_save():
            return False
        return self.window.save_to(self.window.session.path)

    def save_as_dialog(self):
        """File > Save As: choose a file name and save there."""
        if not self.window.script_tab.ready_to_save():
            return False
        path, _ = QFileDialog.getSaveFileName(self.window, "Save project as", "", FILE_FILTER)
        return self.window.save_to(path) if path else False


def _add(window, menu, text, shortcut, slot, tip):
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setStatusTip(tip)
    action.triggered.connect(lambda checked=False: slot())
    menu.addAction(action)
    return action
