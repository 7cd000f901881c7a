"""The main window's menus: File, Edit, View and Debug."""
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog

from widgets.window.lecture import add_export_menu, add_gradient_check_action
from widgets.window.presentation import add_presentation_action
from app.project.presets import list_presets, load_preset
from app.project.specs import Project

FILE_FILTER = "Stepgraph projects (*.json)"


def build_menus(window):
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    _add(window, file_menu, "&New", QKeySequence.New, lambda: window.set_project(Project()),
         "An empty project: add layers from the palette")
    _add(window, file_menu, "&Open...", QKeySequence.Open, lambda: open_dialog(window),
         "Open a project file")
    presets = file_menu.addMenu("Open &Preset")
    presets.setToolTipsVisible(True)
    for info in list_presets():
        action = _add(window, presets, info.name, None,
                      lambda name=info.name: window.set_project(load_preset(name)),
                      info.description)
        action.setToolTip(info.description)
    window.recent_menu = file_menu.addMenu("Open &Recent")
    window.recent_menu.aboutToShow.connect(lambda: fill_recent(window))
    file_menu.addSeparator()
    _add(window, file_menu, "&Save", QKeySequence.Save, lambda: save(window),
         "Save the project and its weights")
    _add(window, file_menu, "Save &As...", QKeySequence.SaveAs, lambda: save_as_dialog(window),
         "Save under a new name")
    add_export_menu(window, file_menu)
    file_menu.addSeparator()
    _add(window, file_menu, "&Quit", QKeySequence.Quit, window.close, "Close Stepgraph")

    edit_menu = bar.addMenu("&Edit")
    undo = window.undo_stack.createUndoAction(window, "&Undo")
    undo.setShortcut(QKeySequence.Undo)
    redo = window.undo_stack.createRedoAction(window, "&Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.Redo])
    edit_menu.addAction(undo)
    edit_menu.addAction(redo)
    window.undo_action, window.redo_action = undo, redo

    view_menu = bar.addMenu("&View")
    for dock in window.docks.values():
        view_menu.addAction(dock.toggleViewAction())
    view_menu.addAction(window.toolbar.toggleViewAction())
    add_presentation_action(window, view_menu)

    debug_menu = bar.addMenu("&Debug")
    for name, action in window.debug_actions.actions.items():
        if name in ("reset", "toggle_breakpoint"):
            debug_menu.addSeparator()
        debug_menu.addAction(action)
    add_gradient_check_action(window, debug_menu)


def _add(window, menu, text, shortcut, slot, tip):
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setStatusTip(tip)
    action.triggered.connect(lambda checked=False: slot())
    menu.addAction(action)
    return action


def fill_recent(window):
    menu = window.recent_menu
    menu.clear()
    paths = window.recent.paths()
    for path in paths:
        menu.addAction(path).triggered.connect(lambda checked=False, p=path: window.open_file(p))
    if not paths:
        menu.addAction("(no recent files)").setEnabled(False)


def open_dialog(window):
    path, _ = QFileDialog.getOpenFileName(window, "Open project", "", FILE_FILTER)
    if path:
        window.open_file(path)


def save(window):
    if window.session.path is None:
        return save_as_dialog(window)
    return window.save_to(window.session.path)


def save_as_dialog(window):
    path, _ = QFileDialog.getSaveFileName(window, "Save project as", "", FILE_FILTER)
    return window.save_to(path) if path else False
