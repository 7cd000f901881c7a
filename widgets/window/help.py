"""The Help menu and the window's tooltips: Help > Keyboard shortcuts (also `?` and F1), a
sheet generated from the window's own actions (widgets/shortcut_sheet.py); the first-run hint
on the empty graph (widgets/graph_hint.py), naming the keys the debugger's actions really have;
and tooltips derived for every action of the menus and the toolbar: its status tip (what it
does) and its keys, so that hovering a toolbar button tells both."""
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu, QToolBar

from widgets.graph_hint import FirstRunHint, hint_text
from widgets.shortcut_sheet import ShortcutSheet, plain_text

SHEET_KEYS = ("?", "F1")


class Help:
    def __init__(self, window):
        self.window = window
        self.sheet = None
        self.shortcuts_action = QAction("&Keyboard shortcuts", window)
        self.shortcuts_action.setShortcuts([QKeySequence(k) for k in SHEET_KEYS])
        self.shortcuts_action.setStatusTip("Every keyboard shortcut of the window, with what "
                                           "it does")
        self.shortcuts_action.triggered.connect(lambda checked=False: self.show_shortcuts())
        window.addAction(self.shortcuts_action)  # `?` works wherever the focus is
        actions = window.debug_actions.actions
        self.hint = FirstRunHint(window.graph_view, hint_text(
            actions["run"].shortcut(), actions["step_op"].shortcut(),
            actions["step_iteration"].shortcut()), lambda: not window.graph_view.full.nodes)
        window.session.subscribe(self._session_changed)

    def add_menu(self):
        """The Help menu, last in the menu bar."""
        menu = self.window.menuBar().addMenu("&Help")
        menu.addAction(self.shortcuts_action)
        return menu

    def show_shortcuts(self):
        """Open (or raise) the shortcut sheet, rebuilt from the window's current actions."""
        if self.sheet is None:
            self.sheet = ShortcutSheet(self.window)
        else:
            self.sheet.refresh(self.window)
        self.sheet.show()
        self.sheet.raise_()
        return self.sheet

    def fill_tooltips(self):
        """Tooltips for the menus' and the toolbar's actions that have none of their own: the
        status tip (or, for a panel's show/hide action, what it does) and the keys."""
        for bar in self.window.findChildren(QDockWidget) + self.window.findChildren(QToolBar):
            toggle = bar.toggleViewAction()
            kind = "panel" if isinstance(bar, QDockWidget) else "toolbar"
            if not toggle.statusTip():
                toggle.setStatusTip(f"Show or hide the {bar.windowTitle()} {kind}")
        for action in self.window.findChildren(QAction):
            if isinstance(action.parent(), QMenu) and action.parent().menuAction() is action:
                continue
            if action.text() and not _has_own_tooltip(action) and action.statusTip():
                keys = action.shortcut().toString(QKeySequence.NativeText)
                action.setToolTip(action.statusTip() + (f" ({keys})" if keys else ""))

    def _session_changed(self, changes):
        if changes & {"graph", "project"}:
            self.hint.update()


def _has_own_tooltip(action):
    """Qt's default tooltip is the action's text: anything else was set on purpose."""
    return plain_text(action.toolTip()) not in ("", plain_text(action.text()))
