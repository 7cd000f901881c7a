"""The command line: `stepgraph` / `python main.py [options]` opens the default preset
(spirals), or another preset or project file, optionally runs N iterations, saves a
screenshot or the project (with its weights) and exits. Exit codes: 0 done, 1 an input
refused (with its message), 2 a script not allowed to run (--trust-script allows it)."""
import argparse
import gc
import sys
import time
from pathlib import Path

from app.project.presets import DEFAULT_PRESET, list_presets, load_preset
from app.project import ProjectError, load_project, save_project
from app.project.specs import DEVICES, MODES

STEP_TIMEOUT_S = 300
GIL_SWITCH_S = 0.001  # the UI thread waits at most this long for the GIL held by the worker
THEMES = ("dark", "light")  # resources/styles/<name>.qss
TABS = ("graph", "nodes", "compare", "script")  # the centre dock's tabs
COMPARE_TIMEOUT_S = 60
ICON = Path(__file__).resolve().parent.parent / "resources" / "icons" / "app.svg"


def prefer_the_ui_thread():
    """Process-wide, at start-up: a thread holding the GIL (the training worker) hands it
    over within GIL_SWITCH_S, so the UI thread never waits long for it."""
    sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_S))


def parser():
    """The command line's argument parser."""
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
    p.add_argument("--backward-graph", action="store_true",
                   help="show the backward graph (the grad_fn nodes) beside the forward graph")
    p.add_argument("--rolled", action="store_true",
                   help="show recurrent layers rolled: one node per op of the cell")
    p.add_argument("--hide", metavar="DOCKS", help="hide these docks, comma-separated "
                   "(palette, builder, graph, inspector, curves, hits), e.g. for a screenshot")
    p.add_argument("--screenshot", metavar="FILE",
                   help="after the steps, save the main window to FILE (PNG) and exit")
    p.add_argument("--size", type=size_arg, metavar="WxH", help="lay the window out for a "
                   "WxH screen and make it that size (e.g. 1280x720, a projector)")
    p.add_argument("--presentation", action="store_true",
                   help="start in presentation mode (larger text, fewer panels; F12)")
    p.add_argument("--theme", choices=THEMES, help="dark or light (for projectors); "
                   "remembered when chosen in View > Theme, not from here")
    p.add_argument("--tab", choices=TABS, help="show this tab of the centre (compare: also "
                   "compile and time both modes first)")
    p.add_argument("--save", metavar="FILE", help="after the steps, save the project and its "
                   "weights to FILE (.json) and exit")
    p.add_argument("--trust-script", action="store_true", help="allow the project's script "
                   "(Python code from the file) to run; without it --steps refuses a script")
    return p


