"""Help: the shortcut sheet is generated from the window's actions (Help menu, `?`); a hint on
the empty graph names the keys that train and step, and goes once the graph is drawn; every
control of the window has a tooltip; file dialogs start in the documents folder, then in the
last folder used."""
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox,
                               QLineEdit, QMenu, QMenuBar, QScrollBar, QTabBar, QWidget)

from widgets.file_dialogs import documents_dir, remember, start_dir
from widgets.shortcut_sheet import plain_text, shortcut_rows

from .window_setup import open_window, wait_idle, window  # noqa: F401  (fixture)

CONTROLS = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QAbstractSlider)


def test_the_sheet_lists_every_shortcut_of_the_window(window):
    rows = shortcut_rows(window)
    listed = {(keys, command) for keys, command, _, _ in rows}
    for action in window.findChildren(QAction):
        if action.shortcut().isEmpty() or not action.text():
            continue
        keys = ", ".join(s.toString(QKeySequence.NativeText) for s in action.shortcuts())
        assert (keys, plain_text(action.text())) in listed
    commands = {command: keys for keys, command, _, _ in rows}
    assert commands["Run"] == "F5" and commands["Step op"] == "F11"
    assert commands["Presentation"] == "F12" and "?" in commands["Keyboard shortcuts"]


def test_the_sheet_opens_from_the_help_menu_and_filters(window):
    help_menu = window.menuBar().actions()[-1].menu()
    assert plain_text(help_menu.title()) == "Help"
    action = window.help.shortcuts_action
    assert action in help_menu.actions() and QKeySequence("?") in action.shortcuts()
    action.trigger()
    sheet = window.help.sheet
    assert sheet.isVisible() and len(sheet.rows()) == len(shortcut_rows(window))
    sheet.filter.setText("step op")
    shown = [r for i, r in enumerate(sheet.rows()) if not sheet.table.isRowHidden(i)]
    assert shown and all("step op" in " ".join(r).lower() for r in shown)
    sheet.close()


def test_a_hint_on_the_empty_graph_until_it_is_drawn(window):
    hint = window.help.hint.label
    window.show()
    assert hint.isVisible()
    assert "F5" in hint.text() and "F11" in hint.text() and "train" in hint.text()
    area = window.graph_view.viewport().rect()
    assert area.contains(hint.geometry().center())
    window.debug_actions.actions["step_iteration"].trigger()
    wait_idle(window)
    assert not hint.isVisible()


def _missing_tooltips(window):
    missing = []
    for action in window.findChildren(QAction):
        menu = action.parent()
        if not action.text() or action.isSeparator() or not _in_window_ui(window, action):
            continue
        if isinstance(menu, QMenu) and menu.menuAction() is action:
            continue  # a submenu's title
        if plain_text(action.toolTip()) == plain_text(action.text()):
            missing.append(f"action {plain_text(action.text())!r}")
    for control in window.findChildren(QWidget):
        if not isinstance(control, CONTROLS) or _qt_part(control):
            continue
        if not control.toolTip():
            missing.append(f"{type(control).__name__} {getattr(control, 'text', str)()!r} in "
                           f"{type(control.parent()).__name__}")
    return missing


def _in_window_ui(window, action):
    """The action is in the menu bar's menus, a toolbar or the window itself."""
    return bool(action.associatedObjects()) or action in window.actions()


def _qt_part(widget):
    """A part Qt builds inside a control (a spin box's editor, a tab bar's scroll arrows, a
    dock's float button, a table's corner, a scroll bar) rather than a control of ours."""
    return (widget.objectName().startswith("qt_") or type(widget) is QAbstractButton or
            isinstance(widget, QScrollBar) or
            isinstance(widget.parent(), (QAbstractSpinBox, QComboBox, QTabBar, QMenuBar)))


def test_every_control_has_a_tooltip(window):
    window.show()
    window.debug_actions.actions["step_iteration"].trigger()
    wait_idle(window)
    window.session.select("3/tanh#0")
    assert _missing_tooltips(window) == []


def test_file_dialogs_start_in_documents_then_in_the_last_folder(window, tmp_path):
    assert start_dir(window.settings) == documents_dir()
    (tmp_path / "projects").mkdir()
    remember(window.settings, str(tmp_path / "projects" / "a.json"))
    assert start_dir(window.settings) == str(tmp_path / "projects")
    assert start_dir(window.settings, "export") == documents_dir()  # kept per kind
    remember(window.settings, str(tmp_path), "export")
    assert start_dir(window.settings, "export") == str(tmp_path)
