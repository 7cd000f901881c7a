"""The command line: `stepgraph` / `python main.py [options]` opens the default preset
(spirals), or another preset or project file, optionally runs N iterations, saves a
screenshot and exits."""
import argparse
import sys
import time
from pathlib import Path

from app.project.presets import DEFAULT_PRESET, list_presets, load_preset
from app.project import ProjectError, load_project
from app.project.specs import DEVICES, MODES

STEP_TIMEOUT_S = 300
ICON = Path(__file__).resolve().parent.parent / "resources" / "icons" / "app.svg"


def parser():
    p = argparse.ArgumentParser(prog="stepgraph", description="See, step through and teach "
                                "how neural networks train.")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--preset", metavar="NAME", help=f"open a preset (default: "
                        f"{DEFAULT_PRESET}); see --list-presets")
    source.add_argument("--open", metavar="FILE", help="open a project file (.json)")
    p.add_argument("--list-presets", action="store_true", help="list the presets and exit")
    p.add_argument("--steps", type=int, default=0, metavar="N",
                   help="run N training iterations after start")
    p.add_argument("--mode", choices=MODES, help="dynamic (eager) or static (compiled graph)")
    p.add_argument("--device", choices=DEVICES, help="cpu or cuda (needs CuPy and a GPU)")
    p.add_argument("--select", metavar="NODE", help="select a node (e.g. 4/linear#0) after "
                   "the steps, to show it in the inspector")
    p.add_argument("--screenshot", metavar="FILE",
                   help="after the steps, save the main window to FILE (PNG) and exit")
    return p


def load(args):
    """The project the arguments name; exits with a message when it cannot be loaded."""
    try:
        project = load_project(args.open) if args.open else load_preset(args.preset or
                                                                          DEFAULT_PRESET)
    except KeyError as exc:
        sys.exit(f"stepgraph: {exc.args[0]}")
    except ProjectError as exc:
        sys.exit(f"stepgraph: cannot open the project: {exc}")
    if args.mode:
        project.train.mode = args.mode
    if args.device:
        project.train.device = args.device
    return project


def settle(app, seconds=0.2):
    """Let pending layout and paint events run (before a screenshot)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)


def main(argv=None):
    args = parser().parse_args(argv)
    if args.steps < 0:
        sys.exit(f"stepgraph: --steps must be >= 0, got {args.steps}")
    if args.list_presets:
        for info in list_presets():
            print(f"{info.name:14} {info.description}")
        return 0
    project = load(args)

    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from widgets.window.main_window import MainWindow
    from app.debugging.steps import run_steps
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Stepgraph")
    app.setOrganizationName("Stepgraph")
    app.setWindowIcon(QIcon(str(ICON)))
    window = MainWindow(restore_layout=not args.screenshot)
    explicit = args.open or args.preset or args.steps or args.screenshot
    if explicit or not window.offer_recovery():
        window.set_project(project, args.open)
    if window.session.run_blocker():
        print(f"stepgraph: {window.session.run_blocker()}", file=sys.stderr)
        if args.steps or args.screenshot:
            return 2
    window.show()
    if args.steps:
        done = run_steps(app, window.session, args.steps, STEP_TIMEOUT_S)
        if not done:
            print(f"stepgraph: stopped before {args.steps} iterations: "
                  f"{window.session.hits[-1].message if window.session.hits else 'timeout'}",
                  file=sys.stderr)
    if args.select:
        window.session.select(args.select)
    if args.screenshot:
        window.curves.redraw()
        settle(app)
        saved = window.grab().save(args.screenshot)
        QTimer.singleShot(0, window.close)
        app.exec()  # closes the window and tears it down inside the event loop
        if not saved:
            sys.exit(f"stepgraph: cannot write the screenshot {args.screenshot}")
        return 0
    return app.exec()