def size_arg(text):
    """(width, height) of "WxH"; argparse's error otherwise."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a size is WIDTHxHEIGHT, e.g. 1280x720, not "
                                         f"{text!r}") from None
    if width < 640 or height < 480:
        raise argparse.ArgumentTypeError(f"a size of at least 640x480 is needed, not {text!r}")
    return width, height


def apply_view(window, args):
    """--theme, --size and --presentation, in that order (presentation lays out the size)."""
    if args.theme:
        window.themes.apply(args.theme, remember=False)
    if args.size:
        window.fit.set_size(*args.size, restore=not (args.screenshot or args.save))
    if args.presentation:
        window.presentation.set_active(True)


def show_tab(app, window, name):
    """Show the centre tab `name`; for the compare view, wait for its figures."""
    pages = {"graph": window.graph_view, "nodes": window.nodes,
             "compare": window.compare_view, "script": window.script_page}
    window.graph_tabs.setCurrentWidget(pages[name])
    if name != "compare":
        return
    view = window.compare_view
    view.refresh_button.click()
    deadline = time.monotonic() + COMPARE_TIMEOUT_S
    while time.monotonic() < deadline and "×" not in view.time_label.text():  # the ratio
        settle(app, 0.1)


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


def save_and_close(window, path):
    """--save: the project and its current weights (those it was opened with while it is not
    built) to `path`, headless; 0, or 1 with the reason."""
    session = window.session
    try:
        save_project(path, session.project, session.weights(timeout=STEP_TIMEOUT_S),
                     keep_weights_of=session.pending_weights)
    except (OSError, ProjectError, TimeoutError) as exc:
        print(f"stepgraph: cannot save {path}: {exc}", file=sys.stderr)
        window.close()
        return 1
    print(f"stepgraph: saved {path}")
    window.close()
    return 0


def main(argv=None):
    """Run the command line (`argv`, default sys.argv[1:]); the exit code."""
    args = parser().parse_args(argv)
    if args.steps < 0:
        sys.exit(f"stepgraph: --steps must be >= 0, got {args.steps}")
    if args.list_presets:
        for info in list_presets():
            print(f"{info.name:14} {info.description}")
        return 0
    project = load(args)
    if project.network.script and args.steps and not args.trust_script:
        print(f"stepgraph: {args.open or 'the project'} holds a script (Python code) that "
              "--steps would run: read it, then pass --trust-script to allow it", file=sys.stderr)
        return 2

    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from widgets.window.main_window import MainWindow
    from app.debugging.steps import run_steps
    prefer_the_ui_thread()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Stepgraph")
    app.setOrganizationName("Stepgraph")
    app.setWindowIcon(QIcon(str(ICON)))
    window = MainWindow(restore_layout=not (args.screenshot or args.save))
    gc.freeze()  # full collections skip the long-lived widgets (a ~70 ms UI stall otherwise)
    explicit = args.open or args.preset or args.steps or args.screenshot or args.save
    if explicit or not window.offer_recovery():
        window.set_project(project, args.open, weights_from=args.open)
    if args.trust_script:
        window.session.script_consent = None  # allowed on the command line
    if args.steps or args.screenshot or args.save:
        window.session.wait(STEP_TIMEOUT_S)  # the build, on its worker, before any output
    if window.session.run_blocker():
        print(f"stepgraph: {window.session.run_blocker()}", file=sys.stderr)
        if args.steps or args.screenshot or args.save:
            window.close()
            return 1
    window.show()
    apply_view(window, args)
    if args.steps:
        done = run_steps(app, window.session, args.steps, STEP_TIMEOUT_S)
        if not done:
            print(f"stepgraph: stopped before {args.steps} iterations: "
                  f"{window.session.hits[-1].message if window.session.hits else 'timeout'}",
                  file=sys.stderr)
    if args.hide and not hide_docks(app, window, args.hide):
        return 2
    if args.backward_graph or args.rolled:
        window.graph_view.set_view_options(backward=args.backward_graph, rolled=args.rolled)
    if args.select and not select(window, args.select):
        return 2
    if args.tab:
        show_tab(app, window, args.tab)
    if args.save:
        return save_and_close(window, args.save)
    if args.screenshot:
        return screenshot(app, window, args.screenshot)
    return app.exec()


def hide_docks(app, window, names):
    """--hide: hide the docks named; False (said, window closed) for an unknown name."""
    names = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in names if n not in window.docks]
    if unknown:
        print(f"stepgraph: --hide {', '.join(unknown)}: no such dock (known: "
              f"{', '.join(window.docks)})", file=sys.stderr)
        window.close()
        return False
    for name in names:
        window.docks[name].hide()
    settle(app)  # the docks left make room before the graph is fitted
    return True


def select(window, target):
    """--select: select a node or layer of the graph; False (said, window closed) when the
    graph has none of that name."""
    known = {n.key for n in window.session.graph} | {n.scope for n in window.session.graph}
    if target not in known:
        sample = ", ".join(sorted(k for k in known if k)[:8]) or "none yet: use --steps"
        print(f"stepgraph: --select {target}: no such node or layer in the graph "
              f"(known: {sample}, ...)", file=sys.stderr)
        window.close()
        return False
    window.session.select(target)
    return True


def screenshot(app, window, path):
    """--screenshot: save the window to `path` (PNG), then close it; the exit code."""
    from PySide6.QtCore import QTimer
    window.curves_feed.redraw()
    settle(app)
    saved = window.grab().save(path)
    QTimer.singleShot(0, window.close)
    app.exec()  # closes the window and tears it down inside the event loop
    if not saved:
        sys.exit(f"stepgraph: cannot write the screenshot {path}")
    return 0
